// `hawser tool-runner --socket PATH`: the sidecar that runs the operator's render tools in a
// container without the service-account token (plugins/runner/server.ts). Runs until SIGTERM.
import type { CommandModule } from "../cli.js";
import { FlagError, flagValue, parseFlags } from "../flags.js";
import { createLogger, parseLogLevel } from "../runtime/logger.js";
import { runnerInfo, startToolRunner, SERVICE_ACCOUNT_TOKEN } from "../../plugins/runner/server.js";
import { configureSandbox } from "../../plugins/sandbox.js";
import { errorMessage } from "../util/index.js";

const USAGE = `usage: hawser tool-runner --socket PATH [--tool-isolation auto|none] [--log-level LEVEL]

Runs the tools of the operator's renders (helm, kustomize, jsonnet, plugins) for an operator
started with --tool-runner-socket PATH, in a container that holds no service-account token.
The socket is created with mode 0600; put it in a directory only the two containers share.

  --socket PATH            the unix socket to listen on (a stale socket there is replaced)
  --tool-isolation MODE    auto: also run each tool in a private mount and PID namespace where the
                           kernel allows it; none: do not (default auto)
  --log-level LEVEL        debug, info, warn, error (default info)
`;

export const command: CommandModule = {
  summary: "run render tools for an operator started with --tool-runner-socket (the sidecar)",
  async run(args) {
    let socketPath: string;
    let isolation: "auto" | "none";
    let level;
    try {
      const flags = parseFlags(args, { values: ["socket", "tool-isolation", "log-level"], booleans: ["help"] });
      if (flags.booleans.get("help")) {
        process.stdout.write(USAGE);
        return 0;
      }
      if (flags.positional.length > 0) throw new FlagError(`unexpected argument "${flags.positional[0]}"`);
      socketPath = flagValue(flags, "socket") ?? "";
      if (!socketPath.startsWith("/")) throw new FlagError("--socket must be an absolute path");
      const iso = flagValue(flags, "tool-isolation") ?? "auto";
      if (iso !== "auto" && iso !== "none") throw new FlagError(`--tool-isolation must be auto or none, got "${iso}"`);
      isolation = iso;
      level = parseLogLevel(flagValue(flags, "log-level"));
    } catch (err) {
      process.stderr.write(`hawser tool-runner: ${errorMessage(err)}\n\n${USAGE}`);
      return 2;
    }
    const log = createLogger({ level, fields: { component: "hawser-tool-runner" } });
    configureSandbox({ isolation });
    const info = await runnerInfo();
    if (info.tokenReadable) {
      // The whole point of the sidecar; say so loudly rather than pretend.
      log.warn("the tool runner can read a service-account token: tools it runs can too (set automountServiceAccountToken: false and mount the token only into the operator container)", { token: SERVICE_ACCOUNT_TOKEN });
    }
    const server = await startToolRunner({ socketPath, log });
    log.info("tool runner listening", { socket: socketPath, isolation: info.isolation, limits: info.limits, tokenReadable: info.tokenReadable });
    await new Promise<void>((res) => {
      const stop = (sig: string): void => {
        log.info("signal received", { signal: sig });
        void server.close().then(res);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  },
};
