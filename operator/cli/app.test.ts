import { test } from "node:test";
import assert from "node:assert/strict";
import { FlagError } from "../flags.js";
import { appLocation } from "./app.js";

test("an application name is NAME in the control namespace or NAMESPACE/NAME elsewhere", () => {
  assert.deepEqual(appLocation("argocd", "web"), { namespace: "argocd", name: "web" }, "a bare name is in the control namespace");
  assert.deepEqual(appLocation("argocd", "team-a/web"), { namespace: "team-a", name: "web" }, "a qualified name names its namespace");
  for (const bad of ["/web", "team-a/", "a/b/c"]) {
    assert.throws(() => appLocation("argocd", bad), (e: unknown) => e instanceof FlagError && e.message.includes("want NAME or NAMESPACE/NAME"), bad);
  }
});
