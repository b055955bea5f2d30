#!/usr/bin/env node
// The `hawser` command. Each subcommand lives in its own module under operator/cli/ and is loaded
// lazily, so `hawser health` does not pay for the operator's Kubernetes client start-up.
import { pathToFileURL } from "node:url";

export interface CommandModule {
  /** One line shown by `hawser help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<CommandModule>> = {
  operator: () => import("./cli/operator.js").then((m) => m.command),
  "dev-cluster": () => import("./cli/dev-cluster.js").then((m) => m.command),
};

async function printHelp(): Promise<void> {
  const lines = ["usage: hawser <command> [flags]", "", "commands:"];
  for (const [name, load] of Object.entries(commands)) {
    const mod = await load();
    lines.push(`  ${name.padEnd(14)} ${mod.summary}`);
  }
  process.stdout.write(lines.join("\n") + "\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    await printHelp();
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`hawser: unknown command "${name}" (see "hawser help")\n`);
    return 2;
  }
  const mod = await load();
  return mod.run(rest);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`hawser: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
