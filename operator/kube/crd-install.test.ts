// loadCrds/readCrdFile, and installCrds' waiting logic against a fake client; the real install
// is exercised against a kube-apiserver in test/integration/crds.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { KubeClient } from "./client.js";
import { CRD_API_VERSION, CRD_KIND, installCrds, loadCrds, readCrdFile } from "./crd-install.js";

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

describe("installCrds", () => {
  const crd = { apiVersion: CRD_API_VERSION, kind: CRD_KIND, metadata: { name: "things.example.com" }, spec: {} };

  /** A client whose GETs return the given condition lists in turn (the last one repeats). */
  function fakeClient(conditionsPerGet: { type: string; status: string; message?: string }[][]) {
    const calls = { apply: [] as unknown[], gets: 0, invalidated: 0 };
    const client = {
      apply: (obj: unknown, opts: unknown) => {
        calls.apply.push([obj, opts]);
        return Promise.resolve(obj);
      },
      get: () => {
        const conditions = conditionsPerGet[Math.min(calls.gets++, conditionsPerGet.length - 1)];
        return Promise.resolve({ ...crd, status: { conditions } });
      },
      discovery: { invalidate: () => { calls.invalidated++; } },
    };
    return { client: client as unknown as KubeClient, calls };
  }

  it("applies with the hawser field manager, waits for Established, then drops cached discovery", async () => {
    const { client, calls } = fakeClient([[], [{ type: "NamesAccepted", status: "True" }], [{ type: "Established", status: "True" }]]);
    await installCrds(client, { crds: [crd] });
    assert.deepEqual(calls.apply, [[crd, { fieldManager: "hawser", force: true }]]);
    assert.equal(calls.gets, 3);
    assert.equal(calls.invalidated, 1);
  });

  it("times out with the CRD's name and its last conditions", async () => {
    const { client, calls } = fakeClient([[{ type: "Established", status: "False", message: "not yet" }]]);
    await assert.rejects(installCrds(client, { crds: [crd], timeoutMs: 250 }), /timed out waiting for CustomResourceDefinition things\.example\.com to become Established; last seen: Established=False \(not yet\)/);
    assert.equal(calls.invalidated, 0);
  });

  it("fails at once when the names clash with another CRD", async () => {
    const { client } = fakeClient([[{ type: "NamesAccepted", status: "False", message: "\"things\" is already in use" }]]);
    await assert.rejects(installCrds(client, { crds: [crd], timeoutMs: 60_000 }), /things\.example\.com: names not accepted: "things" is already in use/);
  });
});
