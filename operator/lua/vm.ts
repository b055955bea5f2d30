// A sandboxed Lua VM for resource customizations (health scripts), with Argo CD's contract:
// the object is the global `obj`, the script returns a table, and it gets a time budget (Argo: 1 s)
// enforced by an instruction-count hook. Argo runs gopher-lua (Lua 5.1); fengari is Lua 5.3, so
// the prelude adds the 5.1 names scripts use (table.getn, unpack, loadstring, math.pow) and
// integers cross the boundary as Lua integers. No I/O: no io, no file loading, only a safe os.
import "./fengari-conf.js";
import { lauxlib, lua, lualib, luaconf, to_jsstring, to_luastring, type LuaJsFunction, type LuaState } from "fengari";

export const DEFAULT_TIMEOUT_MS = 1000;
/** Instructions between two clock checks; small enough that a tight loop stops promptly. */
const HOOK_INTERVAL = 1000;
/** Depth limit for values converted between JS and Lua (cyclic Lua tables, hostile input). */
const MAX_DEPTH = 100;

if (luaconf.LUA_COMPAT_FLOATSTRING !== true) {
  // Someone loaded fengari before fengari-conf.ts ran: integral floats would print as "1.0".
  throw new Error("fengari was loaded without LUA_COMPAT_FLOATSTRING; import operator/lua/vm.ts before fengari");
}

export class LuaScriptError extends Error {
  override name = "LuaScriptError";
}
export class LuaTimeoutError extends LuaScriptError {
  override name = "LuaTimeoutError";
}

export interface RunOptions {
  /** Globals set before the script runs (e.g. `obj`). */
  globals?: Record<string, unknown>;
  /** Argo's useOpenLibs: also coroutine and utf8. io, debug and unsafe os stay out regardless. */
  openLibs?: boolean;
  timeoutMs?: number;
  /** Chunk name shown in error messages. */
  name?: string;
}

// Runs in the fresh state before the script. It removes everything that reaches outside the VM
// and adds the Lua 5.1 names Argo's (gopher-lua) scripts rely on. `load` is limited to text
// chunks: precompiled bytecode can break the VM's invariants.
const PRELUDE = `
local _load, _os, _string, _table, _math = load, os, string, table, math
dofile, loadfile = nil, nil
print = function() end
load = function(chunk, name, _, env)
  -- An explicit nil env would leave the chunk without globals; only pass one that was given.
  if env == nil then return _load(chunk, name, "t") end
  return _load(chunk, name, "t", env)
end
local _rep = _string.rep
_string.rep = function(s, n, sep)
  -- One call could otherwise allocate gigabytes before the time budget is next checked.
  if type(n) == "number" and n * (#tostring(s) + #tostring(sep or "")) > 16777216 then error("string.rep result too large", 2) end
  return _rep(s, n, sep)
end
loadstring = function(s, name) return _load(s, name, "t") end
unpack = _table.unpack
_table.getn = function(t) return #t end
_table.maxn = function(t) local n = 0 for k in pairs(t) do if type(k) == "number" and k > n then n = k end end return n end
_math.pow = function(x, y) return x ^ y end
_math.mod = _math.fmod
_string.dump = nil
os = { time = _os.time, date = _os.date }
package = { loaded = { _G = _G, os = os, string = _string, table = _table, math = _math, coroutine = coroutine, utf8 = utf8 } }
require = function(name)
  local m = package.loaded[name]
  if m == nil then error("module '" .. tostring(name) .. "' not found", 2) end
  return m
end
`;

function openLibs(L: LuaState, full: boolean): void {
  const libs: [string, LuaJsFunction][] = [
    ["_G", lualib.luaopen_base],
    ["table", lualib.luaopen_table],
    ["string", lualib.luaopen_string],
    ["math", lualib.luaopen_math],
    ["os", lualib.luaopen_os],
  ];
  if (full) libs.push(["coroutine", lualib.luaopen_coroutine], ["utf8", lualib.luaopen_utf8]);
  for (const [name, open] of libs) {
    lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
    lua.lua_pop(L, 1);
  }
}

/** Pushes a JSON-like JS value; integral numbers become Lua integers (as gopher-lua prints them). */
export function pushValue(L: LuaState, value: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw new LuaScriptError("value nested too deeply to pass to Lua");
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === "boolean") lua.lua_pushboolean(L, value);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (typeof value === "string") lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((v, i) => {
      pushValue(L, v, depth + 1);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [k, v] of entries) {
      if (v === null || v === undefined) continue;
      pushValue(L, v, depth + 1);
      lua.lua_setfield(L, -2, to_luastring(k));
    }
  } else lua.lua_pushnil(L);
}

/** Converts the Lua value at idx to JS. Tables with keys 1..n become arrays, others objects. */
export function toValue(L: LuaState, idx: number, depth = 0): unknown {
  const t = lua.lua_type(L, idx);
  if (t === lua.LUA_TNIL) return undefined;
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx);
  if (t === lua.LUA_TNUMBER) return lua.lua_isinteger(L, idx) ? lua.lua_tointeger(L, idx) : lua.lua_tonumber(L, idx);
  if (t === lua.LUA_TSTRING) return to_jsstring(lua.lua_tostring(L, idx) ?? to_luastring(""));
  if (t !== lua.LUA_TTABLE) return undefined;
  if (depth > MAX_DEPTH) throw new LuaScriptError("value returned by Lua is nested too deeply (cyclic table?)");
  const abs = lua.lua_absindex(L, idx);
  const obj: Record<string, unknown> = {};
  const arr: unknown[] = [];
  let isArray = true;
  let count = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, abs) !== 0) {
    // Key at -2, value at -1. Read the key without lua_tostring on numbers (it would confuse lua_next).
    const keyType = lua.lua_type(L, -2);
    let key: string | undefined;
    if (keyType === lua.LUA_TSTRING) {
      key = to_jsstring(lua.lua_tostring(L, -2) ?? to_luastring(""));
      isArray = false;
    } else if (keyType === lua.LUA_TNUMBER && lua.lua_isinteger(L, -2)) {
      const n = lua.lua_tointeger(L, -2);
      key = String(n);
      if (n >= 1) arr[n - 1] = toValue(L, -1, depth + 1);
      else isArray = false;
    } else isArray = false;
    if (key !== undefined) obj[key] = arr[Number(key) - 1] ?? toValue(L, -1, depth + 1);
    count++;
    lua.lua_pop(L, 1);
  }
  if (isArray && count > 0 && arr.length === count) return arr;
  return obj;
}

function errorMessage(L: LuaState): string {
  const v = toValue(L, -1);
  return typeof v === "string" ? v : "script failed (error value is not a string)";
}

/**
 * Runs a script in a fresh sandboxed state and returns its first result converted to JS.
 * Throws LuaScriptError on a syntax or runtime error, LuaTimeoutError when the budget runs out.
 */
export function runLua(script: string, opts: RunOptions = {}): unknown {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const L = lauxlib.luaL_newstate();
  let timedOut = false;
  try {
    openLibs(L, opts.openLibs === true);
    if (lauxlib.luaL_loadbufferx(L, to_luastring(PRELUDE), null, to_luastring("=prelude"), to_luastring("t")) !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      throw new Error(`Lua prelude failed: ${errorMessage(L)}`);
    }
    for (const [name, value] of Object.entries(opts.globals ?? {})) {
      pushValue(L, value);
      lua.lua_setglobal(L, to_luastring(name));
    }
    const chunkName = to_luastring(`=${opts.name ?? "script"}`);
    if (lauxlib.luaL_loadbufferx(L, to_luastring(script), null, chunkName, to_luastring("t")) !== lua.LUA_OK) {
      throw new LuaScriptError(errorMessage(L));
    }
    const deadline = Date.now() + timeoutMs;
    // Once past the deadline every instruction raises, so a script that catches the error with
    // pcall is stopped at its first instruction outside the pcall.
    const hook = (hL: LuaState): void => {
      if (!timedOut && Date.now() <= deadline) return;
      if (!timedOut) {
        timedOut = true;
        // From now on check at every instruction, so the first one outside a pcall raises too.
        lua.lua_sethook(hL, hook, lua.LUA_MASKCOUNT, 1);
        if (hL !== L) lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, 1); // hL may be a coroutine
      }
      lauxlib.luaL_error(hL, to_luastring(`script exceeded its time budget of ${timeoutMs} ms`));
    };
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_INTERVAL);
    const status = lua.lua_pcall(L, 0, 1, 0);
    lua.lua_sethook(L, null, 0, 0);
    if (status !== lua.LUA_OK) {
      const msg = errorMessage(L);
      throw timedOut ? new LuaTimeoutError(`${opts.name ?? "script"}: script exceeded its time budget of ${timeoutMs} ms`) : new LuaScriptError(msg);
    }
    return toValue(L, -1);
  } catch (err) {
    if (err instanceof LuaScriptError) throw err;
    // A JS error escaping the VM (e.g. an allocation failure inside string.rep) is still the script's fault.
    throw new LuaScriptError(err instanceof Error ? err.message : String(err));
  } finally {
    lua.lua_close(L);
  }
}
