// Pure construction of the `kustomize edit …` and `kustomize build` argv that apply an
// Application's kustomize options, in the order Argo's util/kustomize Build runs them: name
// prefix, name suffix, images, replicas, labels, annotations, namespace (patches are merged into
// the kustomization file, components added last).
import { envsubst } from "../buildenv.js";

export { envsubst };

export type KustomizeImage = string | { name?: string; newName?: string; newTag?: string; digest?: string };

export interface KustomizeOptions {
  namePrefix?: string;
  nameSuffix?: string;
  images: KustomizeImage[];
  replicas: Array<{ name: string; count: number | string }>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  commonAnnotationsEnvsubst: boolean;
  forceCommonLabels: boolean;
  forceCommonAnnotations: boolean;
  labelWithoutSelector: boolean;
  labelIncludeTemplates: boolean;
  namespace?: string;
  patches: Array<Record<string, unknown>>;
  components: string[];
  ignoreMissingComponents: boolean;
  version?: string;
  kubeVersion?: string;
  apiVersions?: string[];
}

/** The object form `{name,newName,newTag,digest}` as kustomize's `name=newName:newTag@digest`. */
export function imageArg(image: KustomizeImage): string {
  if (typeof image === "string") return image;
  let s = image.name ?? "";
  if (image.newName) s += `=${image.newName}`;
  if (image.newTag) s += `:${image.newTag}`;
  if (image.digest) s += `@${image.digest}`;
  return s;
}

const sortedPairs = (m: Record<string, string>, map: (v: string) => string = (v) => v): string[] =>
  Object.keys(m).sort().map((k) => `${k}:${map(m[k]!)}`);

/** `kustomize edit` invocations (without the binary), run in the kustomization directory. */
export function kustomizeEditArgs(o: KustomizeOptions, env: Record<string, string>): string[][] {
  const cmds: string[][] = [];
  if (o.namePrefix) cmds.push(["edit", "set", "nameprefix", "--", o.namePrefix]);
  if (o.nameSuffix) cmds.push(["edit", "set", "namesuffix", "--", o.nameSuffix]);
  if (o.images.length > 0) cmds.push(["edit", "set", "image", ...o.images.map((i) => envsubst(imageArg(i), env))]);
  if (o.replicas.length > 0) cmds.push(["edit", "set", "replicas", ...o.replicas.map((r) => `${r.name}=${String(r.count)}`)]);
  if (Object.keys(o.commonLabels).length > 0) {
    const args = ["edit", "add", "label"];
    if (o.forceCommonLabels) args.push("--force");
    if (o.labelWithoutSelector) args.push("--without-selector");
    if (o.labelWithoutSelector && o.labelIncludeTemplates) args.push("--include-templates");
    cmds.push([...args, ...sortedPairs(o.commonLabels)]);
  }
  if (Object.keys(o.commonAnnotations).length > 0) {
    const args = ["edit", "add", "annotation"];
    if (o.forceCommonAnnotations) args.push("--force");
    cmds.push([...args, ...sortedPairs(o.commonAnnotations, (v) => (o.commonAnnotationsEnvsubst ? envsubst(v, env) : v))]);
  }
  if (o.namespace) cmds.push(["edit", "set", "namespace", "--", o.namespace]);
  if (o.components.length > 0) cmds.push(["edit", "add", "component", ...o.components]);
  return cmds;
}

/** Whether any option needs the kustomization edited (and so a private copy). */
export function needsEdit(o: KustomizeOptions): boolean {
  return kustomizeEditArgs(o, {}).length > 0 || o.patches.length > 0;
}

/** Splits `kustomize.buildOptions` into words (argocd-cm holds a plain flag string). */
export function splitBuildOptions(options: string | undefined): string[] {
  return (options ?? "").split(/\s+/).filter((w) => w !== "");
}

export function kustomizeBuildArgs(dir: string, o: { buildOptions: string[]; helmPath?: string; kubeVersion?: string; apiVersions?: string[] }): string[] {
  const args = ["build", dir, ...o.buildOptions];
  // Helm inflation only happens with --enable-helm; then the chart sees the destination cluster.
  if (o.buildOptions.includes("--enable-helm")) {
    if (o.helmPath && !o.buildOptions.some((w) => w === "--helm-command" || w.startsWith("--helm-command="))) args.push("--helm-command", o.helmPath);
    if (o.kubeVersion) args.push("--helm-kube-version", o.kubeVersion);
    for (const v of o.apiVersions ?? []) args.push("--helm-api-versions", v);
  }
  return args;
}
