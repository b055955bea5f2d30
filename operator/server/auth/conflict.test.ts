import { test } from "node:test";
import assert from "node:assert/strict";
import { KubeApiError } from "../../kube/client.js";
import { ApiError, Code } from "../http/errors.js";
import { MAX_CONFLICT_ATTEMPTS, retryOnConflict } from "./conflict.js";

const conflict = (): KubeApiError => new KubeApiError(409, "Conflict", "the object has been modified");

test("a conflict starts the attempt over; the first attempt that writes wins", async () => {
  let attempts = 0;
  const result = await retryOnConflict("Secret argocd-secret", async () => {
    attempts++;
    if (attempts < 3) throw conflict();
    return "written";
  });
  assert.equal(result, "written");
  assert.equal(attempts, 3, "two conflicts, then the write");
});

test("other errors pass through at once", async () => {
  let attempts = 0;
  await assert.rejects(retryOnConflict("x", async () => {
    attempts++;
    throw new KubeApiError(403, "Forbidden", "no");
  }), (e: unknown) => e instanceof KubeApiError && e.statusCode === 403, "the 403 itself");
  assert.equal(attempts, 1, "not retried");
});

test("a write that conflicts every time gives up with 409 Aborted naming the object", async () => {
  let attempts = 0;
  await assert.rejects(retryOnConflict("AppProject team", async () => {
    attempts++;
    throw conflict();
  }), (e: unknown) => e instanceof ApiError && e.code === Code.Aborted && e.message === "AppProject team kept changing; try again", "Aborted");
  assert.equal(attempts, MAX_CONFLICT_ATTEMPTS);
});
