// Where a command goes, as argocd decides it: `--core` talks to Kubernetes directly; `--server`,
// or a current context from `hawser login`, talks to the API server. Without either the command
// keeps its Kubernetes behaviour (the kubeconfig), so scripts written before the server work.
import { registerSecret } from "../../runtime/redact.js";
import { FlagError, flagValue, type FlagSpec, type ParsedFlags } from "../../flags.js";
import { ApiClient, type ServerConnection } from "./client.js";
import { configPath, readConfig, resolveContext, type LocalConfig } from "./config.js";

/** The flags every command that can use the server takes (argocd's global flags of the same names). */
export const CONNECTION_FLAGS: Required<Pick<FlagSpec, "values" | "booleans">> = {
  values: ["server", "auth-token", "config"],
  booleans: ["core", "insecure", "plaintext"],
};

export const CONNECTION_USAGE = `connection (as argocd): with a current context (hawser login) or --server, through the
API server; with --core (or without any context), straight to Kubernetes.
  --server HOST:PORT   the API server (overrides the context's)
  --auth-token TOKEN   bearer token (default $HAWSER_AUTH_TOKEN, $ARGOCD_AUTH_TOKEN, the context's)
  --insecure           skip verifying the server's TLS certificate
  --plaintext          plain HTTP instead of TLS
  --config PATH        the CLI config (default $HAWSER_CONFIG or ~/.config/hawser/config)
  --core               talk to Kubernetes directly (--kubeconfig, -n), not to a server
`;

export type Target = { kind: "kube" } | { kind: "api"; client: ApiClient; context?: string };

function envToken(env: NodeJS.ProcessEnv): string | undefined {
  return env.HAWSER_AUTH_TOKEN || env.ARGOCD_AUTH_TOKEN || undefined;
}

/** Flags that only mean something with a server are an error without one, not silently ignored. */
function refuseServerFlags(flags: ParsedFlags, hint: string): void {
  if (flagValue(flags, "auth-token") !== undefined) throw new FlagError(`--auth-token needs a server: ${hint}`);
  for (const f of ["insecure", "plaintext"]) if (flags.booleans.get(f) !== undefined) throw new FlagError(`--${f} needs a server: ${hint}`);
}

/** The connection the flags, the environment and the config name; undefined means Kubernetes. */
export function connectionFrom(flags: ParsedFlags, cfg: LocalConfig, path: string, env: NodeJS.ProcessEnv = process.env): (ServerConnection & { context?: string }) | undefined {
  const core = flags.booleans.get("core") === true;
  const server = flagValue(flags, "server");
  if (core) {
    if (server) throw new FlagError("--core and --server exclude each other");
    refuseServerFlags(flags, "--core talks to Kubernetes");
    return undefined;
  }
  const token = flagValue(flags, "auth-token") ?? envToken(env);
  const insecure = flags.booleans.get("insecure");
  const plainText = flags.booleans.get("plaintext");
  if (server) {
    // A context for the same server lends its token and TLS settings unless flags say otherwise.
    const ctx = cfg.contexts.find((c) => c.server === server);
    const resolved = ctx ? resolveContext(cfg, ctx.name, path) : undefined;
    const entry = resolved?.server ?? cfg.servers.find((s) => s.server === server);
    const t = token ?? resolved?.token;
    return {
      server,
      ...(t ? { authToken: t } : {}),
      insecure: insecure ?? entry?.insecure ?? false,
      plainText: plainText ?? entry?.plainText ?? false,
      ...(ctx ? { context: ctx.name } : {}),
    };
  }
  const current = cfg["current-context"];
  if (!current) {
    refuseServerFlags(flags, "give --server or log in with hawser login");
    return undefined;
  }
  const resolved = resolveContext(cfg, current, path);
  const t = token ?? resolved.token;
  return {
    server: resolved.server.server,
    ...(t ? { authToken: t } : {}),
    insecure: insecure ?? resolved.server.insecure ?? false,
    plainText: plainText ?? resolved.server.plainText ?? false,
    context: current,
  };
}

/** Reads the config and picks the target of a command. */
export async function chooseTarget(flags: ParsedFlags, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const path = configPath(flagValue(flags, "config"), env);
  const conn = connectionFrom(flags, await readConfig(path), path, env);
  if (!conn) return { kind: "kube" };
  // Whatever goes wrong later, the token never reaches an error message.
  registerSecret(conn.authToken);
  return { kind: "api", client: new ApiClient(conn), ...(conn.context ? { context: conn.context } : {}) };
}
