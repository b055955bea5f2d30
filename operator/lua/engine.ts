// The sandboxed Lua VM itself, with Argo CD's contract: the object is the global `obj`, the script
// returns a table, and it gets a time budget (Argo: 1 s), here enforced by an instruction-count
// hook. Argo runs gopher-lua (Lua 5.1); fengari is Lua 5.3, so the prelude adds the 5.1 names
// scripts use (table.getn, unpack, loadstring, math.pow), and numbers are float64 as in gopher-lua
// (fengari-conf.ts). No I/O: no io, no file loading, only a safe os.
// The hook cannot interrupt one long library call (a catastrophic gsub) and does not see memory,
// so this module runs inside the worker that vm.ts bounds; callers use vm.ts's runLua.
import "./fengari-conf.js";
import { lauxlib, lua, lualib, luaconf, to_jsstring, to_luastring, type LuaJsFunction, type LuaState } from "fengari";
import { DEFAULT_TIMEOUT_MS, LuaMemoryError, LuaScriptError, LuaTimeoutError, type RunOptions } from "./types.js";
import { errorMessage } from "../util/index.js";

/** Instructions between two clock checks; small enough that a tight loop stops promptly. */
const HOOK_INTERVAL = 1000;
/** Depth limit for values converted between JS and Lua (cyclic Lua tables, hostile input). */
const MAX_DEPTH = 100;

if (luaconf.LUA_COMPAT_FLOATSTRING !== true) {
  // Someone loaded fengari before fengari-conf.ts ran: integral floats would print as "1.0".
  throw new Error("fengari was loaded without LUA_COMPAT_FLOATSTRING; import operator/lua/engine.ts before fengari");
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
local _format, _find, _sub, _gsub, _floor, _select, _pcall, _error = _string.format, _string.find, _string.sub, _string.gsub, _math.floor, select, pcall, error
local function format(fmt, ...)
  local ok, res = _pcall(_format, fmt, ...)
  if ok then return res end
  -- Report a misuse at the caller's line and under the function's name, as before the wrapper.
  _error((_gsub(tostring(res), "^bad argument (#%d+) to '%?'", "bad argument %1 to 'format'")), 2)
end
_string.format = function(fmt, ...)
  -- fengari's %d wants a 32-bit integer; gopher-lua formats any integral number. A %d or %i
  -- whose argument is integral but beyond 32 bits is printed as its digits (tostring) instead.
  if type(fmt) ~= "string" then return format(fmt, ...) end
  local args, n, arg, at = { ... }, _select("#", ...), 0, 1
  while true do
    local s, e, conv = _find(fmt, "%%[-+ #0]*%d*%.?%d*(.)", at)
    if s == nil then break end
    if conv ~= "%" then
      arg = arg + 1
      local v = args[arg]
      if (conv == "d" or conv == "i") and type(v) == "number" and v == _floor(v) and (v >= 2147483648 or v < -2147483648) and v > -2^63 and v < 2^63 then
        fmt = _sub(fmt, 1, e - 1) .. "s" .. _sub(fmt, e + 1)
        args[arg] = tostring(v)
      end
    end
    at = e + 1
  end
  return format(fmt, _table.unpack(args, 1, n))
end
local _date, _time = _os.date, _os.time
-- fengari ignores the "!" (UTC) prefix of os.date's format and prints it; gopher-lua honours it,
-- and actions stamp times with "!%Y-%m-%dT%XZ". Shift the time by the local offset instead.
local function date(fmt, t)
  if type(fmt) ~= "string" or _sub(fmt, 1, 1) ~= "!" then return _date(fmt, t) end
  t = t or _time()
  local offset = _time(_date("*t", t)) - _time(_date("!*t", t))
  return _date(_sub(fmt, 2), t - offset)
end
os = { time = _time, date = date }
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

/**
 * Pushes a JSON-like JS value. Every number becomes a Lua float, gopher-lua's only number type:
 * fengari's integers are 32-bit, so a memory size in bytes or a timestamp in ms would be refused
 * as one, and integer arithmetic on smaller ones would wrap at 2^31.
 */
export function pushValue(L: LuaState, value: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw new LuaScriptError("value nested too deeply to pass to Lua");
  // Each level holds its table and a value on the stack, which does not grow by itself
  // (managedFields nest past Lua's 20 guaranteed slots).
  if (!lua.lua_checkstack(L, 2)) throw new LuaScriptError("value nested too deeply to pass to Lua");
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === "boolean") lua.lua_pushboolean(L, value);
  else if (typeof value === "number") lua.lua_pushnumber(L, value);
  else if (typeof value === "string") lua.lua_pushstring(L, to_luastring(value));
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
  // lua_next holds a key and a value per level (see pushValue).
  if (!lua.lua_checkstack(L, 3)) throw new LuaScriptError("value returned by Lua is nested too deeply");
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
    } else if (keyType === lua.LUA_TNUMBER) {
      // A float key (integral ones beyond 32 bits stay floats in fengari): keep it, as a map key.
      const n = lua.lua_tonumber(L, -2);
      key = Number.isInteger(n) ? BigInt(n).toString() : String(n);
      isArray = false;
    } else isArray = false;
    if (key !== undefined) obj[key] = arr[Number(key) - 1] ?? toValue(L, -1, depth + 1);
    count++;
    lua.lua_pop(L, 1);
  }
  if (isArray && count > 0 && arr.length === count) return arr;
  return obj;
}

function luaErrorMessage(L: LuaState): string {
  const v = toValue(L, -1);
  return typeof v === "string" ? v : "script failed (error value is not a string)";
}

/** Compiled chunks kept per thread; more distinct scripts than this means customizations churn. */
const MAX_COMPILED = 512;
const compiled = new Map<string, Uint8Array>();

/**
 * Loads `text` as a function on top of the stack, like luaL_loadbufferx in text mode. Parsing is
 * most of the cost of a health check (the prelude alone ~0.2 ms), so the bytecode fengari's own
 * parser produced is kept and loaded again in binary mode. Only bytecode made here from source is
 * ever loaded: bytecode from a script could break the VM's invariants.
 */
function loadText(L: LuaState, text: string, chunkName: string): number {
  const key = `${chunkName}\n${text}`;
  const cached = compiled.get(key);
  if (cached) {
    // Refresh its place so the map's order is least recently used first.
    compiled.delete(key);
    compiled.set(key, cached);
    return lauxlib.luaL_loadbufferx(L, cached, null, to_luastring(chunkName), to_luastring("b"));
  }
  const status = lauxlib.luaL_loadbufferx(L, to_luastring(text), null, to_luastring(chunkName), to_luastring("t"));
  if (status !== lua.LUA_OK) return status;
  const parts: Uint8Array[] = [];
  if (lua.lua_dump(L, (_L, b, size) => (parts.push(b.slice(0, size)), 0), null, false) === 0) {
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    compiled.set(key, bytes);
    if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  }
  return status;
}

/** A limit besides time, consulted at every hook: a message once it is exceeded. */
export type LimitCheck = () => string | undefined;

/**
 * Runs a script in a fresh sandboxed state on this thread and returns its first result converted
 * to JS. Throws LuaScriptError on a syntax or runtime error, LuaTimeoutError when the time budget
 * runs out and LuaMemoryError when `memoryExceeded` reports a limit. Only the Lua worker calls
 * this; elsewhere use vm.ts's runLua.
 */
export function runInThisThread(script: string, opts: RunOptions = {}, memoryExceeded?: LimitCheck): unknown {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const name = opts.name ?? "script";
  const L = lauxlib.luaL_newstate();
  let stopped: LuaScriptError | undefined;
  const memoryError = (): LuaMemoryError | undefined => {
    const msg = memoryExceeded?.();
    return msg ? new LuaMemoryError(`${name}: ${msg}`) : undefined;
  };
  try {
    openLibs(L, opts.openLibs === true);
    if (loadText(L, PRELUDE, "=prelude") !== lua.LUA_OK || lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      throw new Error(`Lua prelude failed: ${luaErrorMessage(L)}`);
    }
    for (const [key, value] of Object.entries(opts.globals ?? {})) {
      pushValue(L, value);
      lua.lua_setglobal(L, to_luastring(key));
    }
    if (loadText(L, script, `=${name}`) !== lua.LUA_OK) {
      throw new LuaScriptError(luaErrorMessage(L));
    }
    const deadline = Date.now() + timeoutMs;
    // Once a limit is hit every instruction raises, so a script that catches the error with
    // pcall is stopped at its first instruction outside the pcall.
    const hook = (hL: LuaState): void => {
      if (!stopped) {
        stopped = Date.now() > deadline ? new LuaTimeoutError(`${name}: script exceeded its time budget of ${timeoutMs} ms`) : memoryError();
        if (!stopped) return;
        // From now on check at every instruction, so the first one outside a pcall raises too.
        lua.lua_sethook(hL, hook, lua.LUA_MASKCOUNT, 1);
        if (hL !== L) lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, 1); // hL may be a coroutine
      }
      lauxlib.luaL_error(hL, to_luastring(stopped.message));
    };
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_INTERVAL);
    const status = lua.lua_pcall(L, 0, 1, 0);
    lua.lua_sethook(L, null, 0, 0);
    // A string allocation over budget throws a JS error inside the VM, which a Lua pcall can
    // swallow: the budget's own record decides, whatever the script returned.
    stopped ??= memoryError();
    if (stopped) throw stopped;
    if (status !== lua.LUA_OK) throw new LuaScriptError(luaErrorMessage(L));
    return toValue(L, -1);
  } catch (err) {
    if (err instanceof LuaMemoryError || !(err instanceof LuaScriptError)) {
      // Name the script in a budget error raised outside the hook (e.g. while pushing `obj`).
      const limit = memoryError();
      if (limit) throw limit;
    }
    if (err instanceof LuaScriptError) throw err;
    // A JS error escaping the VM is still the script's fault.
    throw new LuaScriptError(errorMessage(err));
  } finally {
    lua.lua_close(L);
  }
}
