// `hawser login SERVER`: a session token from the API server (POST /api/v1/session, as
// `argocd login`), stored in the CLI config under a context that becomes the current one.
import { reportErrors, type CommandModule } from "../cli.js";
import { registerSecret } from "../runtime/redact.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { ApiClient } from "./api/client.js";
import { configPath, readConfig, upsertLogin, writeConfig } from "./api/config.js";
import { promptHidden, promptLine } from "./api/prompt.js";
import { ssoLogin } from "./api/sso.js";

const USAGE = `usage: hawser login SERVER [flags]

Logs in to a Hawser (or Argo CD) API server and makes it the current context; later
hawser app ... commands go through it. SERVER is HOST:PORT or a URL.

  --username U         local account (prompted for when stdin is a terminal)
  --password P         its password (prompted for, without echo, when stdin is a terminal)
  --sso                log in through the server's SSO (OIDC) in a browser
  --sso-port PORT      the local port the browser returns to with --sso (default 8085)
  --name CTX           the context's name (default SERVER)
  --insecure           skip verifying the server's TLS certificate (e.g. its self-signed one)
  --plaintext          plain HTTP instead of TLS
  --config PATH        the CLI config (default $HAWSER_CONFIG or ~/.config/hawser/config)

Without a terminal, --username and --password (or --sso) must be given. The config file is
written with mode 0600: it holds the session token. Errors go to stderr with exit status 2.
`;

interface Session { token?: string }

async function login(args: string[]): Promise<number> {
  const flags = parseFlags(args, { values: ["username", "password", "name", "config", "sso-port"], booleans: ["help", "insecure", "plaintext", "sso"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const server = flags.positional[0];
  if (!server || flags.positional.length > 1) throw new FlagError("login wants exactly one SERVER (HOST:PORT or a URL)");
  const insecure = flags.booleans.get("insecure") === true;
  const plainText = flags.booleans.get("plaintext") === true;
  const sso = flags.booleans.get("sso") === true;
  let user = flagValue(flags, "username");
  let password = flagValue(flags, "password");
  registerSecret(password);
  if (sso && (user !== undefined || password !== undefined)) throw new FlagError("--sso and --username/--password exclude each other");
  if (!sso && flagValue(flags, "sso-port") !== undefined) throw new FlagError("--sso-port needs --sso");
  const client = new ApiClient({ server, insecure, plainText });
  let token: string;
  try {
    if (sso) {
      const portRaw = flagValue(flags, "sso-port") ?? "8085";
      const port = Number(portRaw);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`--sso-port must be a port number, got "${portRaw}"`);
      token = await ssoLogin(client, { port });
    } else {
      const tty = process.stdin.isTTY === true;
      if (user === undefined) {
        if (!tty) throw new FlagError("--username is required when stdin is not a terminal");
        user = await promptLine("Username: ");
      }
      if (password === undefined) {
        if (!tty) throw new FlagError("--password is required when stdin is not a terminal");
        password = await promptHidden("Password: ");
        registerSecret(password);
      }
      if (!user) throw new FlagError("the username is empty");
      const session = await client.request<Session>("POST", "/api/v1/session", { body: { username: user, password } });
      if (!session.token) throw new Error("the server answered the login without a token");
      token = session.token;
    }
  } finally {
    client.close();
  }
  registerSecret(token);
  const context = flagValue(flags, "name") ?? server;
  const path = configPath(flagValue(flags, "config"));
  const cfg = upsertLogin(await readConfig(path), { context, server: { server, ...(insecure ? { insecure } : {}), ...(plainText ? { plainText } : {}) }, token });
  await writeConfig(path, cfg);
  process.stdout.write(`${sso ? "SSO user" : `'${user ?? ""}'`} logged in successfully\nContext '${context}' updated\n`);
  return 0;
}

export const command: CommandModule = {
  summary: "Log in to a Hawser API server (a context in ~/.config/hawser/config, like argocd login)",
  async run(args: string[]): Promise<number> {
    if (args[0] === "help" || args.length === 0) {
      process.stdout.write(USAGE);
      return args.length === 0 ? 2 : 0;
    }
    // The plain message, without the "log in again" hint of server commands: this is the login.
    return reportErrors("login", () => login(args));
  },
};
