// Terminal prompts for `hawser login`: a line, and a password read without echo.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

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
