#!/usr/bin/env node
// Fails when the TypeScript sources hold an import circle or an import that points up the layers
// (docs/architecture.md). Every relative import counts, type-only ones and literal dynamic
// import()s included, in every folder tsconfig.json covers; run by `npm run lint`. The layer check
// is the eslint rule's (hack/layers.mjs) run once more over the whole graph, so it also covers the
// files eslint skips (operator/api/generated/).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { layerViolation, repoPath, resolveSpecifier, root } from "./layers.mjs";

const FOLDERS = ["operator", "plugins", "generators", "test", "hack", "bench"];

function listSources(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listSources(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(repoPath(path));
  }
  return out;
}

/** file -> the project files it imports (repository paths). */
export function importGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((f) => resolveSpecifier(file, f.fileName))
      .filter((t) => t !== undefined && known.has(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components with more than one file, or one file importing itself (Tarjan). */
export function findCycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Every import that breaks the layer rule, as "from -> to: why". */
export function findLayerViolations(graph) {
  const out = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = layerViolation(from, to);
      if (why) out.push(`${from} -> ${to}: ${why}`);
    }
  }
  return out;
}

if (process.argv[1] && relative(process.argv[1], new URL(import.meta.url).pathname) === "") {
  const files = FOLDERS.flatMap((f) => listSources(join(root, f)));
  const graph = importGraph(files);
  const cycles = findCycles(graph);
  const violations = findLayerViolations(graph);
  for (const c of cycles) console.error(`import circle: ${c.join(" <-> ")}`);
  for (const v of violations) console.error(`layer: ${v}`);
  if (cycles.length > 0 || violations.length > 0) {
    console.error(`hack/check-imports.mjs: ${cycles.length} import circle(s), ${violations.length} layer violation(s) (docs/architecture.md)`);
    process.exit(1);
  }
  console.log(`hack/check-imports.mjs: ${files.length} files, no import circle, every import points down the layers`);
}
