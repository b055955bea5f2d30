// `hawser app diff NAME`: the app's state as the controller sees it, through the same app-state
// pipeline (operator/appstate): argocd-cm and the project read from the cluster, the target
// rendered as the controller renders it, the live objects listed once (ListedLiveView) and compared
// with the controller's compareApp. What differs is only where git and the live objects come from.
import { execFile } from "node:child_process";
import { readFile, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { stringify } from "yaml";
import { builtinPlugins } from "../../../plugins/index.js";
import { LABEL_SECRET_TYPE } from "../../api/annotations.js";
import type { Application } from "../../api/index.js";
import { appDestination, evaluateAppState, registeredClusters } from "../../appstate/one-shot.js";
import { parseAppStateSettings } from "../../appstate/settings.js";
import { signatureCheck, sourceIntegrityRefusal } from "../../appstate/signatures.js";
import type { ApplicationObject, AppProjectObject } from "../../appstate/types.js";
import type { AppProjectSpec } from "../../api/index.js";
import { GpgKeyring } from "../../git/gpg.js";
import { isRecord } from "../../util/index.js";
import { IN_CLUSTER_SERVER, kubeConfigForCluster, type ClusterEntry } from "../../cluster/clusters.js";
import { maskSecrets, unifiedDiff, type JsonObject } from "../../engine/diff/index.js";
import type { ProjectPolicySpec } from "../../engine/project.js";
import { missingProjectMessage } from "../../engine/sync/validate.js";
import { SecretCredentialStore } from "../../git/credentials.js";
import { ProjectRepoCaches } from "../../git/project-repos.js";
import { checkFileSize, type Checkout, type ReadFileOptions, type RepoSource } from "../../git/types.js";
import { KubeClient, type KubeObject } from "../../kube/client.js";
import { RenderCache } from "../../render/index.js";
import type { Logger } from "../../runtime/logger.js";
import { virtualProject } from "../project.js";
import { MappedRepoSource } from "../render.js";

const LOCAL_REVISION = "local";

/** Serves one plain directory (not necessarily a git work tree) as every repository, for `--local`. */
export class LocalDirSource implements RepoSource {
  constructor(private readonly root: string) {}
  resolveRevision(): Promise<string> { return Promise.resolve(LOCAL_REVISION); }
  listFiles(): Promise<string[]> { return Promise.reject(new Error("--local does not list files")); }
  listDirectories(): Promise<string[]> { return Promise.reject(new Error("--local does not list directories")); }
  async readFile(repoURL: string, _commit: string, path: string, opts?: ReadFileOptions): Promise<Buffer> {
    const full = resolve(this.root, path);
    if (full !== this.root && !full.startsWith(this.root + sep)) throw new Error(`${path} is outside ${this.root}`);
    checkFileSize(repoURL, path, (await stat(full)).size, opts?.maxBytes);
    return readFile(full);
  }
  checkout(repoURL: string): Promise<Checkout> { return Promise.resolve({ repoURL, commit: LOCAL_REVISION, path: this.root, release: () => undefined }); }
}

function gitTopLevel(dir: string): Promise<string | undefined> {
  return new Promise((res) => {
    execFile("git", ["-C", dir, "rev-parse", "--show-toplevel"], { encoding: "utf8" }, (err, stdout) => res(err ? undefined : stdout.trim() || undefined));
  });
}

export interface LiveDiffInput {
  client: KubeClient;
  /** The controller's namespace: where argocd-cm and repository Secrets live. */
  namespace: string;
  app: Application;
  /** --repo URL=PATH (file URLs). */
  repoMap: Map<string, string>;
  /** --local DIR and --local-repo-root ROOT. */
  local?: { dir: string; root?: string };
  revision?: string;
  /** --installation-id, used when argocd-cm sets none (as the operator's flag). */
  installationID?: string;
  /** --server-side-diff: the default when the app's compare-options annotation does not choose. */
  serverSideDiff?: boolean;
  log: Logger;
}

export interface LiveDiffResult {
  /** The unified diff per differing resource, in the offline `hawser diff` shape. */
  output: string;
  modified: boolean;
  warnings: string[];
}

async function localApp(app: Application, local: { dir: string; root?: string }): Promise<{ app: Application; repos: RepoSource }> {
  if (app.spec.sources && app.spec.sources.length > 0) throw new Error(`application ${app.metadata.name ?? ""}: --local is not supported for multi-source applications`);
  if (!app.spec.source) throw new Error(`application ${app.metadata.name ?? ""} has no spec.source`);
  const dir = await realpath(resolve(local.dir));
  if (!(await stat(dir)).isDirectory()) throw new Error(`--local ${local.dir} is not a directory`);
  const root = local.root ? await realpath(resolve(local.root)) : ((await gitTopLevel(dir)) ?? dir);
  const rel = relative(root, dir);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`--local ${local.dir} is not inside the repository root ${root}`);
  const copy = structuredClone(app);
  copy.spec.source = { ...app.spec.source, path: rel === "" ? "." : rel.split(sep).join("/") };
  return { app: copy, repos: new LocalDirSource(root) };
}

/** The repository credentials of the control namespace (repository and repo-creds Secrets), as the controller reads them. */
export async function repoCredentials(client: KubeClient, namespace: string): Promise<SecretCredentialStore> {
  try {
    const secrets = await client.list("v1", "Secret", { namespace, labelSelector: `${LABEL_SECRET_TYPE} in (repository,repo-creds)` });
    return new SecretCredentialStore(secrets.items);
  } catch {
    // Without read access to Secrets, public repositories still work.
    return new SecretCredentialStore();
  }
}

export async function liveDiff(input: LiveDiffInput): Promise<LiveDiffResult> {
  const { client, namespace } = input;
  let app = input.app;
  let repos: RepoSource;
  let cache: ProjectRepoCaches | undefined;
  if (input.local) ({ app, repos } = await localApp(app, input.local));
  else {
    // A cache of its own: git writes from this process must not race the operator's on one machine.
    // The app's project's repository Secrets first, as the controller reads them (project-repos.ts).
    cache = new ProjectRepoCaches({ credentials: await repoCredentials(client, namespace), baseDir: join(homedir(), ".cache", "hawser", "cli"), cache: { logger: input.log } });
    repos = new MappedRepoSource(cache.forProject(app.spec.project || "default"), input.repoMap);
  }
  try {
    return await compareWithCluster(input, app, repos);
  } finally {
    cache?.close();
  }
}

/** The destination as the controller resolves it: Argo cluster Secrets in NS, plus in-cluster (this kubeconfig). */
export async function destinationCluster(client: KubeClient, namespace: string, app: Application): Promise<ClusterEntry> {
  let secrets: KubeObject[] = [];
  try {
    secrets = (await client.list("v1", "Secret", { namespace, labelSelector: `${LABEL_SECRET_TYPE}=cluster` })).items;
  } catch {
    // Without read access to Secrets only the in-cluster destination resolves.
  }
  return appDestination(app as unknown as ApplicationObject, registeredClusters(secrets, { inClusterEnabled: true }));
}

async function compareWithCluster(input: LiveDiffInput, app: Application, repos: RepoSource): Promise<LiveDiffResult> {
  const cluster = await destinationCluster(input.client, input.namespace, app);
  if (cluster.server === IN_CLUSTER_SERVER) return compareIn(input, app, repos, input.client, cluster);
  const remote = new KubeClient(kubeConfigForCluster(cluster));
  try {
    return await compareIn(input, app, repos, remote, cluster);
  } finally {
    remote.close();
  }
}

/**
 * Runs `evaluate` with the controller's commit check: when the project requires signed commits
 * (signatureKeys), each commit is verified against argocd-gpg-keys-cm first
 * (appstate/signatures.ts), and a refused one fails the diff with the controller's
 * ComparisonError message; a --local directory, having no commit, is refused.
 */
async function withSignatureCheck<T>(input: LiveDiffInput, app: ApplicationObject, project: AppProjectObject, repos: RepoSource,
  evaluate: (verifyCommit: ((repoURL: string, commit: string) => Promise<void>) | undefined) => Promise<T>): Promise<T> {
  const projectName = project.metadata.name ?? "";
  const signatureKeys = (project.spec as AppProjectSpec | undefined)?.signatureKeys;
  // As the controller: policies Hawser cannot enforce refuse the comparison.
  const integrity = sourceIntegrityRefusal(projectName, (project.spec as AppProjectSpec | undefined)?.sourceIntegrity);
  if (integrity) throw new Error(`application ${app.metadata.name ?? ""}: ${integrity}`);
  const keyring = new GpgKeyring();
  try {
    const gnupgHome = async (): Promise<string> => {
      const keys = await input.client.get("v1", "ConfigMap", "argocd-gpg-keys-cm", input.namespace);
      return keyring.home(keys && isRecord(keys.data) ? Object.fromEntries(Object.entries(keys.data).filter((e): e is [string, string] => typeof e[1] === "string")) : {});
    };
    const verifyCommit = signatureCheck({ name: projectName, signatureKeys }, repos, gnupgHome);
    if (verifyCommit && input.local) {
      throw new Error(`application ${app.metadata.name ?? ""}: AppProject ${projectName} requires signed commits (signatureKeys), and a --local directory has no commit to verify`);
    }
    return await evaluate(verifyCommit);
  } finally {
    await keyring.close();
  }
}

async function compareIn(input: LiveDiffInput, app: Application, repos: RepoSource, client: KubeClient, cluster: ClusterEntry): Promise<LiveDiffResult> {
  const namespace = input.namespace;
  const appObj = app as unknown as ApplicationObject;
  // Settings and the project live with the controller (the kubeconfig's cluster), not in the destination.
  const cm = await input.client.get("v1", "ConfigMap", "argocd-cm", namespace);
  const settings = parseAppStateSettings(cm, { ...(input.installationID ? { installationID: input.installationID } : {}), plugins: builtinPlugins() });
  const projectName = app.spec.project || "default";
  const project = await virtualProject(input.client, namespace, projectName, cm);
  // Fail closed as the controller does: without the project no live object is the app's.
  if (!project) throw new Error(`application ${app.metadata.name ?? ""}: ${missingProjectMessage(projectName)}`);
  const { rendered, compared: cmp } = await withSignatureCheck(input, appObj, project, repos, (verifyCommit) => evaluateAppState({
    app: appObj, cluster, client, settings,
    render: { repos, cache: new RenderCache(), log: input.log },
    renderOptions: { ...(input.revision && !input.local ? { revisions: [input.revision] } : {}), ...(verifyCommit ? { verifyCommit } : {}) },
    compare: {
      controllerNamespace: namespace, project: project.spec as ProjectPolicySpec | undefined,
      serverSideDiffDefault: input.serverSideDiff === true,
      // Under sync impersonation the dry runs go as the project's service account, as the controller's.
      clientAs: (user) => client.asUser(user),
    },
  }));
  const warnings = [...rendered.warnings];
  if (cmp.excluded.length > 0) warnings.push(`resources of excluded kinds are not compared: ${cmp.excluded.join(", ")}`);
  let output = "";
  let modified = false;
  cmp.resources.forEach((r, i) => {
    const status = cmp.statuses[i];
    if (r.hook || !r.diff || status?.status !== "OutOfSync") return;
    for (const w of r.diff.warnings) warnings.push(`${r.key}: ${w}`);
    modified = true;
    const [from, to] = maskSecrets(r.diff.normalizedLive, r.diff.predictedLive);
    const yaml = (o: JsonObject | null): string => (o ? stringify(o, { sortMapEntries: true }) : "");
    output += `===== ${r.group}/${r.kind} ${r.namespace ?? ""}/${r.name} ======\n`;
    output += unifiedDiff(yaml(from), yaml(to), "live", "target");
  });
  return { output, modified, warnings };
}
