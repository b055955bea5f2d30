import { test } from "node:test";
import assert from "node:assert/strict";
import { LuaMemoryError, LuaScriptError, LuaTimeoutError, runLua, sharedLuaSandbox } from "./vm.js";

test("io, debug, file loading and unsafe os functions are absent", () => {
  const r = runLua(`return {
    io = type(io), debug = type(debug), dofile = type(dofile), loadfile = type(loadfile),
    execute = type(os.execute), exit = type(os.exit), remove = type(os.remove), getenv = type(os.getenv),
    time = type(os.time), date = type(os.date), dump = type(string.dump)
  }`);
  assert.deepEqual(r, { io: "nil", debug: "nil", dofile: "nil", loadfile: "nil", execute: "nil", exit: "nil", remove: "nil", getenv: "nil", time: "function", date: "function", dump: "nil" });
});

test("calling os.execute is an error", () => {
  assert.throws(() => runLua(`os.execute("touch /tmp/hawser-lua-escape")`), (e: unknown) => e instanceof LuaScriptError && /attempt to call a nil value/.test(e.message));
});

test("require only returns the preloaded safe modules", () => {
  assert.equal(runLua(`local os2 = require("os"); return os2 == os and os2.execute == nil`), true);
  assert.throws(() => runLua(`return require("io")`), /module 'io' not found/);
  assert.throws(() => runLua(`return require("./evil")`), /module '.\/evil' not found/);
});

test("load accepts source text but not bytecode", () => {
  assert.equal(runLua(`return load("return 1 + 1")()`), 2);
  assert.equal(runLua(`x = 41; return load("return x + 1")()`), 42);
  assert.equal(runLua(`return loadstring("return 'x'")()`), "x");
  const r = runLua(`local f, err = load("\\27Lua" .. string.rep("x", 20)); return err`);
  assert.match(String(r), /attempt to load a binary chunk/);
});

test("an infinite loop is stopped by the time budget", () => {
  assert.throws(() => runLua("while true do end", { timeoutMs: 50 }), (e: unknown) => e instanceof LuaTimeoutError && /time budget of 50 ms/.test(e.message));
});

test("catching the budget error with pcall does not keep the script alive", () => {
  assert.throws(() => runLua("while true do pcall(function() while true do end end) end", { timeoutMs: 50 }), LuaTimeoutError);
});

test("Lua 5.1 compatibility: table.getn, unpack, math.pow, goto", () => {
  assert.equal(runLua("return table.getn({1, 2, 3})"), 3);
  assert.equal(runLua("local a, b = unpack({4, 5}); return a + b"), 9);
  assert.equal(runLua("return math.pow(2, 10)"), 1024);
  assert.equal(runLua("local n = 0; for i = 1, 10 do if i > 3 then goto done end; n = i end ::done:: return n"), 3);
});

test("numbers are floats as in gopher-lua, and integral ones print without .0", () => {
  const r = runLua(`return {
    a = tostring(obj.spec.replicas), b = "n=" .. obj.spec.replicas, c = math.type(obj.spec.replicas),
    d = tostring(obj.spec.replicas / 3), e = "x" .. 2.0, f = tostring(obj.spec.ratio), g = string.format("%d", 4 / 2)
  }`, { globals: { obj: { spec: { replicas: 3, ratio: 0.5 } } } });
  assert.deepEqual(r, { a: "3", b: "n=3", c: "float", d: "1", e: "x2", f: "0.5", g: "2" });
});

test("objects marshal to tables and back: arrays, nested maps, nulls dropped", () => {
  const obj = { metadata: { name: "x", labels: { a: "b" } }, list: [1, "two", { three: true }], gone: null };
  assert.equal(runLua("return #obj.list", { globals: { obj } }), 3);
  assert.deepEqual(runLua("return obj", { globals: { obj } }), { metadata: { name: "x", labels: { a: "b" } }, list: [1, "two", { three: true }] });
  assert.equal(runLua("return obj.gone == nil", { globals: { obj } }), true);
});

test("syntax and runtime errors are LuaScriptErrors with the chunk name", () => {
  assert.throws(() => runLua("return {", { name: "bad.lua" }), (e: unknown) => e instanceof LuaScriptError && /^bad\.lua:1:/.test(e.message));
  assert.throws(() => runLua("error('nope')", { name: "s" }), /s:1: nope/);
});

test("coroutine and utf8 only with open libraries", () => {
  assert.equal(runLua("return type(coroutine)"), "nil");
  assert.equal(runLua("return type(coroutine)", { openLibs: true }), "table");
  assert.equal(runLua("return type(io)", { openLibs: true }), "nil");
});

test("print does not write to stdout", () => {
  assert.equal(runLua(`print("should not appear"); return 1`), 1);
});

test("string.rep refuses results that would exhaust memory", () => {
  assert.equal(runLua(`return #string.rep("ab", 3, ",")`), 8);
  assert.throws(() => runLua(`return string.rep("x", 1e10)`), /string.rep result too large/);
});

// Attacks on the budget that the instruction hook alone cannot stop. Each ends with a normal
// script in the same sandbox, which must still work. The test-level timeouts only keep a
// regression from hanging the run; nothing here asserts how long anything took.
const HEALTHY = `return { status = "Healthy", message = obj.metadata.name }`;
const stillWorks = (): void => {
  assert.deepEqual(runLua(HEALTHY, { globals: { obj: { metadata: { name: "after" } } } }), { status: "Healthy", message: "after" });
};
const GiB = 1024 * 1024 * 1024;

test("string doubling to gigabytes is refused at the memory budget, naming the script", { timeout: 120_000 }, () => {
  const before = process.memoryUsage().rss;
  // A generous time budget, so that only the memory limit can stop it.
  assert.throws(
    () => runLua(`local s = "x" for i = 1, 40 do s = s .. s end return #s`, { name: "argocd-cm apps/Doubler", timeoutMs: 60_000 }),
    (e: unknown) => e instanceof LuaMemoryError && /^argocd-cm apps\/Doubler: script exceeded its memory budget/.test(e.message),
  );
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < GiB, `the process grew by ${Math.round(grown / 1048576)} MiB while the script doubled its string`);
  stillWorks();
});

test("catching the memory error with pcall does not let the script finish", { timeout: 120_000 }, () => {
  assert.throws(
    () => runLua(`pcall(function() local s = "x" for i = 1, 40 do s = s .. s end end) return { status = "Healthy" }`, { timeoutMs: 60_000 }),
    LuaMemoryError,
  );
  assert.throws(() => runLua(`local t = {} for i = 1, 40 do t[i] = string.rep("y", 16000000) end return #t`, { timeoutMs: 60_000 }), LuaMemoryError);
  stillWorks();
});

test("a catastrophic gsub inside one library call is stopped by terminating the worker", { timeout: 120_000 }, () => {
  const restarts = sharedLuaSandbox().restarts;
  // Backtracking over ".-.-b" is cubic: 20000 characters would run for hours in one instruction.
  assert.throws(
    () => runLua(`local s = string.rep("a", 20000) return (s:gsub(".-.-b", "x"))`, { name: "slow.lua", timeoutMs: 200 }),
    (e: unknown) => e instanceof LuaTimeoutError && /^slow\.lua: script was stopped after exceeding its time budget of 200 ms/.test(e.message),
  );
  assert.equal(sharedLuaSandbox().restarts, restarts + 1, "the worker running the gsub was terminated and replaced");
  stillWorks();
});

test("an infinite loop is stopped by the VM's hook without losing the worker", { timeout: 120_000 }, () => {
  const restarts = sharedLuaSandbox().restarts;
  assert.throws(() => runLua("local n = 0 while true do n = n + 1 end", { name: "loop.lua", timeoutMs: 100 }), (e: unknown) => e instanceof LuaTimeoutError && /^loop\.lua: script exceeded its time budget of 100 ms/.test(e.message));
  assert.equal(sharedLuaSandbox().restarts, restarts, "the hook ended the loop; no restart was needed");
  stillWorks();
});

test("tables filling the heap are stopped at the worker's heap budget, not the process's", { timeout: 120_000 }, () => {
  const heapBefore = process.memoryUsage().heapUsed;
  // Tables live in the worker's V8 heap; a generous time budget, so only the heap limit can stop it.
  assert.throws(
    () => runLua(`local t = {} local i = 0 while true do i = i + 1 t[i] = { i, i, i, tostring(i) } end`, { name: "hog.lua", timeoutMs: 60_000 }),
    (e: unknown) => e instanceof LuaMemoryError && /^hog\.lua: script exceeded its memory budget of \d+ MiB of heap/.test(e.message),
  );
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 64 * 1024 * 1024, `the main thread's heap grew by ${Math.round(grown / 1048576)} MiB`);
  stillWorks();
});

test("string.format misuse is reported as before: the caller's line and 'format'", () => {
  const message = (re: RegExp) => (e: unknown) => e instanceof LuaScriptError && re.test(e.message);
  assert.throws(() => runLua(`local s = string.format("%d", 2.5) return s`, { name: "f.lua" }), message(/^f\.lua:1: bad argument #2 to 'format' \(number has no integer representation\)$/));
  assert.throws(() => runLua(`local s = string.format("%d", "x") return s`, { name: "f.lua" }), message(/^f\.lua:1: bad argument #2 to 'format' \(number expected, got string\)$/));
  assert.equal(runLua(`return string.format("%%d %s %5.1f %d", "a", 2.5, 2^31)`), "%d a   2.5 2147483648");
});
