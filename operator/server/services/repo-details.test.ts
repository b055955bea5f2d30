import { test } from "node:test";
import assert from "node:assert/strict";
import { pickRepoSecret } from "./repo-details.js";

test("pickRepoSecret: the request's project's Secret, else an unscoped one; another project's never", () => {
  const a = { url: "https://git.example/r.git", project: "team-a", username: "a" };
  const b = { url: "https://git.example/r.git", project: "team-b", username: "b" };
  const global = { url: "https://git.example/r.git", username: "g" };
  assert.equal(pickRepoSecret([a, b, global], "team-a"), a);
  assert.equal(pickRepoSecret([global, b, a], "team-b"), b, "the project's own wins over an unscoped one listed first");
  assert.equal(pickRepoSecret([a, b, global], "team-c"), global, "a project without its own gets the unscoped one");
  assert.equal(pickRepoSecret([a, b, global], undefined), global, "no project: only unscoped Secrets");
  assert.equal(pickRepoSecret([a, b], "team-c"), undefined, "another project's Secret is never picked");
  assert.equal(pickRepoSecret([a, b], undefined), undefined);
});
