// The README's demo command keeps working: `hack/demo.ts --check` brings up its own cluster, git
// server and operator, applies seed 002 and exits 0 once every Application reaches the demo's goal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("the demo reaches its goal for seed 002", async () => {
  const name = `demo-test-${randomBytes(3).toString("hex")}`;
  const proc = spawn(process.execPath, ["--import", "tsx", "hack/demo.ts", "--check", "--timeout", "240", "--cluster", name], {
    // Port 0: a free port, so a demo a developer left running does not collide.
    cwd: root, env: { ...process.env, HAWSER_DEMO_PORT: "0" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  proc.stderr.on("data", (d: Buffer) => { out += d.toString(); });
  const [code] = (await once(proc, "exit")) as [number | null];
  assert.equal(code, 0, `demo failed:\n${out}`);
  assert.match(out, /applied Application argocd\/demo-dev/);
  assert.match(out, /applied Application argocd\/demo-prod/);
  assert.match(out, /every Application reached the demo's goal/);
  // It ends with the API server's address and the admin password, which it used to log in.
  assert.match(out, /API server: http:\/\/127\.0\.0\.1:\d+ \(logged in as admin through it: 2 Applications/);
  assert.match(out, /admin password: [0-9A-Za-z-]{16} /);
});
