// The generated API types must match crds/*.yaml; `npm run verify:types` (gen-types --check) is
// what CI runs, so this checks both that the committed files are current and that --check really
// fails, naming the file, when they are not.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { packageRoot } from "../operator/paths.js";
import { defaultOutDir, generate, staleFiles, targets } from "./gen-types.js";

const root = packageRoot();
const scratch = mkdtempSync(join(tmpdir(), "hawser-gen-types-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runCheck(outDir: string) {
  return spawnSync(process.execPath, ["--import", "tsx", "hack/gen-types.ts", "--check", "--out", outDir], { cwd: root, encoding: "utf8" });
}

describe("gen-types", () => {
  it("committed types are up to date with crds/*.yaml", async () => {
    assert.deepEqual(await staleFiles(), []);
  });

  it("emits a do-not-edit header and the top-level types", async () => {
    const out = await generate();
    assert.deepEqual([...out.keys()], targets.map((t) => t.out));
    assert.match(out.get("application.ts")!, /^\/\/ Generated from crds\/application\.yaml by hack\/gen-types\.ts; do not edit\./);
    assert.match(out.get("application.ts")!, /export interface Application \{/);
    assert.match(out.get("appproject.ts")!, /export interface AppProject \{/);
    assert.match(out.get("applicationset.ts")!, /export interface ApplicationSet \{/);
    // The template spec is the Application's, imported rather than declared twice.
    assert.match(out.get("applicationset.ts")!, /import type \{[^}]*\bApplicationSpec\b[^}]*\} from "\.\/application\.js";/);
    assert.doesNotMatch(out.get("applicationset.ts")!, /export interface ApplicationSpec\b/);
  });

  it("--check passes on current files and exits 1 naming a stale or missing one", () => {
    const dir = join(scratch, "check");
    cpSync(defaultOutDir(), dir, { recursive: true });
    let res = runCheck(dir);
    assert.equal(res.status, 0, res.stderr);

    const stale = join(dir, "appproject.ts");
    writeFileSync(stale, readFileSync(stale, "utf8").replace("export interface AppProject {", "export interface AppProject {\n  extra?: string;"));
    rmSync(join(dir, "applicationset.ts"));
    res = runCheck(dir);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /appproject\.ts is stale/);
    assert.match(res.stderr, /applicationset\.ts is stale/);
    assert.doesNotMatch(res.stderr, /application\.ts is stale/);
  });
});
