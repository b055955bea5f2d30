// Finding 7 as an attack: a local user (or any tool a render runs) reading /proc/<pid>/cmdline
// while the operator pulls charts with credentials. Every process spawned during the renders is
// caught twice: at spawn (its argv and /proc/<pid>/cmdline) and by a poller walking /proc for
// this process's descendants (helm's own children included). No sample may hold a password.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as ChildProcess from "node:child_process";
import type { Application } from "../api/index.js";
import { generatePki } from "../devcluster/pki.js";
import { SecretCredentialStore, type SecretLike } from "../git/credentials.js";
import { createChartCache } from "../../plugins/helm/index.js";
import { builtinPlugins } from "../../plugins/index.js";
import { startHelmRepo } from "../../test/support/helm-repo.js";
import { LocalRepoSource } from "../../test/support/local-repos.js";
import { startOciRegistry } from "../../test/support/oci-registry.js";
import { RenderCache, renderApplication } from "./index.js";

const helmChart = join(import.meta.dirname, "..", "..", "plugins", "helm", "testdata", "basic", "repo", "chart");

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return undefined; // already gone
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Records the command line of every process this test process spawns, directly or not. */
function watchCommandLines(): { samples: string[]; spawned: string[]; stop(): void } {
  const samples: string[] = [];
  const spawned: string[] = [];
  const cp = createRequire(import.meta.url)("node:child_process") as typeof ChildProcess;
  const original = cp.spawn;
  cp.spawn = ((...a: Parameters<typeof original>) => {
    const child = original(...a);
    spawned.push([a[0], ...(Array.isArray(a[1]) ? (a[1] as string[]) : [])].join(" "));
    if (child.pid !== undefined) {
      const line = cmdlineOf(child.pid);
      if (line) samples.push(line);
    }
    return child;
  }) as typeof original;
  // runTool imports spawn as an ES module binding; this makes it see the wrapper.
  syncBuiltinESMExports();
  const poll = setInterval(() => {
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      let p: number | undefined = pid;
      for (let depth = 0; p !== undefined && p > 1 && depth < 8; depth++) {
        p = parentOf(p);
        if (p === process.pid) {
          const line = cmdlineOf(pid);
          if (line) samples.push(line);
          break;
        }
      }
    }
  }, 2);
  return {
    samples,
    spawned,
    stop: () => {
      clearInterval(poll);
      cp.spawn = original;
      syncBuiltinESMExports();
    },
  };
}

function secretsRepo(secrets: SecretLike[]): LocalRepoSource {
  const store = new SecretCredentialStore(secrets);
  return Object.assign(new LocalRepoSource({}), { credentialsFor: (url: string) => store.credentialsFor(url) });
}

const helmSecret = (url: string, data: Record<string, string>): SecretLike => ({
  metadata: { name: `charts-${url.length}`, namespace: "argocd", labels: { "argocd.argoproj.io/secret-type": "repository" } },
  stringData: { type: "helm", name: "charts", url, ...data },
});

const chartApp = (repoURL: string, targetRevision: string): Application => ({
  apiVersion: "argoproj.io/v1alpha1", kind: "Application",
  metadata: { name: "charted", namespace: "argocd" },
  spec: { project: "default", destination: { server: "https://kubernetes.default.svc", namespace: "dest" }, source: { repoURL, chart: "basic", targetRevision } },
});

test("finding 7: no registry or repository password appears in any spawned tool's command line", async () => {
  const OCI_PASSWORD = "oci-s3cret-Passw0rd";
  const HTTP_PASSWORD = "http-s3cret-Passw0rd";
  const pkiDir = await mkdtemp(join(tmpdir(), "hawser-cred-pki-"));
  const cacheDir = await mkdtemp(join(tmpdir(), "hawser-cred-charts-"));
  const pki = await generatePki(pkiDir);
  const [cert, key] = await Promise.all([pki.apiserverCert, pki.apiserverKey].map((f) => readFile(f, "utf8")));
  const registry = await startOciRegistry({ chartDirs: [helmChart], auth: { username: "oci-user", password: OCI_PASSWORD }, tls: { cert: cert!, key: key! } });
  const httpRepo = await startHelmRepo({ chartDirs: [helmChart], auth: { username: "http-user", password: HTTP_PASSWORD } });
  const watch = watchCommandLines();
  try {
    const repos = secretsRepo([
      helmSecret(registry.url, { username: "oci-user", password: OCI_PASSWORD, insecure: "true" }),
      helmSecret(httpRepo.url, { username: "http-user", password: HTTP_PASSWORD }),
    ]);
    const deps = { repos, plugins: builtinPlugins(), cache: new RenderCache(), charts: createChartCache({ dir: cacheDir }) };
    // A constraint makes helm resolve the OCI version (`helm show chart`), then the chart is pulled.
    const oci = await renderApplication(chartApp(registry.url, "^0.1"), deps);
    assert.deepEqual(oci.revisions, ["0.1.0"]);
    assert.ok(oci.manifests.some((m) => m.kind === "ConfigMap"), "the OCI chart rendered");
    assert.ok(registry.authorized.some((r) => /^GET \/v2\/charts\/basic\/blobs\/sha256:/.test(r)), `the chart was pulled with the credentials: ${registry.authorized.join(", ")}`);
    const http = await renderApplication(chartApp(httpRepo.url, "0.1.0"), deps);
    assert.ok(http.manifests.some((m) => m.kind === "ConfigMap"), "the http(s) repository chart rendered");

    const hide = (line: string): string => line.replaceAll(OCI_PASSWORD, "<OCI password>").replaceAll(HTTP_PASSWORD, "<HTTP password>");
    for (const line of [...watch.spawned, ...watch.samples]) {
      assert.ok(!line.includes(OCI_PASSWORD) && !line.includes(HTTP_PASSWORD), `a password in a command line: ${hide(line)}`);
    }
    const spawnedHelm = watch.spawned.filter((s) => / (registry login|show chart|pull|repo add) /.test(` ${s} `));
    assert.ok(spawnedHelm.some((s) => s.includes("registry login")), `helm registry login ran: ${watch.spawned.map(hide).join("\n")}`);
    assert.ok(spawnedHelm.some((s) => s.includes("show chart")) && spawnedHelm.some((s) => s.includes(" pull ")), "helm show chart and helm pull ran");
    assert.ok(watch.samples.length >= watch.spawned.length, `every spawned process was sampled (${watch.samples.length} samples)`);
  } finally {
    watch.stop();
    await registry.close();
    await httpRepo.close();
    await rm(cacheDir, { recursive: true, force: true });
    await rm(pkiDir, { recursive: true, force: true });
  }
});
