// Runs every health_test.yaml under the bundled customization tree: each case's input goes through
// the full lookup (so the directory, including "_" wildcard directories, must resolve to its own
// script) and must produce exactly the expected status and message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { evaluateResourceHealth, getResourceHealth } from "../engine/health/index.js";
import { parseArgoSettings } from "../engine/settings.js";
import { LuaHealthOverride } from "./customizations.js";
import { bundledCustomizationsDir, createHealthOverride, findScriptDirs, loadCustomizationTree } from "./load.js";

interface HealthTestFile {
  tests: { healthStatus: { status: string; message?: string }; inputPath: string }[];
}

const root = bundledCustomizationsDir();
const tree = loadCustomizationTree(root);
const override = new LuaHealthOverride({ trees: [tree] });
const dirs = findScriptDirs(root, "health_test.yaml");

/** Kinds issue 15 asks to be bundled, each with a case of its own below (wildcard directories too). */
const REQUIRED_KINDS = [
  "argoproj.io/Rollout", "argoproj.io/AnalysisRun", "argoproj.io/Experiment", "argoproj.io/CronWorkflow",
  "argoproj.io/Sensor", "argoproj.io/EventSource", "argoproj.io/EventBus", "argoproj.io/ApplicationSet",
  "cert-manager.io/Certificate", "cert-manager.io/Issuer", "cert-manager.io/ClusterIssuer", "cert-manager.io/CertificateRequest",
  "external-secrets.io/ExternalSecret", "external-secrets.io/ClusterSecretStore", "external-secrets.io/SecretStore",
  "external-secrets.io/PushSecret", "external-secrets.io/ClusterExternalSecret", "bitnami.com/SealedSecret",
  "pkg.crossplane.io/Provider", "pkg.crossplane.io/Configuration", "pkg.crossplane.io/Function",
  "apiextensions.crossplane.io/CompositeResourceDefinition", "apiextensions.crossplane.io/Composition",
  "kustomize.toolkit.fluxcd.io/Kustomization", "helm.toolkit.fluxcd.io/HelmRelease", "source.toolkit.fluxcd.io/GitRepository",
  "source.toolkit.fluxcd.io/HelmRepository", "source.toolkit.fluxcd.io/OCIRepository",
  "serving.knative.dev/Service", "serving.knative.dev/Revision", "serving.knative.dev/Route", "serving.knative.dev/Configuration",
  "keda.sh/ScaledObject", "keda.sh/ScaledJob",
  "kafka.strimzi.io/Kafka", "kafka.strimzi.io/KafkaTopic", "kafka.strimzi.io/KafkaUser", "kafka.strimzi.io/KafkaConnect", "kafka.strimzi.io/KafkaConnector", "kafka.strimzi.io/KafkaRebalance",
  "postgresql.cnpg.io/Cluster", "postgresql.cnpg.io/Backup", "postgresql.cnpg.io/ScheduledBackup",
  "monitoring.coreos.com/Prometheus", "monitoring.coreos.com/Alertmanager", "monitoring.coreos.com/PrometheusAgent",
  "gateway.networking.k8s.io/Gateway", "gateway.networking.k8s.io/GatewayClass", "gateway.networking.k8s.io/HTTPRoute", "gateway.networking.k8s.io/GRPCRoute",
  "cluster.x-k8s.io/Cluster", "cluster.x-k8s.io/Machine", "cluster.x-k8s.io/MachineDeployment",
  "tekton.dev/PipelineRun", "tekton.dev/TaskRun", "kyverno.io/ClusterPolicy", "kyverno.io/Policy",
  "velero.io/Backup", "velero.io/Restore", "velero.io/Schedule", "velero.io/BackupStorageLocation",
  "karpenter.sh/NodePool", "karpenter.sh/NodeClaim", "karpenter.k8s.aws/EC2NodeClass",
];

interface Case { dir: string; status: string; obj: Record<string, unknown> }
const cases: Case[] = dirs.flatMap((dir) => {
  const file = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as HealthTestFile;
  return file.tests.map((tc) => ({ dir, status: tc.healthStatus.status, obj: parse(readFileSync(join(dir, tc.inputPath), "utf8"), { version: "1.1" }) as Record<string, unknown> }));
});
const groupKind = (obj: Record<string, unknown>): string => `${String(obj.apiVersion).split("/")[0]}/${String(obj.kind)}`;

test("the bundled tree has tests for every script and the required kinds", () => {
  assert.deepEqual(dirs.map((d) => relative(root, d)).sort(), [...tree.health.keys()].sort());
  const tested = new Set(cases.map((c) => groupKind(c.obj)));
  const untested = REQUIRED_KINDS.filter((k) => !tested.has(k));
  assert.deepEqual(untested, [], `required kinds without a health_test.yaml case: ${untested.join(", ")}`);
  for (const k of REQUIRED_KINDS) {
    const [group = "", kind = ""] = k.split("/");
    assert.ok(override.findHealthScript(group, kind), `no bundled script resolves for ${k}`);
  }
});

test("every bundled script is tested Healthy and at least one other way", () => {
  for (const dir of dirs) {
    const statuses = new Set(cases.filter((c) => c.dir === dir).map((c) => c.status));
    assert.ok(statuses.has("Healthy"), `${relative(root, dir)} has no Healthy case`);
    assert.ok(statuses.size >= 2, `${relative(root, dir)} is tested only ${[...statuses].join(", ")}`);
  }
});

test("docs/health.md lists every bundled directory", () => {
  const doc = readFileSync(join(root, "..", "..", "..", "docs", "health.md"), "utf8");
  const missing = [...tree.health.keys()].filter((key) => !doc.includes(`\`${key}\``));
  assert.deepEqual(missing, [], `bundled directories missing from docs/health.md: ${missing.join(", ")}`);
});

// Kinds a bundled wildcard covers but leaves without a check, as Argo CD leaves them: no status to
// read. Istio's VirtualService has no script at all (Argo ships none either).
test("configuration kinds without status get no health (they do not count towards app health)", () => {
  const objects = [
    { apiVersion: "kafka.strimzi.io/v1beta2", kind: "KafkaNodePool", metadata: { name: "pool" }, spec: { replicas: 3, roles: ["broker"] } },
    { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "web" }, spec: { selector: {}, endpoints: [{ port: "http" }] } },
    { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "rules" }, spec: { groups: [] } },
    { apiVersion: "gateway.networking.k8s.io/v1beta1", kind: "ReferenceGrant", metadata: { name: "from-shop" }, spec: { from: [], to: [] } },
    { apiVersion: "kyverno.io/v2", kind: "PolicyException", metadata: { name: "allow-debug" }, spec: { exceptions: [] } },
    { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "web" }, spec: { hosts: ["web"] } },
  ];
  for (const obj of objects) {
    assert.equal(evaluateResourceHealth(obj, override).health, undefined, `${groupKind(obj)} should have no health`);
  }
});

test("a user's customization takes precedence over a bundled script, in Argo's order", () => {
  const scaled = cases.find((c) => groupKind(c.obj) === "keda.sh/ScaledObject" && c.status === "Degraded")!.obj;
  const helmRepo = cases.find((c) => groupKind(c.obj) === "source.toolkit.fluxcd.io/HelmRepository" && c.status === "Healthy")!.obj;
  const user = (status: string, message: string): string => `return { status = "${status}", message = "${message}" }`;
  const cm = parseArgoSettings({
    "resource.customizations.health.keda.sh_ScaledObject": user("Healthy", "argocd-cm exact"),
    "resource.customizations": `"*.toolkit.fluxcd.io/*":\n  health.lua: |\n    ${user("Suspended", "argocd-cm wildcard")}\n`,
  });
  assert.deepEqual(cm.errors, []);
  const withCm = createHealthOverride({ resourceOverrides: cm.resourceOverrides });
  assert.deepEqual(getResourceHealth(scaled, withCm), { status: "Healthy", message: "argocd-cm exact" });
  // argocd-cm wildcards come before the bundled tree's exact directories, as in Argo CD.
  assert.deepEqual(getResourceHealth(helmRepo, withCm), { status: "Suspended", message: "argocd-cm wildcard" });
  const dir = mkdtempSync(join(tmpdir(), "hawser-health-"));
  try {
    mkdirSync(join(dir, "keda.sh", "ScaledObject"), { recursive: true });
    writeFileSync(join(dir, "keda.sh", "ScaledObject", "health.lua"), user("Progressing", "user directory"));
    assert.deepEqual(getResourceHealth(scaled, createHealthOverride({ dirs: [dir] })), { status: "Progressing", message: "user directory" });
    // Without any customization the bundled script answers; with the bundled tree off, nothing does.
    assert.equal(getResourceHealth(scaled, createHealthOverride())?.status, "Degraded");
    assert.equal(getResourceHealth(scaled, createHealthOverride({ bundled: false })), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const dir of dirs) {
  const file = parse(readFileSync(join(dir, "health_test.yaml"), "utf8")) as HealthTestFile;
  for (const tc of file.tests) {
    test(`${relative(root, dir)}: ${tc.inputPath}`, () => {
      const obj = parse(readFileSync(join(dir, tc.inputPath), "utf8"), { version: "1.1" }) as Record<string, unknown>;
      const script = override.findHealthScript(String(obj.apiVersion).split("/")[0] ?? "", String(obj.kind));
      assert.equal(script?.origin, `${root}/${relative(root, dir)}/health.lua`);
      assert.deepEqual(override.getResourceHealth(obj), { status: tc.healthStatus.status, message: tc.healthStatus.message ?? "" });
    });
  }
}
