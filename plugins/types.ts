// The interface every config-management plugin implements: built-in ones (directory, helm,
// kustomize, jsonnet, cmp) and the modules users drop into a plugin directory. A plugin turns a
// checked-out source directory into Kubernetes manifests; it never touches the cluster.
import type { Logger } from "../operator/runtime/logger.js";

/** A Kubernetes object as rendered, before anything is applied. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The Application source as written in the manifest (tool options included). */
export type SourceSpec = {
  repoURL?: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
  ref?: string;
  helm?: Record<string, unknown>;
  kustomize?: Record<string, unknown>;
  directory?: Record<string, unknown>;
  plugin?: { name?: string; env?: Array<{ name: string; value: string }>; parameters?: unknown[] };
  [key: string]: unknown;
};

export interface RenderRequest {
  appName: string;
  appNamespace: string;
  project: string;
  /** Absolute path of the checked-out repository root; nothing outside it may be read. */
  repoRoot: string;
  /** Absolute path of the source directory (repoRoot joined with source.path). */
  appDir: string;
  source: SourceSpec;
  /** The commit being rendered. */
  revision: string;
  destinationNamespace: string;
  kubeVersion?: string;
  apiVersions?: string[];
  /** Argo's build environment (ARGOCD_APP_NAME, …), passed to tools that run commands. */
  env: Record<string, string>;
  /** Multi-source: checkout roots of `ref` sources by ref name, for `$ref/...` value files. */
  refSources?: Record<string, string>;
}

/** Operator-wide tool settings (argocd-cm), given to the built-in plugins when they are created. */
export interface ToolSettings {
  /** `helm.valuesFileSchemes`; default http, https. */
  helmValuesFileSchemes?: string[];
  /** `kustomize.buildOptions`, split like a shell would split plain words. */
  kustomizeBuildOptions?: string;
  /** `kustomize.path.<v>` / `kustomize.buildOptions.<v>` for `kustomize.version`. */
  kustomizeVersions?: Record<string, { path?: string; buildOptions?: string }>;
  /** Per tool run; default 90 s. */
  execTimeoutMs?: number;
  /** Cap on a tool's stdout; default 64 MiB (the manifest size limit). */
  execMaxOutputBytes?: number;
  /** Where pulled Helm repository charts are kept; default a directory under the OS temp dir. */
  helmChartCacheDir?: string;
  /**
   * Argo's `reposerver.allow.oob.symlinks`: skip the out-of-bounds symlink check (containment.ts).
   * Dangerous: anyone who can push can then read any file the operator can.
   */
  allowOutOfBoundsSymlinks?: boolean;
}

export interface RenderResult {
  manifests: Manifest[];
  /** Non-fatal notes for the user (shown as a condition). */
  warnings?: string[];
}

export interface PluginContext {
  log: Logger;
  signal?: AbortSignal;
  /**
   * The PEM CA argocd-tls-certs-cm configures for a URL's host (undefined: the system CAs); it
   * throws when that entry is unusable. Helm uses it for chart dependencies' repositories.
   */
  caFor?: (url: string) => Promise<string | undefined>;
}

export interface ConfigManagementPlugin {
  /** Unique name; `spec.source.plugin.name` selects a plugin by it. */
  name: string;
  /**
   * Whether this plugin applies to the source directory when no tool is named explicitly.
   * Built-ins are asked in Argo's detection order; user plugins before the directory fallback.
   */
  discover(appDir: string, source: SourceSpec): Promise<boolean>;
  generate(request: RenderRequest, ctx: PluginContext): Promise<RenderResult>;
}

/** Thrown by a plugin for input the user must fix (bad path, bad YAML, …). */
export class RenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RenderError";
  }
}
