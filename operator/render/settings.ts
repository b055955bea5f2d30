// The rendering settings Argo CD keeps in argocd-cm, as the renderer and the built-in plugins take
// them. Shared by the controller (which re-reads them when the ConfigMap changes) and the CLIs.
import type { RenderSettings } from "./index.js";

const TOOLS = ["helm", "kustomize", "jsonnet"] as const;

export function renderSettingsFromArgoCm(cm: Record<string, string> | undefined): RenderSettings {
  const s: RenderSettings = {};
  if (!cm) return s;
  if (cm["kustomize.buildOptions"]) s.kustomizeBuildOptions = cm["kustomize.buildOptions"];
  if (cm["helm.valuesFileSchemes"]) s.helmValuesFileSchemes = cm["helm.valuesFileSchemes"].split(",").map((x) => x.trim()).filter(Boolean);
  // `kustomize.path.<v>` and `kustomize.buildOptions.<v>`: per-version binaries and options.
  for (const [k, v] of Object.entries(cm)) {
    const m = /^kustomize\.(path|buildOptions)\.(.+)$/.exec(k);
    if (!m) continue;
    s.kustomizeVersions ??= {};
    const entry = (s.kustomizeVersions[m[2]!] ??= {});
    if (m[1] === "path") entry.path = v;
    else entry.buildOptions = v;
  }
  const disabled = TOOLS.filter((t) => cm[`${t}.enable`]?.trim() === "false");
  if (disabled.length > 0) s.disabledTools = [...disabled];
  return s;
}
