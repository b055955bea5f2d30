// `hawser operator`: runs the operator until SIGTERM/SIGINT, then drains and exits 0.
import type { CommandModule } from "../cli.js";
import { FlagError } from "../flags.js";
import { operatorUsage, parseOperatorConfig } from "../config.js";
import { startOperator } from "../operator.js";
import { createLogger } from "../runtime/logger.js";

export const command: CommandModule = {
  summary: "run the operator (Application, AppProject and ApplicationSet controllers)",
  async run(args) {
    let config;
    try {
      config = parseOperatorConfig(args);
    } catch (err) {
      if (err instanceof FlagError) {
        process.stderr.write(`hawser operator: ${err.message}\n\n${operatorUsage}`);
        return 2;
      }
      throw err;
    }
    if (config === "help") {
      process.stdout.write(operatorUsage);
      return 0;
    }
    const log = createLogger({ level: config.logLevel, fields: { component: "hawser-operator" } });
    const running = await startOperator(config, log);
    const onSignal = (sig: string): void => {
      log.info("signal received", { signal: sig });
      void running.stop();
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
    await running.done;
    // Nothing should be left to keep the process alive now. If something is (a child, a socket, a
    // timer), say what after a grace period, so a slow exit names its cause; unref'd, this timer
    // never holds the process itself.
    setTimeout(() => {
      log.warn("process still running after stop", { activeResources: process.getActiveResourcesInfo() });
    }, 3000).unref();
    return 0;
  },
};
