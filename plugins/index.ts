// The config-management plugin registry. Built-in plugins are registered here; user plugins are
// added at start-up by operator/modules/loader.ts. Selection follows Argo CD's detection order:
// a plugin named by the source, then user plugins whose discover() claims the directory (Argo
// asks CMP plugins before its own detection), then the built-ins (helm: Chart.yaml, kustomize:
// kustomization file), and the directory plugin last.
import { explicitTool } from "./detect.js";
import { directoryPlugin } from "./directory/index.js";
import { createHelmPlugin } from "./helm/index.js";
import { createKustomizePlugin } from "./kustomize/index.js";
import type { ConfigManagementPlugin, SourceSpec, ToolSettings } from "./types.js";

export type { ConfigManagementPlugin, RenderRequest, RenderResult, Manifest, SourceSpec, PluginContext, ToolSettings } from "./types.js";
export { RenderError } from "./types.js";

export class PluginRegistry {
  private readonly builtins: ConfigManagementPlugin[] = [];
  private readonly user: ConfigManagementPlugin[] = [];
  private fallback?: ConfigManagementPlugin;

  registerBuiltin(plugin: ConfigManagementPlugin, opts: { fallback?: boolean } = {}): void {
    this.assertNew(plugin.name);
    if (opts.fallback) this.fallback = plugin;
    else this.builtins.push(plugin);
  }

  registerUser(plugin: ConfigManagementPlugin): void {
    this.assertNew(plugin.name);
    this.user.push(plugin);
  }

  get(name: string): ConfigManagementPlugin | undefined {
    return this.all().find((p) => p.name === name);
  }

  names(): string[] { return this.all().map((p) => p.name); }

  /** The plugins added besides the built-ins (Argo's config-management plugins). */
  userPluginNames(): string[] { return this.user.map((p) => p.name); }

  /** The plugin that renders this source directory. */
  async select(appDir: string, source: SourceSpec, opts: { disabled?: ReadonlySet<string> } = {}): Promise<ConfigManagementPlugin> {
    const named = source.plugin?.name;
    if (named) {
      const p = this.get(named);
      if (!p) throw new Error(`config-management plugin "${named}" is not installed (installed: ${this.names().join(", ")})`);
      return p;
    }
    // Tool options written in the source (helm/kustomize/directory) pick that built-in outright,
    // as Argo's ExplicitType does; a disabled tool (argocd-cm `<tool>.enable: false`) is an error.
    const explicit = explicitTool(source);
    if (explicit && explicit !== "plugin") {
      const p = explicit === "directory" ? this.fallback : this.builtins.find((b) => b.name === explicit);
      if (p && opts.disabled?.has(p.name)) throw new Error(`manifest generation with ${p.name} is disabled`);
      if (p) return p;
    }
    for (const p of [...this.user, ...this.builtins]) {
      if (opts.disabled?.has(p.name)) continue;
      if (await p.discover(appDir, source)) return p;
    }
    // `plugin:` options without a name ask for a discovered plugin, never a built-in.
    if (explicit === "plugin") throw new Error("no config-management plugin's discovery rules match this source (set plugin.name to choose one)");
    if (!this.fallback) throw new Error("no config-management plugin claims this source");
    return this.fallback;
  }

  /** The same user plugins over built-ins made with other settings (argocd-cm changed). */
  withBuiltinSettings(settings: ToolSettings): PluginRegistry {
    const next = builtinPlugins(settings);
    for (const p of this.user) next.registerUser(p);
    return next;
  }

  private all(): ConfigManagementPlugin[] {
    return [...this.builtins, ...this.user, ...(this.fallback ? [this.fallback] : [])];
  }

  private assertNew(name: string): void {
    if (this.all().some((p) => p.name === name)) throw new Error(`a plugin named "${name}" is already registered`);
  }
}

/** A registry holding the built-in plugins, in Argo's detection order (Chart.yaml, kustomization, directory). */
export function builtinPlugins(settings: ToolSettings = {}): PluginRegistry {
  const registry = new PluginRegistry();
  registry.registerBuiltin(createHelmPlugin({ settings }));
  registry.registerBuiltin(createKustomizePlugin({ settings }));
  registry.registerBuiltin(directoryPlugin, { fallback: true });
  return registry;
}
