// loadCrds/readCrdFile without a cluster; installCrds itself is exercised against a real
// apiserver in test/integration/crds.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CRD_API_VERSION, CRD_KIND, loadCrds, readCrdFile } from "./crd-install.js";

const scratch = mkdtempSync(join(tmpdir(), "hawser-crd-install-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe("loadCrds", () => {
  it("reads the three CRDs from crds/ in file-name order, with aliases expanded", () => {
    const crds = loadCrds();
    assert.deepEqual(crds.map((c) => c.metadata.name), ["applications.argoproj.io", "applicationsets.argoproj.io", "appprojects.argoproj.io"]);
    for (const c of crds) {
      assert.equal(c.apiVersion, CRD_API_VERSION);
      assert.equal(c.kind, CRD_KIND);
    }
    // spec.sources[] reuses the spec.source schema through a YAML alias; both must be real content.
    const schema = (crds[0]!.spec as { versions: { schema: { openAPIV3Schema: { properties: Record<string, { properties: Record<string, { items?: unknown; title?: string }> }> } } }[] })
      .versions[0]!.schema.openAPIV3Schema.properties.spec!.properties;
    assert.equal(schema.source!.title, "ApplicationSource");
    assert.equal((schema.sources!.items as { title?: string }).title, "ApplicationSource");
  });

  it("skips empty documents and rejects anything that is not a CRD", () => {
    const dir = join(scratch, "crds");
    mkdirSync(dir);
    const good = `apiVersion: ${CRD_API_VERSION}\nkind: ${CRD_KIND}\nmetadata: {name: things.example.com}\n`;
    writeFileSync(join(dir, "a.yaml"), `---\n${good}---\n`);
    writeFileSync(join(dir, "notes.txt"), "not yaml: [");
    assert.deepEqual(loadCrds(dir).map((c) => c.metadata.name), ["things.example.com"]);

    writeFileSync(join(dir, "b.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    assert.throws(() => loadCrds(dir), /b\.yaml: expected only CustomResourceDefinition documents/);
    writeFileSync(join(dir, "b.yaml"), "a: [");
    assert.throws(() => readCrdFile(join(dir, "b.yaml")), /b\.yaml:/);
  });
});
