// The part of fengari's API (Lua 5.3 in pure JS; the package ships no types) that engine.ts uses.
// Strings crossing the boundary are Lua byte strings (Uint8Array); to_luastring/to_jsstring convert.
declare module "fengari" {
  export type LuaString = Uint8Array;
  export interface LuaState {
    readonly __luaState: unique symbol;
  }
  export interface LuaDebug {
    currentline: number;
  }
  export type LuaJsFunction = (L: LuaState) => number;
  export type LuaHook = (L: LuaState, ar: LuaDebug) => void;

  export function to_luastring(s: string): LuaString;
  export function to_jsstring(s: LuaString): string;

  export const lua: {
    LUA_OK: number;
    LUA_MULTRET: number;
    LUA_TNIL: number;
    LUA_TBOOLEAN: number;
    LUA_TNUMBER: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    LUA_TFUNCTION: number;
    LUA_MASKCOUNT: number;
    lua_close(L: LuaState): void;
    lua_checkstack(L: LuaState, n: number): boolean;
    lua_gettop(L: LuaState): number;
    lua_settop(L: LuaState, idx: number): void;
    lua_pop(L: LuaState, n: number): void;
    lua_absindex(L: LuaState, idx: number): number;
    lua_type(L: LuaState, idx: number): number;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean | number): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): LuaString;
    lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_setfield(L: LuaState, idx: number, k: LuaString): void;
    lua_rawseti(L: LuaState, idx: number, n: number): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_tostring(L: LuaState, idx: number): LuaString | null;
    lua_next(L: LuaState, idx: number): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_sethook(L: LuaState, f: LuaHook | null, mask: number, count: number): void;
    /** Serialises the Lua function on top of the stack; the writer gets the bytes in pieces. */
    lua_dump(L: LuaState, writer: (L: LuaState, b: LuaString, size: number, ud: unknown) => number, ud: unknown, strip: boolean): number;
  };

  export const luaconf: { LUA_COMPAT_FLOATSTRING: boolean };

  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_requiref(L: LuaState, modname: LuaString, openf: LuaJsFunction, glb: number): void;
    luaL_loadbufferx(L: LuaState, buff: LuaString, size: number | null, name: LuaString, mode: LuaString | null): number;
    luaL_error(L: LuaState, fmt: LuaString): never;
  };

  export const lualib: {
    luaopen_base: LuaJsFunction;
    luaopen_table: LuaJsFunction;
    luaopen_string: LuaJsFunction;
    luaopen_math: LuaJsFunction;
    luaopen_os: LuaJsFunction;
    luaopen_coroutine: LuaJsFunction;
    luaopen_utf8: LuaJsFunction;
  };
}
