// A source's tool parameters as form fields, shared by the New App panel and the PARAMETERS tab's
// editor: Helm (value files, values, the chart's parameters with their defaults from appdetails),
// Kustomize (name prefix/suffix, images), Directory (recurse, include, exclude). Plugin sources
// are edited as YAML.
import type { ReactNode } from "react";
import type { ParamsForm, SourceDetails, Tool } from "../newApp";

const TOOLS: Array<Tool | ""> = ["", "Helm", "Kustomize", "Directory"];

export function ParamsFields({ form, details, onChange }: { form: ParamsForm; details: SourceDetails | undefined; onChange: (f: ParamsForm) => void }): ReactNode {
  const set = (change: Partial<ParamsForm>): void => onChange({ ...form, ...change });
  // The chart's parameters first (their defaults as placeholders), then overrides it does not list.
  const chartParams = (details?.helm?.parameters ?? []).filter((p) => p.name).map((p) => ({ name: p.name!, def: p.value ?? "" }));
  const extra = Object.keys(form.parameters).filter((n) => !chartParams.some((p) => p.name === n)).map((name) => ({ name, def: "" }));
  const area = (label: string, key: "valueFiles" | "values" | "images", hint?: string): ReactNode => (
    <label className="field">{label}
      <textarea className="mono" value={form[key]} placeholder={hint} onChange={(e) => set({ [key]: e.target.value })} data-testid={`params-${key}`} />
    </label>
  );
  const line = (label: string, key: "namePrefix" | "nameSuffix" | "include" | "exclude"): ReactNode => (
    <label className="field">{label}<input value={form[key]} onChange={(e) => set({ [key]: e.target.value })} data-testid={`params-${key}`} /></label>
  );
  return (
    <div data-testid="params-fields" data-tool={form.tool}>
      <label className="field">Tool
        <select value={form.tool} onChange={(e) => set({ tool: e.target.value as Tool | "" })} data-testid="params-tool">
          {TOOLS.map((t) => <option key={t} value={t}>{t || (details?.type ? `Detected (${details.type})` : "Detect when rendering")}</option>)}
          {form.tool === "Plugin" && <option value="Plugin">Plugin</option>}
        </select>
      </label>
      {form.tool === "Helm" && (
        <>
          {area("Values files (one a line)", "valueFiles", (details?.helm?.valueFiles ?? []).join("\n"))}
          {area("Values (YAML)", "values", details?.helm?.values)}
          {(chartParams.length > 0 || extra.length > 0) && (
            <table className="params-table" data-testid="params-helm-parameters">
              <thead><tr><th>Parameter</th><th>Value</th></tr></thead>
              <tbody>
                {[...chartParams, ...extra].map((p) => (
                  <tr key={p.name}>
                    <td className="mono">{p.name}</td>
                    <td><input aria-label={`Parameter ${p.name}`} value={form.parameters[p.name] ?? p.def} placeholder={p.def}
                      onChange={(e) => set({ parameters: { ...form.parameters, [p.name]: e.target.value } })} data-testid="params-helm-parameter" data-param={p.name} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <AddParameter onAdd={(name) => set({ parameters: { ...form.parameters, [name]: "" } })} />
        </>
      )}
      {form.tool === "Kustomize" && (
        <>
          {line("Name prefix", "namePrefix")}
          {line("Name suffix", "nameSuffix")}
          {area("Images (one a line: name=newName:tag or name:tag)", "images", (details?.kustomize?.images ?? []).join("\n"))}
        </>
      )}
      {form.tool === "Directory" && (
        <>
          <label className="check"><input type="checkbox" checked={form.recurse} onChange={(e) => set({ recurse: e.target.checked })} data-testid="params-recurse" /> Recurse into subdirectories</label>
          {line("Include (glob)", "include")}
          {line("Exclude (glob)", "exclude")}
        </>
      )}
      {form.tool === "Plugin" && <p className="muted">A plugin's parameters are edited in the YAML.</p>}
    </div>
  );
}

function AddParameter({ onAdd }: { onAdd: (name: string) => void }): ReactNode {
  return (
    <label className="field">Add a parameter (name, then Enter)
      <input data-testid="params-helm-add" onKeyDown={(e) => {
        if (e.key !== "Enter") return;
        e.preventDefault();
        const name = e.currentTarget.value.trim();
        if (name) { onAdd(name); e.currentTarget.value = ""; }
      }} />
    </label>
  );
}
