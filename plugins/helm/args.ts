// Pure argv construction for the helm CLI (Argo's util/helm/cmd.go), separate from running it so
// the exact flags are table-tested. Value precedence follows from the order helm applies them:
// every `--values` file in order (value files, then the inline values file last), then `--set*`
// flags, which win over all files.

export interface HelmTemplateOptions {
  chartDir: string;
  releaseName: string;
  namespace?: string;
  kubeVersion?: string;
  apiVersions?: string[];
  /** Resolved value files (paths or allowed URLs), in the user's order. */
  valueFiles: string[];
  /** A file holding `valuesObject` (or `values`), applied after the value files. */
  inlineValuesFile?: string;
  parameters: Array<{ name: string; value: string; forceString?: boolean }>;
  /** Resolved paths. */
  fileParameters: Array<{ name: string; path: string }>;
  skipCrds?: boolean;
  skipTests?: boolean;
  skipSchemaValidation?: boolean;
  passCredentials?: boolean;
}

/**
 * Escapes unescaped commas so a `--set` value stays one value, except for `{a,b}` lists, which
 * helm parses as arrays (Argo's cleanSetParameters).
 */
export function cleanSetParameter(value: string): string {
  if (value.startsWith("{") && value.endsWith("}")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "," && (i === 0 || value[i - 1] !== "\\")) out += "\\,";
    else out += c;
  }
  return out;
}

export function helmTemplateArgs(o: HelmTemplateOptions): string[] {
  const args = ["template", o.chartDir, "--name-template", o.releaseName];
  if (o.namespace) args.push("--namespace", o.namespace);
  if (o.kubeVersion) args.push("--kube-version", o.kubeVersion);
  for (const f of o.valueFiles) args.push("--values", f);
  if (o.inlineValuesFile) args.push("--values", o.inlineValuesFile);
  for (const p of o.parameters) args.push(p.forceString ? "--set-string" : "--set", `${p.name}=${cleanSetParameter(p.value)}`);
  for (const p of o.fileParameters) args.push("--set-file", `${p.name}=${cleanSetParameter(p.path)}`);
  for (const v of o.apiVersions ?? []) args.push("--api-versions", v);
  if (!o.skipCrds) args.push("--include-crds");
  if (o.skipSchemaValidation) args.push("--skip-schema-validation");
  if (o.skipTests) args.push("--skip-tests");
  if (o.passCredentials) args.push("--pass-credentials");
  return args;
}

export interface HelmPullOptions {
  repoURL: string;
  chart: string;
  version: string;
  destDir: string;
  /** No password here on purpose: argv is readable by every process (/proc/<pid>/cmdline). */
  username?: string;
  passCredentials?: boolean;
  insecureSkipTLSVerify?: boolean;
  caFile?: string;
  /** TLS client certificate and key files. */
  certFile?: string;
  keyFile?: string;
  plainHttp?: boolean;
}

/**
 * `helm pull` for a chart in an http(s) repository (`--repo`) or an `oci://` registry. Passwords
 * never go in argv: http(s) repositories get them through `helm repo add --password-stdin`, OCI
 * registries through `helm registry login --password-stdin` (helmRegistryLoginArgs).
 */
export function helmPullArgs(o: HelmPullOptions): string[] {
  const oci = o.repoURL.startsWith("oci://");
  const ref = oci ? `${o.repoURL.replace(/\/+$/, "")}/${o.chart}` : o.chart;
  const args = ["pull", ref];
  if (!oci) args.push("--repo", o.repoURL);
  args.push("--version", o.version, "--untar", "--untardir", o.destDir);
  // An OCI registry takes credentials from the registry config written by `helm registry login`.
  if (o.username && !oci) args.push("--username", o.username);
  if (o.passCredentials) args.push("--pass-credentials");
  if (o.insecureSkipTLSVerify) args.push("--insecure-skip-tls-verify");
  if (o.caFile) args.push("--ca-file", o.caFile);
  if (o.certFile && o.keyFile) args.push("--cert-file", o.certFile, "--key-file", o.keyFile);
  if (o.plainHttp) args.push("--plain-http");
  return args;
}

/** The `host[:port]` of an `oci://` repository URL, which `helm registry login` takes. */
export function ociRegistryHost(repoURL: string): string {
  return repoURL.replace(/^oci:\/\//, "").split("/")[0] ?? "";
}

/** `helm registry login`, reading the password from stdin into the registry config in HELM_REGISTRY_CONFIG. */
export function helmRegistryLoginArgs(o: { repoURL: string; username: string; insecureSkipTLSVerify?: boolean; certFile?: string; keyFile?: string; caFile?: string; plainHttp?: boolean | undefined }): string[] {
  const args = ["registry", "login", ociRegistryHost(o.repoURL), "--username", o.username, "--password-stdin"];
  if (o.insecureSkipTLSVerify) args.push("--insecure");
  if (o.plainHttp) args.push("--plain-http");
  if (o.certFile && o.keyFile) args.push("--cert-file", o.certFile, "--key-file", o.keyFile);
  if (o.caFile) args.push("--ca-file", o.caFile);
  return args;
}

/**
 * Why `chart` cannot name a chart, or undefined. The name becomes part of helm's argv and of a
 * cache directory, so a leading dash, a `.`/`..` segment or anything beyond letters, digits, `.`,
 * `_` and `-` is refused before any tool or network call; `/` separates segments only in an OCI
 * registry, whose charts may sit below the registry path.
 */
export function chartNameProblem(chart: string, oci: boolean): string | undefined {
  if (chart === "") return "must not be empty";
  const segments = chart.split("/");
  if (!oci && segments.length > 1) return `"${chart}" must be a chart name of the repository's index, without "/"`;
  for (const s of segments) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) return `"${chart}" is not a chart name: each part must start with a letter or digit and hold only letters, digits, ".", "_" and "-"`;
  }
  return undefined;
}

/**
 * Why an `oci://` repository URL is not a registry reference, or undefined: a host (and port),
 * an optional path of lower-case repository parts, no credentials, query or fragment. The URL is
 * not repeated in the message, since it may carry a password.
 */
export function ociReferenceProblem(repoURL: string): string | undefined {
  if (!repoURL.startsWith("oci://")) return "must start with oci://";
  // Split by hand: URL parsing would resolve `..` segments that helm is handed as written.
  const rest = repoURL.slice("oci://".length);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
  if (authority.includes("@")) return "must not carry credentials (put them in the repository Secret)";
  if (/[?#]/.test(rest)) return "must not have a query or fragment";
  let host: string;
  try {
    host = new URL(`oci://${authority}`).hostname;
  } catch {
    return "is not a valid URL (oci://HOST[:PORT]/PATH)";
  }
  if (!host) return "has no registry host (oci://HOST[:PORT]/PATH)";
  if (path !== "" && !path.split("/").every((p) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p))) {
    return "has a path that is not an OCI repository name (lower-case letters, digits and single separators . _ - per part)";
  }
  return undefined;
}
