import { test } from "node:test";
import assert from "node:assert/strict";
import { gobwasMatch } from "./glob.js";

const cases: Array<[string, string, boolean, string?]> = [
  ["*.yaml", "a.yaml", true],
  ["*.yaml", "dir/a.yaml", true, "no separators: * crosses /"],
  ["*.yaml", "a.yml", false],
  ["{config.json,*.yaml}", "config.json", true],
  ["{config.json,*.yaml}", "x.yaml", true],
  ["{config.json,*.yaml}", "x.json", false],
  ["file?.txt", "file1.txt", true],
  ["file?.txt", "file10.txt", false],
  ["[ab]*", "beta", true],
  ["[!ab]*", "beta", false],
  ["[a-c]x", "bx", true],
  ["prod-*", "prod-eu", true],
  ["\\*literal", "*literal", true],
  ["a.b", "axb", false, "dots are literal"],
];

for (const [pattern, text, want, why] of cases) {
  test(`glob ${pattern} ${want ? "matches" : "does not match"} ${text}${why ? ` (${why})` : ""}`, () => {
    assert.equal(gobwasMatch(pattern, text), want);
  });
}

test("with a separator, * stops at it and ** crosses it", () => {
  assert.equal(gobwasMatch("https://github.com/*", "https://github.com/org/repo", "/"), false);
  assert.equal(gobwasMatch("https://github.com/*/*", "https://github.com/org/repo", "/"), true);
  assert.equal(gobwasMatch("https://github.com/**", "https://github.com/org/repo", "/"), true);
});
