// argocd-cm as every consumer of an app's state reads it: the controller settings (tracking,
// ignore rules, health overrides, exclusions), the render settings (tool options) and the built-in
// plugins made with those tool settings. Parsed once per version of the ConfigMap, since every
// reconcile asks for it.
import type { PluginRegistry } from "../../plugins/index.js";
import { defaultSettings, parseArgoSettings, type ArgoSettings } from "../engine/settings.js";
import type { KubeObject } from "../kube/client.js";
import { renderSettingsFromArgoCm } from "../render/settings.js";
import type { RenderSettings } from "../render/index.js";

export interface AppStateSettings {
  argo: ArgoSettings;
  render: RenderSettings;
  /** The plugin registry with built-ins made for these tool settings (user plugins kept). */
  plugins?: PluginRegistry;
}

export interface SettingsOptions {
  /** The default installation id when argocd-cm sets none (the --installation-id flag). */
  installationID?: string;
  /** reposerver.allow.oob.symlinks from argocd-cmd-params-cm or its flag. */
  allowOutOfBoundsSymlinks?: boolean;
  /** The plugins loaded at start-up; omitted where nothing renders. */
  plugins?: PluginRegistry;
  /** Called once per version of argocd-cm whose values have problems (to say so where users look). */
  onInvalid?: (errors: readonly string[], cm: KubeObject) => void;
}

/** argocd-cm's data, parsed; `cm` undefined means no ConfigMap (Argo's defaults). */
export function parseAppStateSettings(cm: KubeObject | undefined, opts: SettingsOptions): AppStateSettings {
  const data = (cm as { data?: Record<string, string> } | undefined)?.data;
  const argo = cm ? parseArgoSettings(data) : defaultSettings();
  argo.installationID ??= opts.installationID;
  const render: RenderSettings = {
    ...renderSettingsFromArgoCm(data),
    ...(opts.allowOutOfBoundsSymlinks ? { allowOutOfBoundsSymlinks: true } : {}),
  };
  return { argo, render, plugins: opts.plugins?.withBuiltinSettings(render) };
}

/** Parses argocd-cm again only when its resourceVersion changed. */
export class SettingsCache {
  private parsed?: { resourceVersion: string; settings: AppStateSettings };

  constructor(private readonly read: () => KubeObject | undefined, private readonly opts: SettingsOptions) {}

  get(): AppStateSettings {
    const cm = this.read();
    const rv = cm?.metadata.resourceVersion ?? "";
    if (this.parsed?.resourceVersion !== rv) {
      this.parsed = { resourceVersion: rv, settings: parseAppStateSettings(cm, this.opts) };
      const errors = this.parsed.settings.argo.errors;
      if (cm && errors.length > 0) this.opts.onInvalid?.(errors, cm);
    }
    return this.parsed.settings;
  }
}
