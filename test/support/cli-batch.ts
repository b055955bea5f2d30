// Runs several `hawser` command lines in one process (one start-up instead of one per command),
// for tests that would otherwise spend most of their time starting node. Reads a JSON array of
// argv arrays on stdin; prints a JSON array of { code, stdout, stderr }. Commands run one after
// the other, each with process.stdout/stderr captured.
import { main } from "../../operator/cli.js";

interface Result { code: number; stdout: string; stderr: string }

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

const batches = JSON.parse(await readStdin()) as string[][];
const results: Result[] = [];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
for (const argv of batches) {
  const r: Result = { code: 0, stdout: "", stderr: "" };
  process.stdout.write = ((chunk: string | Uint8Array) => { r.stdout += String(chunk); return true; });
  process.stderr.write = ((chunk: string | Uint8Array) => { r.stderr += String(chunk); return true; });
  try {
    r.code = await main(argv);
  } catch (err) {
    r.code = 1;
    r.stderr += err instanceof Error ? err.stack ?? err.message : String(err);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push(r);
}
realOut(JSON.stringify(results));
