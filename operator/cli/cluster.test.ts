import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { FlagError } from "../flags.js";
import { parseServerFlags } from "./api/command.js";
import { clusterTable, isServerUrl, keyValues, planAdd } from "./cluster.js";

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c1", server: "https://10.1.2.3:6443/", caData: "Q0EtREFUQQ==", skipTLSVerify: false }, { name: "c2", server: "https://other:443", skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "prod", cluster: "c1", user: "u" }, { name: "lab", cluster: "c2", user: "u" }, { name: "broken", cluster: "missing", user: "u" }],
    currentContext: "prod",
  });
  return kc;
}

const addFlags = (...args: string[]) => parseServerFlags(args, {
  values: ["name", "project", "service-account", "system-namespace", "kubeconfig", "control-namespace"],
  repeatable: ["namespace", "label", "annotation"],
  booleans: ["upsert", "in-cluster", "cluster-resources", "yes"],
});

test("cluster add plans the context's server, its CA and Argo's defaults", () => {
  const plan = planAdd(addFlags("prod"), kubeconfig());
  assert.deepEqual(plan, {
    context: "prod", upsert: false, serviceAccount: "argocd-manager", systemNamespace: "kube-system",
    request: { server: "https://10.1.2.3:6443", name: "prod", config: { tlsClientConfig: { caData: "Q0EtREFUQQ==" } } },
  }, "name defaults to the context; the trailing slash is dropped");
});

test("cluster add flags: name, namespaces (repeated or comma-separated), project, labels, in-cluster, insecure", () => {
  const plan = planAdd(addFlags("lab", "--name", "lab-1", "--namespace", "a", "--namespace", "b,c", "--cluster-resources", "--project", "team", "--label", "env=lab", "--annotation", "note=x=y", "--upsert", "--service-account", "sa", "--system-namespace", "ops"), kubeconfig());
  assert.deepEqual(plan, {
    context: "lab", upsert: true, serviceAccount: "sa", systemNamespace: "ops",
    request: {
      server: "https://other:443", name: "lab-1", config: { tlsClientConfig: { insecure: true } },
      namespaces: ["a", "b", "c"], clusterResources: true, project: "team", labels: { env: "lab" }, annotations: { note: "x=y" },
    },
  }, "every flag lands in the request");
  assert.equal(planAdd(addFlags("prod", "--in-cluster"), kubeconfig()).request.server, "https://kubernetes.default.svc", "--in-cluster registers the in-cluster URL");
});

test("cluster add refuses bad input before anything is created, naming the problem", () => {
  const refuses = (args: string[], re: RegExp): void => assert.throws(() => planAdd(addFlags(...args), kubeconfig()), (e: unknown) => e instanceof FlagError && re.test(e.message), `${args.join(" ")} → ${re}`);
  refuses([], /exactly one kubeconfig CONTEXT/);
  refuses(["nope"], /context "nope" is not in the kubeconfig \(known: prod, lab, broken\)/);
  refuses(["broken"], /names cluster "missing"/);
  refuses(["prod", "--cluster-resources"], /--cluster-resources only means something with --namespace/);
  refuses(["prod", "--label", "novalue"], /--label wants KEY=VALUE, got "novalue"/);
});

test("keyValues, isServerUrl and the cluster table", () => {
  assert.deepEqual(keyValues(["a=1", "b="], "label"), { a: "1", b: "" }, "empty values are values");
  assert.throws(() => keyValues(["=x"], "annotation"), /--annotation wants KEY=VALUE/, "a key is needed");
  assert.equal(isServerUrl("https://x"), true, "a URL is a server");
  assert.equal(isServerUrl("prod"), false, "anything else is a name");
  assert.equal(clusterTable([{ server: "https://x", name: "x", info: { serverVersion: "1.36", connectionState: { status: "Successful", message: "" } }, project: "p" }]),
    clusterTable([{ server: "https://x", name: "x", serverVersion: "1.36", connectionState: { status: "Successful", message: "" }, project: "p" }]), "info and the deprecated copies print alike");
  assert.match(clusterTable([{ server: "https://x", name: "x" }]), /^SERVER\s+NAME\s+VERSION\s+STATUS\s+MESSAGE\s+PROJECT\nhttps:\/\/x\s+x\s*$/m, "argocd's columns");
});
