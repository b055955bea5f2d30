import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { repositorySecretName as secretName } from "./credentials.js";

test("secretName: one Secret per (URL, project); an unscoped one keeps the name earlier versions gave it", () => {
  const url = "https://git.example.com/org/app.git";
  const unscoped = secretName("repository", url, undefined);
  assert.equal(unscoped, `repo-${createHash("sha256").update(url).digest("hex").slice(0, 10)}`);
  assert.equal(secretName("repository", url, ""), unscoped);
  const names = new Set([unscoped, secretName("repository", url, "team-a"), secretName("repository", url, "team-b"), secretName("repo-creds", url, "team-a")]);
  assert.equal(names.size, 4, [...names].join(" "));
  // Concatenation must not make two pairs collide ("a" + "bc" vs "ab" + "c").
  assert.notEqual(secretName("repository", `${url}a`, "bc"), secretName("repository", `${url}ab`, "c"));
  for (const n of names) assert.match(n, /^(repo|creds)-[0-9a-f]{10}$/, "a valid Secret name whatever the project says");
});
