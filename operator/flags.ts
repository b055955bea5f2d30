// A small flag parser shared by the subcommands: `--name value`, `--name=value`, repeated flags,
// booleans, and positional arguments. Unknown flags are an error naming the flag.
export interface FlagSpec {
  /** Flags that take a value. Repeatable ones collect every value in order. */
  values?: string[];
  repeatable?: string[];
  /** Flags that are true when present (`--x=false` turns them off). */
  booleans?: string[];
}

export interface ParsedFlags {
  values: Map<string, string[]>;
  booleans: Map<string, boolean>;
  positional: string[];
}

export class FlagError extends Error {}

export function parseFlags(args: string[], spec: FlagSpec): ParsedFlags {
  const valueFlags = new Set([...(spec.values ?? []), ...(spec.repeatable ?? [])]);
  const repeatable = new Set(spec.repeatable ?? []);
  const booleanFlags = new Set(spec.booleans ?? []);
  const out: ParsedFlags = { values: new Map(), booleans: new Map(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      out.positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (booleanFlags.has(name)) {
      out.booleans.set(name, inline === undefined ? true : inline !== "false");
      continue;
    }
    if (!valueFlags.has(name)) throw new FlagError(`unknown flag --${name}`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new FlagError(`flag --${name} needs a value`);
    const list = out.values.get(name) ?? [];
    if (!repeatable.has(name)) list.length = 0;
    list.push(value);
    out.values.set(name, list);
  }
  return out;
}

export function flagValue(flags: ParsedFlags, name: string): string | undefined {
  const list = flags.values.get(name);
  return list?.[list.length - 1];
}

export function flagInt(flags: ParsedFlags, name: string, fallback: number): number {
  const raw = flagValue(flags, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new FlagError(`flag --${name} must be a non-negative integer, got "${raw}"`);
  return n;
}
