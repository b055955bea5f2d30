// `hawser account ...`: local accounts through the API server, as `argocd account ...`:
// update-password (then a fresh session for the current context, since the server rejects
// tokens issued before a password change), generate-token (an API key) and list.
import { reportErrors, type CommandModule } from "../cli.js";
import { registerSecret } from "../runtime/redact.js";
import { FlagError, flagValue, type ParsedFlags } from "../flags.js";
import { outputFlag, parseDurationSeconds, parseServerFlags, printObject, serverClient } from "./api/command.js";
import type { ApiClient } from "./api/client.js";
import { configPath, readConfig, upsertLogin, writeConfig } from "./api/config.js";
import { CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { promptHidden } from "./api/prompt.js";
import { table } from "./app/format.js";

const USAGE = `usage: hawser account <command> [flags]   (through the API server)

  update-password [--account NAME] [--current-password P] [--new-password P]
                       changes a local account's password (default: your own). Prompts for
                       what is missing when stdin is a terminal; refuses otherwise. Changing
                       your own password logs the current context in again with the new one.
  generate-token [--account NAME] [--expires-in DURATION] [--id ID]
                       an API key for an account with the apiKey capability (default: your
                       own); DURATION like 24h, 7d or 0 (no expiry, the default). Prints the
                       token only.
  list [-o json|yaml]  the accounts you may see, their capabilities and tokens

Errors go to stderr with exit status 2.

${CONNECTION_USAGE}`;

interface UserInfo { loggedIn?: boolean; username?: string }
interface Account { name: string; enabled?: boolean; capabilities?: string[] | null; tokens?: { id: string; issuedAt?: number; expiresAt?: number }[] | null }

async function self(api: ApiClient): Promise<string> {
  const info = await api.request<UserInfo>("GET", "/api/v1/session/userinfo");
  if (!info.loggedIn || !info.username) throw new FlagError("you are not logged in; give --account or log in first");
  return info.username;
}

async function secret(flags: ParsedFlags, flag: string, prompt: string): Promise<string> {
  const given = flagValue(flags, flag);
  if (given !== undefined) {
    registerSecret(given);
    return given;
  }
  if (process.stdin.isTTY !== true) throw new FlagError(`--${flag} is required when stdin is not a terminal`);
  const value = await promptHidden(prompt);
  registerSecret(value);
  return value;
}

async function updatePassword(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("update-password takes no arguments");
  const api = await serverClient(flags, "account update-password");
  try {
    const me = await self(api).catch(() => undefined);
    const account = flagValue(flags, "account") ?? me;
    if (!account) throw new FlagError("you are not logged in; give --account");
    const current = await secret(flags, "current-password", `*** Enter password of currently logged in user (${me ?? "anonymous"}): `);
    let next = flagValue(flags, "new-password");
    if (next === undefined) {
      next = await secret(flags, "new-password", `*** Enter new password for user ${account}: `);
      const again = await promptHidden(`*** Confirm new password for user ${account}: `);
      if (again !== next) throw new FlagError("the passwords do not match");
    }
    registerSecret(next);
    if (!next) throw new FlagError("the new password is empty");
    await api.request("PUT", "/api/v1/account/password", { body: { name: account, currentPassword: current, newPassword: next } });
    process.stdout.write("Password updated\n");
    if (account === me) await relogin(flags, api, account, next);
    return 0;
  } finally {
    api.close();
  }
}

/** The server refuses tokens older than the password change: log the current context in again. */
async function relogin(flags: ParsedFlags, api: ApiClient, username: string, password: string): Promise<void> {
  const path = configPath(flagValue(flags, "config"));
  const cfg = await readConfig(path);
  const name = cfg["current-context"];
  const ctx = cfg.contexts.find((c) => c.name === name);
  if (!name || !ctx || ctx.server !== api.server) return;
  const { token } = await api.request<{ token?: string }>("POST", "/api/v1/session", { body: { username, password } });
  if (!token) return;
  registerSecret(token);
  const server = cfg.servers.find((s) => s.server === ctx.server) ?? { server: ctx.server };
  await writeConfig(path, upsertLogin(cfg, { context: name, server, token }));
  process.stdout.write(`Context '${name}' updated\n`);
}

async function generateToken(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("generate-token takes no arguments");
  const raw = flagValue(flags, "expires-in");
  const expiresIn = raw === undefined ? 0 : parseDurationSeconds(raw, "--expires-in");
  const id = flagValue(flags, "id");
  const api = await serverClient(flags, "account generate-token");
  try {
    const account = flagValue(flags, "account") ?? (await self(api));
    const { token } = await api.request<{ token?: string }>("POST", `/api/v1/account/${encodeURIComponent(account)}/token`, {
      body: { name: account, ...(expiresIn > 0 ? { expiresIn } : {}), ...(id ? { id } : {}) },
    });
    if (!token) throw new Error("the server answered without a token");
    // The token is the output (stdout only), as argocd prints it.
    process.stdout.write(`${token}\n`);
    return 0;
  } finally {
    api.close();
  }
}

const time = (s: number | undefined): string => (s ? new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "never");

/** `account list`: NAME, ENABLED, CAPABILITIES, TOKENS. */
export function accountTable(items: Account[]): string {
  const rows = [["NAME", "ENABLED", "CAPABILITIES", "TOKENS"]];
  for (const a of items) {
    const tokens = (a.tokens ?? []).map((t) => `${t.id} (expires ${time(t.expiresAt)})`).join(", ");
    rows.push([a.name, a.enabled ? "true" : "false", (a.capabilities ?? []).join(", "), tokens]);
  }
  return table(rows);
}

async function list(flags: ParsedFlags): Promise<number> {
  const format = outputFlag(flags, ["json", "yaml"]);
  const api = await serverClient(flags, "account list");
  try {
    const { items } = await api.request<{ items?: Account[] | null }>("GET", "/api/v1/account");
    const sorted = [...(items ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    if (format) printObject(sorted, format);
    else process.stdout.write(accountTable(sorted));
    return 0;
  } finally {
    api.close();
  }
}

const SUBS: Record<string, { values: string[]; run: (flags: ParsedFlags) => Promise<number> }> = {
  "update-password": { values: ["account", "current-password", "new-password"], run: updatePassword },
  "generate-token": { values: ["account", "expires-in", "id"], run: generateToken },
  list: { values: ["output"], run: list },
};

export const command: CommandModule = {
  summary: "Local accounts through the API server: update-password, generate-token, list",
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE);
      return name ? 0 : 2;
    }
    const sub = SUBS[name];
    if (!sub) {
      process.stderr.write(`hawser account: unknown command "${name}"\n${USAGE}`);
      return 2;
    }
    return reportErrors(`account ${name}`, async () => {
      const flags = parseServerFlags(rest.map((a) => (a === "-a" ? "--account" : a)), { values: sub.values });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      return sub.run(flags);
    }, { message: cliErrorMessage });
  },
};
