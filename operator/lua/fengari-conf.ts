// Configures fengari before it is first loaded, so that scripts see the Lua Argo CD runs them on:
// gopher-lua (Lua 5.1), whose only number type is a float64. fengari is Lua 5.3 with 32-bit
// integers: left alone, a numeral like 3000000000 or 3 * 1024 * 1024 * 1024 wraps around, and an
// integer pushed from JS beyond 2^31 is refused ("invalid argument"). So here:
// - LUA_COMPAT_FLOATSTRING: integral floats print without ".0" (`tostring(4/2)` is "2"), also in
//   `..` concatenation;
// - numerals and string-to-number conversions produce floats, so arithmetic is float64 throughout
//   (engine.ts pushes every JS number as a float for the same reason);
// - an integral float prints all its digits, as gopher-lua prints int64(n) (`tostring(2^53)` is
//   "9007199254740992", not the 14 significant digits of Lua's "%.14g").
// fengari 0.1.5 is pinned; vm.test.ts checks each of these through scripts. This module must be
// imported before "fengari" (engine.ts does so first).
import { createRequire } from "node:module";

const current: Record<string, unknown> = process.env.FENGARICONF ? (JSON.parse(process.env.FENGARICONF) as Record<string, unknown>) : {};
process.env.FENGARICONF = JSON.stringify({ ...current, LUA_COMPAT_FLOATSTRING: true });

interface TValue {
  value: number;
  ttisinteger(): boolean;
  setfltvalue(x: number): void;
}
interface LuaConfModule {
  lua_number2str: (n: number) => string;
}
interface LObjectModule {
  luaO_str2num: (s: Uint8Array, o: TValue) => number;
}

const require = createRequire(import.meta.url);
// lobject.js copies lua_number2str when it loads, so the replacement goes in before it does.
// fengari's modules import each other in a circle: load them in the order its entry point does
// (defs.js, which loads luaconf.js), or luaconf.js sees a half-loaded defs.js.
require("fengari/src/defs.js");
const luaconf = require("fengari/src/luaconf.js") as LuaConfModule;
const fourteenDigits = luaconf.lua_number2str;
const INT64_LIMIT = 2 ** 63;
luaconf.lua_number2str = (n: number): string => (Number.isInteger(n) && n >= -INT64_LIMIT && n < INT64_LIMIT ? BigInt(n).toString() : fourteenDigits(n));

// The lexer, tonumber and string coercion all call this through the module object.
require("fengari");
const lobject = require("fengari/src/lobject.js") as LObjectModule;
const str2num = lobject.luaO_str2num;
const HEX_INTEGER = /^\s*([+-]?)0[xX]([0-9a-fA-F]+)\s*$/;
lobject.luaO_str2num = (s: Uint8Array, o: TValue): number => {
  const size = str2num(s, o);
  if (size === 0 || !o.ttisinteger()) return size;
  // fengari wraps hex integers to 32 bits (0xFFFFFFFF is -1); Lua 5.1 reads them as numbers.
  const hex = HEX_INTEGER.exec(String.fromCharCode(...s.subarray(0, size - 1)));
  o.setfltvalue(hex ? (hex[1] === "-" ? -1 : 1) * Number.parseInt(hex[2]!, 16) : o.value);
  return size;
};
