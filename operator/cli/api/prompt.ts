// Terminal prompts: a line, a password read without echo, and a yes/no confirmation.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { FlagError } from "../../flags.js";

export function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise((resolve) => rl.question(question, (answer) => { rl.close(); resolve(answer.trim()); }));
}

/** Reads a line with echo off: the question is shown, the typed characters are not. */
export function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  let muted = true;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done): void {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: sink, terminal: true });
  return new Promise((resolve) => rl.question("", (answer) => {
    muted = false;
    rl.close();
    process.stderr.write("\n");
    resolve(answer);
  }));
}

/**
 * argocd's "[y/n]" question before something destructive: --yes answers it; without a terminal to
 * ask on, the command refuses rather than guess.
 */
export async function confirm(question: string, yes: boolean, flagHint = "-y (--yes)"): Promise<boolean> {
  if (yes) return true;
  if (process.stdin.isTTY !== true) throw new FlagError(`${question.replace(/\?$/, "")}: stdin is not a terminal to confirm on; give ${flagHint}`);
  return /^y(es)?$/i.test(await promptLine(`${question} [y/n] `));
}
