// `hawser proj ...`: AppProjects in a cluster, the way `argocd proj ...` shows them, read through
// the Kubernetes API alone.
import type { CommandModule } from "../cli.js";
import type { AppProject } from "../api/index.js";
import { clientFrom } from "./kube-client.js";
import { virtualProject } from "./project.js";
import { redact } from "../runtime/redact.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { errorMessage } from "../util/index.js";
import { windowsTable } from "./proj/windows.js";

const USAGE = `usage: hawser proj windows list PROJECT [flags]

Prints the AppProject's sync windows (spec.syncWindows) with their state now: ID (the index
in spec.syncWindows), STATUS (Active, Inactive, or Invalid with the reason below the table),
KIND, SCHEDULE, DURATION, the selectors, MANUALSYNC, TIMEZONE, USEANDOPERATOR and NEXTCHANGE
(when an inactive window next opens or an active one closes, in the window's time zone).

  --kubeconfig FILE    cluster to read (default $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS   the controller's namespace, where AppProjects live (default argocd)
  --at TIME            evaluate at TIME (RFC 3339, e.g. 2026-12-24T18:00:00Z) instead of now

Errors go to stderr with exit status 2.
`;

function parseAt(raw: string | undefined): Date {
  if (raw === undefined) return new Date();
  // An RFC 3339 date-time with a zone; Date.parse alone would also take "12/24" in local time.
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new FlagError(`--at wants an RFC 3339 time such as 2026-12-24T18:00:00Z, got "${raw}"`);
  return at;
}

async function windowsList(args: string[]): Promise<number> {
  const normalized = args.map((a) => (a === "-n" ? "--namespace" : a));
  const flags = parseFlags(normalized, { values: ["kubeconfig", "namespace", "at"], booleans: ["help"] });
  if (flags.booleans.get("help")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const name = flags.positional[0];
  if (!name || flags.positional.length > 1) throw new FlagError("windows list wants exactly one AppProject name");
  const ns = flagValue(flags, "namespace") ?? "argocd";
  const at = parseAt(flagValue(flags, "at"));
  const client = clientFrom(flags);
  try {
    let project: AppProject | undefined;
    try {
      project = await virtualProject<AppProject>(client, ns, name);
    } catch (err) {
      throw new Error(`reading AppProject ${ns}/${name}: ${errorMessage(err)}`);
    }
    if (!project) throw new FlagError(`AppProject ${ns}/${name} not found`);
    process.stdout.write(windowsTable(name, project.spec?.syncWindows, at));
    return 0;
  } finally {
    client.close();
  }
}

export const command: CommandModule = {
  summary: "AppProjects in a cluster: windows list (sync windows and their state)",
  async run(args: string[]): Promise<number> {
    const [group, sub, ...rest] = args;
    if (!group || group === "--help" || group === "-h" || group === "help" || (group === "windows" && (sub === "--help" || sub === "-h"))) {
      process.stdout.write(USAGE);
      return group ? 0 : 2;
    }
    if (group !== "windows" || sub !== "list") {
      process.stderr.write(`hawser proj: unknown command "${[group, sub].filter(Boolean).join(" ")}" (only "windows list" is supported)\n${USAGE}`);
      return 2;
    }
    try {
      return await windowsList(rest);
    } catch (err) {
      process.stderr.write(redact(`hawser proj windows list: ${errorMessage(err)}`) + "\n");
      return 2;
    }
  },
};
