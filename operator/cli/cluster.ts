// `hawser cluster list`: the destination clusters the API server knows (Argo's cluster Secrets
// and in-cluster), as `argocd cluster list`. Through the server only: it sanitises the
// credentials away and adds the connection state.
import { reportErrors, type CommandModule } from "../cli.js";
import { FlagError, type ParsedFlags } from "../flags.js";
import { outputFlag, parseServerFlags, printObject, serverClient } from "./api/command.js";
import { CONNECTION_USAGE } from "./api/connection.js";
import { cliErrorMessage } from "./api/errors.js";
import { table } from "./app/format.js";

const USAGE = `usage: hawser cluster list [-o wide|server|json|yaml]   (through the API server)

Prints SERVER, NAME, VERSION, STATUS, MESSAGE and PROJECT of each cluster the caller may see.
Errors go to stderr with exit status 2.

${CONNECTION_USAGE}`;

export interface Cluster {
  server: string;
  name?: string;
  project?: string;
  serverVersion?: string;
  connectionState?: { status?: string; message?: string };
  info?: { serverVersion?: string; connectionState?: { status?: string; message?: string } };
}

export function clusterTable(items: Cluster[]): string {
  const rows = [["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"]];
  for (const c of items) {
    const state = c.info?.connectionState ?? c.connectionState;
    rows.push([c.server, c.name ?? "", c.info?.serverVersion ?? c.serverVersion ?? "", state?.status ?? "", state?.message ?? "", c.project ?? ""]);
  }
  return table(rows);
}

async function list(flags: ParsedFlags): Promise<number> {
  if (flags.positional.length > 0) throw new FlagError("list takes no arguments");
  const format = outputFlag(flags, ["wide", "server", "json", "yaml"]);
  const api = await serverClient(flags, "cluster list");
  try {
    const { items } = await api.request<{ items?: Cluster[] | null }>("GET", "/api/v1/clusters");
    const all = items ?? [];
    if (format === "json" || format === "yaml") printObject(all, format);
    else if (format === "server") process.stdout.write(all.map((c) => `${c.server}\n`).join(""));
    else process.stdout.write(clusterTable(all));
    return 0;
  } finally {
    api.close();
  }
}

export const command: CommandModule = {
  summary: "Destination clusters through the API server: list",
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    if (!name || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(USAGE);
      return name ? 0 : 2;
    }
    if (name !== "list") {
      process.stderr.write(`hawser cluster: unknown command "${name}"\n${USAGE}`);
      return 2;
    }
    return reportErrors("cluster list", async () => {
      const flags = parseServerFlags(rest, { values: ["output"] });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      return list(flags);
    }, { message: cliErrorMessage });
  },
};
