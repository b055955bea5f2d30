// A unified diff of two texts (line-based LCS with context), for showing a resource's normalised
// live and predicted YAML the way `diff -u` does.

const MAX_CELLS = 25_000_000; // LCS table limit; beyond it the whole text is shown as replaced

export function unifiedDiff(a: string, b: string, labelA: string, labelB: string, context = 3): string {
  if (a === b) return "";
  const x = a === "" ? [] : a.replace(/\n$/, "").split("\n");
  const y = b === "" ? [] : b.replace(/\n$/, "").split("\n");
  const ops: { op: " " | "-" | "+"; line: string }[] = [];
  if (x.length * y.length > MAX_CELLS) {
    for (const line of x) ops.push({ op: "-", line });
    for (const line of y) ops.push({ op: "+", line });
  } else {
    // lcs[i][j] = LCS length of x[i..] and y[j..].
    const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        ops.push({ op: " ", line: x[i]! });
        i++;
        j++;
      } else if (i < x.length && (j >= y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ op: "-", line: x[i++]! });
      else ops.push({ op: "+", line: y[j++]! });
    }
  }
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.op === " ") {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is within 2×context of the previous one.
    const start = Math.max(0, k - context);
    let end = k;
    for (let m = k; m < ops.length; m++) {
      if (ops[m]!.op !== " ") end = m;
      else if (m - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    let aStart = 1;
    let bStart = 1;
    for (let m = 0; m < start; m++) {
      if (ops[m]!.op !== "+") aStart++;
      if (ops[m]!.op !== "-") bStart++;
    }
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.op !== "+").length;
    const bLen = hunk.filter((o) => o.op !== "-").length;
    out.push(`@@ -${aLen === 0 ? aStart - 1 : aStart},${aLen} +${bLen === 0 ? bStart - 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    k = stop;
  }
  return out.join("\n") + "\n";
}
