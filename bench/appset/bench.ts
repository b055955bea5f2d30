// Benchmark P8 (shared/spec/benchmarks.md), the ApplicationSet part, on a local control plane:
//   ceiling: W_max, creates/s of 3,000 small ConfigMaps 32 in flight, measured in the same run;
//   create:  one ApplicationSet with a list generator of N elements → N Applications, through the
//            ApplicationSetController (informers + workqueue + reconciler) running in-process;
//   update:  a template change → N updates; no-op: a reconcile with nothing changed → 0 writes;
//   cluster add: S list sets and C clusters-generator sets exist; adding a cluster Secret must
//            re-evaluate only the C sets (counted by each reconcile's GET of its ApplicationSet).
// The apiserver write counts come from the client's request observer (every POST/PUT/PATCH/DELETE).
// Usage: node --import tsx bench/appset/bench.ts [--kubeconfig FILE] [--n 10000] [--out FILE]
//        (without --kubeconfig a dev cluster "bench-appset" is started and stopped)
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { builtinGenerators } from "../../generators/index.js";
import { generateApplications, type AppSetLike } from "../../operator/appset/generate.js";
import { goTemplateEngine } from "../../operator/appset/gotemplate-wasm.js";
import { ApplicationSetController } from "../../operator/controllers/applicationset/controller.js";
import { startCluster, stopCluster } from "../../operator/devcluster/index.js";
import { installCrds } from "../../operator/kube/crd-install.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { createLogger, memoryLogger } from "../../operator/runtime/logger.js";

const API = "argoproj.io/v1alpha1";
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(argValue("n") ?? 10_000);
const outFile = argValue("out") ?? join("bench", "results", "appset-p8.md");
const LIST_SETS = 20;
const CLUSTER_SETS = 5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function listAppSet(name: string, ns: string, n: number, pathPrefix: string): KubeObject {
  return {
    apiVersion: API,
    kind: "ApplicationSet",
    metadata: { name, namespace: ns },
    spec: {
      goTemplate: true,
      generators: [{ list: { elements: Array.from({ length: n }, (_, i) => ({ name: `${name}-${i}`, shard: String(i % 16) })) } }],
      template: {
        metadata: { name: "{{ .name }}", labels: { shard: "{{ .shard }}" } },
        spec: {
          project: "default",
          source: { repoURL: "https://git.example/apps.git", path: `${pathPrefix}/{{ .name }}`, targetRevision: "main" },
          destination: { server: "https://kubernetes.default.svc", namespace: "{{ .name }}" },
        },
      },
      syncPolicy: { preserveResourcesOnDeletion: true },
    },
  };
}

async function main(): Promise<void> {
  const given = argValue("kubeconfig");
  const clusterName = "bench-appset";
  const kubeconfig = given ?? (await startCluster({ name: clusterName, nodes: 1 })).kubeconfigPath;
  const client = new KubeClient(loadKubeConfig(kubeconfig), { maxSockets: 128 });
  const writes = new Map<string, number>();
  const gets = new Map<string, number>();
  client.onRequest((method, path) => {
    const resource = path.split("?")[0]!.replace(/\/namespaces\/[^/]+/, "").split("/").slice(-2).join("/");
    if (method === "GET") {
      const m = /\/applicationsets\/([^/?]+)$/.exec(path.split("?")[0]!);
      if (m) gets.set(m[1]!, (gets.get(m[1]!) ?? 0) + 1);
      return;
    }
    const key = `${method} ${/\/applications(\/|$|\?)/.test(path) ? "applications" : /\/applicationsets(\/|$|\?)/.test(path) ? "applicationsets" : resource}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  });
  const resetCounts = (): void => { writes.clear(); gets.clear(); };
  const countWrites = (): Record<string, number> => Object.fromEntries([...writes.entries()].sort());
  const totalWrites = (): number => [...writes.values()].reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  const say = (s: string): void => { console.log(s); lines.push(s); };
  // Progress as each phase ends, so a run cut short still shows what it measured.
  const progress = (s: string): void => { process.stderr.write(`[bench ${new Date().toISOString()}] ${s}\n`); };
  const ns = `bench-as-${Date.now().toString(36)}`;
  try {
    await installCrds(client);
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await client.create({ apiVersion: API, kind: "AppProject", metadata: { name: "default", namespace: ns }, spec: { sourceRepos: ["*"], destinations: [{ server: "*", namespace: "*" }] } });

    // Offline generation cost (no apiserver): the share of the create time spent rendering.
    const gen0 = performance.now();
    const offline = await generateApplications(listAppSet("big", ns, N, "v1") as unknown as AppSetLike, {
      registry: builtinGenerators(), loadEngine: goTemplateEngine, log: memoryLogger().logger, projectExists: () => Promise.resolve(true),
    });
    const genMs = performance.now() - gen0;
    if (offline.applications.length !== N) throw new Error(`offline generation gave ${offline.applications.length} Applications: ${offline.errors.map((e) => e.message).join("; ")}`);

    // W_max: plain creates, 32 in flight, of 3,000 small ConfigMaps.
    const wCount = 3000;
    let next = 0;
    const w0 = performance.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < wCount) {
        const i = next++;
        await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `w-${i}`, namespace: ns }, data: { v: "x".repeat(512) } });
      }
    }));
    const wMax = wCount / ((performance.now() - w0) / 1000);

    const log = createLogger({ level: process.env.BENCH_LOG === "info" ? "info" : "warn" });
    const controller = new ApplicationSetController({ client, namespace: ns, workers: 10, generators: builtinGenerators(), log });
    await controller.start();
    const owned = (): number => controller.apps.list().filter((a) => a.metadata.ownerReferences?.some((o) => o.name === "big")).length;
    const upToDate = async (name: string, since: string): Promise<boolean> => {
      const s = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } }>(API, "ApplicationSet", name, ns);
      const c = s?.status?.conditions?.find((x) => x.type === "ResourcesUpToDate");
      return c?.status === "True" && (c.lastTransitionTime ?? "") >= since;
    };

    // Create.
    resetCounts();
    const c0 = performance.now();
    await client.create(listAppSet("big", ns, N, "v1"));
    while (owned() < N) await sleep(100);
    const createMs = performance.now() - c0;
    const createWrites = countWrites();
    const appWrites = writes.get("POST applications") ?? 0;
    progress(`generation ${(genMs / 1000).toFixed(1)} s; W_max ${wMax.toFixed(0)}/s; create ${N} in ${(createMs / 1000).toFixed(1)} s, writes ${JSON.stringify(createWrites)}`);

    // Update: a template change rewrites every Application.
    await sleep(2000); // let the watch events of the creates drain
    resetCounts();
    const u0 = performance.now();
    // A merge patch: the status loop writes the set concurrently, so a replace could conflict.
    await client.patch({ apiVersion: API, kind: "ApplicationSet", name: "big", namespace: ns }, { spec: { template: { spec: { source: { path: "v2/{{ .name }}" } } } } }, { type: "merge" });
    const updated = (): number => controller.apps.list().filter((a) => ((a.spec as { source?: { path?: string } } | undefined)?.source?.path ?? "").startsWith("v2/")).length;
    while (updated() < N) await sleep(100);
    const updateMs = performance.now() - u0;
    const updateWrites = countWrites();
    progress(`update ${N} in ${(updateMs / 1000).toFixed(1)} s, writes ${JSON.stringify(updateWrites)}`);

    // No-op: an annotation change queues a reconcile that must write no Application.
    await sleep(3000);
    resetCounts();
    const n0 = performance.now();
    const stamp = new Date(Date.now() - 1000).toISOString();
    await client.patch({ apiVersion: API, kind: "ApplicationSet", name: "big", namespace: ns }, { metadata: { annotations: { "bench/poke": String(Date.now()) } } }, { type: "merge" });
    while (!(gets.get("big") ?? 0)) await sleep(50);
    await sleep(3000);
    const noopWrites = countWrites();
    const noopMs = performance.now() - n0;
    progress(`no-op writes ${JSON.stringify(noopWrites)}`);
    void stamp;

    // Cluster add: only the clusters-generator sets are re-evaluated.
    for (let i = 0; i < LIST_SETS; i++) await client.create(listAppSet(`list-${i}`, ns, 5, "l"));
    for (let i = 0; i < CLUSTER_SETS; i++) {
      await client.create({
        apiVersion: API, kind: "ApplicationSet", metadata: { name: `clusters-${i}`, namespace: ns },
        spec: {
          generators: [{ clusters: { selector: { matchLabels: { tier: `t${i}` } } } }],
          template: { metadata: { name: `c${i}-{{name}}` }, spec: { project: "default", source: { repoURL: "https://git.example/apps.git", path: "c" }, destination: { server: "{{server}}", namespace: "c" } } },
        },
      });
    }
    const since = new Date().toISOString();
    for (let i = 0; i < LIST_SETS; i++) while (!(await upToDate(`list-${i}`, "")) ) await sleep(100);
    for (let i = 0; i < CLUSTER_SETS; i++) while (!(await upToDate(`clusters-${i}`, ""))) await sleep(100);
    void since;
    await sleep(3000);
    resetCounts();
    await client.create({
      apiVersion: "v1", kind: "Secret",
      metadata: { name: "cluster-east", namespace: ns, labels: { "argocd.argoproj.io/secret-type": "cluster", tier: "t0" } },
      stringData: { name: "east", server: "https://east.example:6443", config: "{}" },
    });
    while (controller.apps.list().filter((a) => a.metadata.name === "c0-east").length === 0) await sleep(100);
    await sleep(3000);
    const evaluated = [...gets.entries()].filter(([, v]) => v > 0).map(([k]) => k).sort();
    await controller.stop();

    const cores = cpus().length;
    const rate = (count: number, ms: number): string => (count / (ms / 1000)).toFixed(0);
    say(`# ApplicationSet benchmark (P8, list generator part)`);
    say("");
    say(`Run ${new Date().toISOString()} on ${process.platform}, ${cores} cores (shared with other sessions); local dev cluster (kube-apiserver + etcd). Controller in-process: ApplicationSetController, 10 workers, 32 Application writes in flight per reconcile, goTemplate mode. Command: \`node --import tsx bench/appset/bench.ts --n ${N}\`.`);
    say("");
    say(`| phase | N | wall time | Application writes | writes/s | all apiserver writes |`);
    say(`|---|---|---|---|---|---|`);
    say(`| create (set created → N Applications in the informer) | ${N} | ${(createMs / 1000).toFixed(1)} s | ${appWrites} POST | ${rate(appWrites, createMs)} | ${JSON.stringify(createWrites)} |`);
    say(`| update (template change → N updated) | ${N} | ${(updateMs / 1000).toFixed(1)} s | ${updateWrites["PUT applications"] ?? 0} PUT | ${rate(updateWrites["PUT applications"] ?? 0, updateMs)} | ${JSON.stringify(updateWrites)} |`);
    say(`| no-op reconcile (annotation poke) | ${N} | ${(noopMs / 1000).toFixed(1)} s observed | ${(noopWrites["POST applications"] ?? 0) + (noopWrites["PUT applications"] ?? 0) + (noopWrites["DELETE applications"] ?? 0)} | – | ${JSON.stringify(noopWrites)} (${totalWrites()} after the cluster phase reset) |`);
    say("");
    say(`Offline generation of the ${N} Applications (generate + render + validate, no apiserver): ${(genMs / 1000).toFixed(1)} s.`);
    say(`W_max in the same run (3,000 ConfigMap creates, 32 in flight): ${wMax.toFixed(0)} creates/s. Create rate / W_max: ${(appWrites / (createMs / 1000) / wMax).toFixed(2)}; update rate / W_max: ${((updateWrites["PUT applications"] ?? 0) / (updateMs / 1000) / wMax).toFixed(2)}.`);
    say("");
    say(`## Cluster add`);
    say("");
    say(`${LIST_SETS} list sets and ${CLUSTER_SETS} clusters-generator sets (plus the big list set). A cluster Secret labelled for clusters-0 was added. Sets re-evaluated (a GET of the ApplicationSet by its reconcile): ${evaluated.join(", ") || "none"} — ${evaluated.length} of ${LIST_SETS + CLUSTER_SETS + 1}. Expected: the ${CLUSTER_SETS} clusters-generator sets only.`);
  } finally {
    await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined);
    client.close();
    if (!given) await stopCluster(clusterName);
  }
  await writeFile(outFile, lines.join("\n") + "\n");
}

await main();
