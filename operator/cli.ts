#!/usr/bin/env node
// The `hawser` command. Each subcommand is a module operator/cli/<name>.ts exporting `command`
// (a CommandModule); `hawser <name>` loads only that module, so `hawser health` does not pay for
// the operator's start-up. Adding a command means adding a file: nothing else lists them.
import { readdirSync, realpathSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { redact } from "./runtime/redact.js";
import { errorMessage } from "./util/index.js";

export interface CommandModule {
  /** One line shown by `hawser help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

export interface ReportOptions {
  /** The error's text (default errorMessage); server commands pass cliErrorMessage for its hints. */
  message?: (err: unknown) => string;
  /** The exit status of an error (default 2). */
  exitCode?: (err: unknown) => number;
}

/**
 * Runs a command's body under the CLI's error convention: whatever it throws becomes one line on
 * stderr, "hawser WHAT: message", scrubbed of credentials, and exit status 2. Kept in one place
 * so no command can forget the redaction.
 */
export async function reportErrors(what: string, body: () => Promise<number> | number, opts: ReportOptions = {}): Promise<number> {
  try {
    return await body();
  } catch (err) {
    process.stderr.write(redact(`hawser ${what}: ${(opts.message ?? errorMessage)(err)}`) + "\n");
    return opts.exitCode?.(err) ?? 2;
  }
}

const commandsDir = new URL("./cli/", import.meta.url);
/** Modules in operator/cli/ that are helpers, not commands. */
const notCommands = new Set(["flags", "output"]);

function commandNames(): string[] {
  const names = new Set<string>();
  for (const file of readdirSync(fileURLToPath(commandsDir))) {
    const m = /^([a-z][a-z0-9-]*)\.(ts|js)$/.exec(file);
    if (m && !file.endsWith(".d.ts") && !notCommands.has(m[1]!)) names.add(m[1]!);
  }
  return [...names].sort();
}

async function loadCommand(name: string): Promise<CommandModule | undefined> {
  if (!commandNames().includes(name)) return undefined;
  const mod = (await import(new URL(`./${name}.js`, commandsDir).href)) as { command?: CommandModule };
  return mod.command;
}

async function printHelp(): Promise<void> {
  const lines = ["usage: hawser <command> [flags]", "", "commands:"];
  for (const name of commandNames()) {
    const mod = await loadCommand(name);
    if (mod) lines.push(`  ${name.padEnd(14)} ${mod.summary}`);
  }
  lines.push("", 'Run "hawser <command> --help" for a command\'s flags.');
  process.stdout.write(lines.join("\n") + "\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    await printHelp();
    return name ? 0 : 2;
  }
  const mod = await loadCommand(name);
  if (!mod) {
    process.stderr.write(`hawser: unknown command "${name}" (see "hawser help")\n`);
    return 2;
  }
  return mod.run(rest);
}

/** True when this file is the program (also through the npm bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`hawser: ${errorMessage(err)}\n`);
      process.exitCode = 2;
    },
  );
}
