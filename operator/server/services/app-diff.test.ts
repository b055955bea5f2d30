import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../http/errors.js";
import { parseTargetManifests } from "./app-diff.js";

describe("parseTargetManifests", () => {
  it("is undefined without targetManifests, so the server renders the target itself", () => {
    assert.equal(parseTargetManifests({}), undefined);
  });

  it("parses every repeated value, under either query name", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } };
    const out = parseTargetManifests({ targetManifests: [JSON.stringify(cm), JSON.stringify({ ...cm, metadata: { name: "b" } })] });
    assert.deepEqual(out?.map((m) => m.metadata.name), ["a", "b"]);
    assert.deepEqual(parseTargetManifests({ "targetManifests[]": JSON.stringify(cm) }), [cm], "a single value with the [] suffix");
  });

  const bad: Array<[string, string, RegExp]> = [
    ["not JSON", "kind: ConfigMap", /targetManifests\[0\] is not valid JSON/],
    ["no metadata.name", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: {} }), /targetManifests\[0\] must be a Kubernetes object/],
    ["a list, not an object", "[]", /targetManifests\[0\] must be a Kubernetes object/],
  ];
  for (const [name, value, message] of bad) {
    it(`refuses ${name} with InvalidArgument naming the entry`, () => {
      assert.throws(() => parseTargetManifests({ targetManifests: value }), (err: unknown) => err instanceof ApiError && err.httpStatus === 400 && message.test(err.message));
    });
  }
});
