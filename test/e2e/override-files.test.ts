// In-repo parameter override files through the real operator on the real control plane:
// `.argocd-source.yaml` and `.argocd-source-<app>.yaml` in a source path are merged into the
// source's tool options (spec, then the shared file, then the app's own), never applied as
// manifests. A Kustomize app gets its image from the app's file and a label from the shared one
// (another app on the same path gets the shared file's image); a commit to the app's file changes
// the live image; a directory app's override file turns on recursion and is not a resource.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../operator/kube/client.js";
import { eventually } from "../support/eventually.js";
import { createWorld } from "../support/world.js";

const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:1.27\"}]\n";
const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;

type Deployment = KubeObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Array<{ image?: string }> } } } };
interface AppStatus { sync?: { status?: string; revision?: string }; resources?: Array<{ kind: string; name: string }>; conditions?: Array<{ type: string; message: string }> }

test("override files: .argocd-source.yaml then .argocd-source-<app>.yaml change a Kustomize image and a directory's recursion, and are never applied", async (t) => {
  const w = await createWorld(t, {
    name: "overrides",
    repos: {
      app: {
        "kust/kustomization.yaml": "resources: [deploy.yaml]\n",
        "kust/deploy.yaml": DEPLOYMENT,
        "kust/.argocd-source.yaml": "kustomize:\n  images: [\"nginx:1.28\"]\n  commonLabels:\n    from: shared-file\n",
        "kust/.argocd-source-web.yaml": "kustomize:\n  images: [\"nginx:1.29\"]\n",
        "plain/cm.yaml": cm("top"),
        "plain/sub/cm.yaml": cm("nested"),
        "plain/.argocd-source.yaml": "directory:\n  recurse: true\n",
      },
    },
  });
  const { client } = w;
  const dest = w.dest("ovr");
  const sync = { automated: {}, syncOptions: ["CreateNamespace=true"] };
  await client.create(w.application("web", { repo: "app", path: "kust", dest, syncPolicy: sync }));
  // Same path, another app: the app-specific file is not its own; the spec's prefix keeps names apart.
  await client.create(w.application("other", { repo: "app", path: "kust", dest, syncPolicy: sync, spec: { source: { repoURL: w.git.baseUrl("app"), path: "kust", targetRevision: "HEAD", kustomize: { namePrefix: "other-" } } } }));
  await client.create(w.application("plain", { repo: "app", path: "plain", dest, syncPolicy: sync }));

  const deployment = async (name: string): Promise<Deployment | undefined> => client.get<Deployment>("apps/v1", "Deployment", name, dest);
  const image = (d: Deployment | undefined): string | undefined => d?.spec?.template?.spec?.containers?.[0]?.image;
  await eventually(async () => {
    const web = await deployment("web");
    assert.equal(image(web), "nginx:1.29", "the app's own file wins over the shared one");
    assert.equal(web?.spec?.template?.metadata?.labels?.from, "shared-file", "what the app's file does not set comes from the shared one");
    assert.equal(image(await deployment("other-web")), "nginx:1.28", "another app gets the shared file only");
  }, { timeoutMs: 120_000 });

  await eventually(async () => {
    const s = await w.status<AppStatus>("plain");
    assert.equal(s?.sync?.status, "Synced", JSON.stringify(s));
    assert.deepEqual((s?.resources ?? []).map((r) => `${r.kind}/${r.name}`).sort(), ["ConfigMap/nested", "ConfigMap/top"], "recursion from the override file; the file itself is no resource");
  }, { timeoutMs: 120_000 });
  assert.ok(await client.get("v1", "ConfigMap", "nested", dest), "the nested ConfigMap is live");

  const commit = await w.git.commitFiles("app", { "kust/.argocd-source-web.yaml": "kustomize:\n  images: [\"nginx:1.30\"]\n" }, "web: nginx 1.30");
  await w.refresh("web");
  await eventually(async () => {
    assert.equal((await w.status<AppStatus>("web"))?.sync?.revision, commit);
    assert.equal(image(await deployment("web")), "nginx:1.30", "a commit to the override file changes the live image");
  }, { timeoutMs: 120_000 });
});
