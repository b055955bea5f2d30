// The layers of Hawser's source and what may import what (docs/architecture.md draws the same
// picture). eslint.config.js enforces them with the `layers/imports` rule below; hack/check-imports.mjs
// (run by `npm run lint`) checks the whole import graph again and forbids import circles.
//
// A module may import its own layer unit (the same directory or file) and any unit of a LOWER layer;
// never a unit beside it on the same layer or one above it. Tests (*.test.ts, testdata/, test/),
// hack/ and bench/ may import anything. operator/devcluster is beside the layers: only the dev
// cluster itself, the CLI command that starts it, the demo, benches and tests may import it.
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bottom first. A unit ending in "/" is a directory, one ending in ".ts" a single file, and any
 * other a directory together with the file of the same name ("operator/cli": the cli/ commands and
 * cli.ts, which loads them and whose CommandModule type they implement).
 */
export const LAYERS = [
  { name: "foundation", units: ["operator/util/", "operator/api/", "operator/paths.ts", "operator/flags.ts", "operator/tools/"] },
  { name: "kube client, pure engine", units: ["operator/kube/", "operator/engine/"] },
  { name: "runtime, lua", units: ["operator/runtime/", "operator/lua/"] },
  { name: "git, clusters, webhooks, notifications", units: ["operator/git/", "operator/cluster/", "operator/webhook/", "operator/notifications/"] },
  { name: "plugins, generators", units: ["plugins/", "generators/"] },
  { name: "render, appset, modules", units: ["operator/render/", "operator/appset/", "operator/modules/"] },
  { name: "app state", units: ["operator/appstate/"] },
  { name: "controllers, API server", units: ["operator/controllers/", "operator/server/"] },
  { name: "config", units: ["operator/config.ts"] },
  { name: "operator wiring", units: ["operator/operator.ts"] },
  { name: "cli", units: ["operator/cli"] },
];

export const DEVCLUSTER = "operator/devcluster/";
/** Who may import the dev cluster, besides tests, hack/ and bench/. */
export const DEVCLUSTER_IMPORTERS = [DEVCLUSTER, "operator/cli/dev-cluster.ts"];

/** Where the layer rule applies (tests inside these folders are exempt, see isExempt). */
export const LAYERED_ROOTS = ["operator/", "plugins/", "generators/"];

/** Repository-relative, "/"-separated. */
export function repoPath(absolute) {
  return relative(root, absolute).split("\\").join("/");
}

/** Tests, fixtures and tooling may import anything. */
export function isExempt(path) {
  return !LAYERED_ROOTS.some((r) => path.startsWith(r)) || path.endsWith(".test.ts") || path.includes("/testdata/");
}

/** { layer index, unit } of a repository path, or undefined when no layer holds it. */
export function layerOf(path) {
  let best;
  LAYERS.forEach((layer, index) => {
    for (const unit of layer.units) {
      const hit = unit.endsWith("/") ? path.startsWith(unit)
        : unit.endsWith(".ts") ? path === unit
        : path.startsWith(`${unit}/`) || path === `${unit}.ts`;
      if (hit && (!best || unit.length > best.unit.length)) best = { index, unit };
    }
  });
  return best;
}

/** The repository path a relative specifier names (".js" written for a ".ts" file), or undefined for a package. */
export function resolveSpecifier(fromPath, specifier) {
  if (!specifier.startsWith(".")) return undefined;
  const target = repoPath(resolve(root, dirname(fromPath), specifier));
  return target.replace(/\.js$/, ".ts");
}

/** Why `from` may not import `to` (repository paths), or undefined when it may. */
export function layerViolation(from, to) {
  if (isExempt(from)) return undefined;
  if (to.startsWith(DEVCLUSTER)) {
    return DEVCLUSTER_IMPORTERS.some((u) => (u.endsWith("/") ? from.startsWith(u) : from === u))
      ? undefined
      : `only the dev cluster, its CLI command (operator/cli/dev-cluster.ts), hack/, bench/ and tests may import ${DEVCLUSTER}`;
  }
  if (from.startsWith(DEVCLUSTER)) {
    const t = layerOf(to);
    return t && t.index === 0 ? undefined : `${DEVCLUSTER} may import only the foundation layer (${LAYERS[0].units.join(", ")})`;
  }
  const f = layerOf(from);
  if (!f) return `${from} is in no layer: add its directory to LAYERS in hack/layers.mjs and docs/architecture.md`;
  if (!LAYERED_ROOTS.some((r) => to.startsWith(r))) return `${from} may not import ${to}: only tests, hack/ and bench/ import outside operator/, plugins/ and generators/`;
  const t = layerOf(to);
  if (!t) return `${to} is in no layer: add its directory to LAYERS in hack/layers.mjs and docs/architecture.md`;
  if (t.unit === f.unit || t.index < f.index) return undefined;
  const where = t.index === f.index ? "beside it on the same layer" : "a layer above it";
  return `${f.unit} (layer ${f.index}, ${LAYERS[f.index].name}) may not import ${t.unit} (layer ${t.index}, ${LAYERS[t.index].name}): ${where}`;
}

/** The eslint rule: every relative import, export-from and literal dynamic import is checked. */
export const importsRule = {
  meta: {
    type: "problem",
    docs: { description: "imports point down the layers of docs/architecture.md" },
    schema: [],
  },
  create(context) {
    const from = repoPath(context.filename);
    if (isExempt(from)) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== "string") return;
      const to = resolveSpecifier(from, source.value);
      if (!to) return;
      const why = layerViolation(from, to);
      if (why) context.report({ node, message: `${why} (see docs/architecture.md)` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === "Literal" ? node.source : undefined),
    };
  },
};

export const layersPlugin = { rules: { imports: importsRule } };
