// Go's time.ParseDuration, because Argo CD's duration strings (retry backoff "5s"/"3m", Hawser's
// `timeout.reconcile=30s`) are written for it: a signed sequence of decimal numbers, each with a
// unit (ns, us, µs, μs, ms, s, m, h); "0" alone needs no unit; no spaces, no exponents.

export class DurationError extends Error {}

const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3, // U+00B5 micro sign
  "μs": 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.Duration is an int64 of nanoseconds (max 2^63-1); larger values are an error there too. */
const MAX_NS = 2 ** 63;

/** Parses like Go's time.ParseDuration and returns milliseconds (fractional below 1 ms). */
export function parseGoDuration(input: string): number {
  const quoted = JSON.stringify(input);
  let s = input;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new DurationError(`time: invalid duration ${quoted}`);
  let totalNs = 0;
  while (s !== "") {
    // Go requires a digit or '.' to start every component.
    const m = /^(\d*)(?:\.(\d*))?/.exec(s);
    const intPart = m?.[1] ?? "";
    const fracPart = m?.[2];
    const hasDot = fracPart !== undefined;
    if (intPart === "" && (fracPart ?? "") === "") throw new DurationError(`time: invalid duration ${quoted}`);
    s = s.slice(intPart.length + (hasDot ? 1 + fracPart.length : 0));
    const unitMatch = /^[^\d.]+/.exec(s);
    if (!unitMatch) throw new DurationError(`time: missing unit in duration ${quoted}`);
    const unit = unitMatch[0];
    const perUnit = NS_PER_UNIT[unit];
    if (perUnit === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    s = s.slice(unit.length);
    const value = Number(`${intPart || "0"}.${fracPart ?? ""}`.replace(/\.$/, ""));
    totalNs += value * perUnit;
    if (totalNs >= MAX_NS) throw new DurationError(`time: invalid duration ${quoted}`);
  }
  return (sign * totalNs) / 1e6;
}

/**
 * Argo's parseStringToDuration for retry backoff: a bare integer means seconds, anything else is a
 * Go duration.
 */
export function parseBackoffDuration(input: string): number {
  if (/^[+-]?\d+$/.test(input)) return Number(input) * 1000;
  return parseGoDuration(input);
}

/** Formats milliseconds like Go's Duration.String() for messages ("2m30s", "1.5s", "0s"). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? "-" : ""}${trimNumber(rest)}ms`;
  const h = Math.floor(rest / 3600000);
  rest -= h * 3600000;
  const m = Math.floor(rest / 60000);
  rest -= m * 60000;
  const sec = trimNumber(rest / 1000);
  return `${neg ? "-" : ""}${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${sec}s`;
}

function trimNumber(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
