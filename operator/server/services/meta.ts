// The endpoints that describe the installation: GET /api/version and GET /api/v1/settings
// (argo-cd-server.md §1.4). Both answer anonymous callers, with less.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../paths.js";
import { versions } from "../../tools/index.js";
import type { ServerCache } from "../cache.js";
import type { ApiRouter } from "../http/api.js";

export interface MetaServiceDeps {
  cache: ServerCache;
  /** settings.oidcConfig, from the SSO client (undefined when SSO is not configured). */
  oidcSettings?: () => Record<string, unknown> | undefined;
  /** The config-management plugins added to the built-ins (GET /api/v1/settings/plugins). */
  pluginNames?: () => string[];
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export class MetaService {
  private readonly version = `v${packageVersion()}`;

  constructor(private readonly deps: MetaServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/version", ({ caller }) => {
      if (!caller.claims) return { Version: this.version };
      const v = versions();
      return {
        Version: this.version, BuildDate: "", GitCommit: "", GitTag: "", GitTreeState: "",
        GoVersion: "", Compiler: "node", Platform: `${process.platform}/${process.arch}`,
        KustomizeVersion: v.kustomize, HelmVersion: v.helm, KubectlVersion: v.kubernetes, JsonnetVersion: v.jsonnet,
        ExtraBuildInfo: `node ${process.version}`,
      };
    }, { optionalAuth: true });
    r.get("/api/v1/settings", ({ caller }) => this.settings(caller.claims !== undefined), { optionalAuth: true });
    // Argo lists only its config-management plugins here, not the built-in tools; a login is needed.
    r.get("/api/v1/settings/plugins", () => {
      const names = this.deps.pluginNames?.() ?? [];
      return names.length > 0 ? { plugins: names.map((name) => ({ name })) } : {};
    });
  }

  private settings(loggedIn: boolean): Record<string, unknown> {
    const cm = this.deps.cache.configMap("argocd-cm") ?? {};
    const params = this.deps.cache.configMap("argocd-cmd-params-cm") ?? {};
    const out: Record<string, unknown> = {};
    const set = (k: string, v: unknown): void => {
      if (v === undefined || v === "" || v === false || (Array.isArray(v) && v.length === 0)) return;
      out[k] = v;
    };
    set("url", cm.url);
    set("appLabelKey", cm["application.instanceLabelKey"] || "app.kubernetes.io/instance");
    set("statusBadgeEnabled", cm["statusbadge.enabled"] === "true");
    set("statusBadgeRootUrl", cm["statusbadge.url"]);
    set("userLoginsDisabled", cm["admin.enabled"] === "false" && !Object.keys(cm).some((k) => /^accounts\.[^.]+$/.test(k) && (cm[k] ?? "").includes("login")));
    set("uiCssURL", cm["ui.cssurl"]);
    set("uiLoginButtonText", cm["ui.loginButtonText"]);
    set("trackingMethod", cm["application.resourceTrackingMethod"] || "annotation");
    set("installationID", cm.installationID);
    set("execEnabled", cm["exec.enabled"] === "true");
    set("appsInAnyNamespaceEnabled", this.deps.cache.applicationNamespaces.length > 0 || Boolean(params["application.namespaces"]));
    set("impersonationEnabled", cm["application.sync.impersonation.enabled"] === "true");
    set("help", helpSettings(cm));
    if (Object.keys(out.help as object).length === 0) delete out.help;
    const oidc = this.deps.oidcSettings?.();
    if (oidc) out.oidcConfig = oidc;
    if (loggedIn) {
      set("uiBannerContent", cm["ui.bannercontent"]);
      set("uiBannerURL", cm["ui.bannerurl"]);
      set("uiBannerPermanent", cm["ui.bannerpermanent"] === "true");
      set("uiBannerPosition", cm["ui.bannerposition"]);
      // The UI hides its cross-app resource list (/resources) when argocd-cm turns it off.
      set("uiViewResourcesDisabled", cm["ui.view.resources.disabled"] === "true");
      set("controllerNamespace", this.deps.cache.namespace);
      set("passwordPattern", cm.passwordPattern || "^.{8,32}$");
    }
    return out;
  }
}

/**
 * settings.help from argocd-cm: `help.chatUrl`, `help.chatText`, and each `help.download.<os>-<arch>`
 * as `binaryUrls["<os>-<arch>"]` (the Help page's CLI download links).
 */
export function helpSettings(cm: Record<string, string>): { chatUrl?: string; chatText?: string; binaryUrls?: Record<string, string> } {
  const binaryUrls: Record<string, string> = {};
  for (const [k, v] of Object.entries(cm)) {
    const platform = /^help\.download\.(.+)$/.exec(k)?.[1];
    if (platform && v) binaryUrls[platform] = v;
  }
  return {
    ...(cm["help.chatUrl"] ? { chatUrl: cm["help.chatUrl"] } : {}),
    ...(cm["help.chatText"] ? { chatText: cm["help.chatText"] } : {}),
    ...(Object.keys(binaryUrls).length ? { binaryUrls } : {}),
  };
}
