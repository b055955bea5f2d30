// fengari reads its compile-time options from FENGARICONF when it is first loaded. Argo CD runs
// scripts on gopher-lua (Lua 5.1), where integral floats print without ".0" (`tostring(4/2)` is
// "2"); LUA_COMPAT_FLOATSTRING gives Lua 5.3 the same formatting, also for `..` concatenation.
// This module must be imported before "fengari" (vm.ts does so first).
const current: Record<string, unknown> = process.env.FENGARICONF ? (JSON.parse(process.env.FENGARICONF) as Record<string, unknown>) : {};
process.env.FENGARICONF = JSON.stringify({ ...current, LUA_COMPAT_FLOATSTRING: true });
