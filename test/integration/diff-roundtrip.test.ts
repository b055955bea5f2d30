// Diff normalisations against the real apiserver: manifests written the way people write them
// (numbers where the API stores strings, omitted defaults, empty values, generated Job selectors,
// claim templates...) are created as-is, read back, and must compare equal to git — the state of
// an Application whose manifests were applied by hand. Then one real change must show.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { parseAllDocuments, stringify } from "yaml";
import { diff, unifiedDiff, type JsonObject } from "../../operator/engine/diff/index.js";
import { KubeClient, type KubeObject } from "../../operator/kube/client.js";
import { loadKubeConfig } from "../../operator/operator.js";
import { sharedCluster } from "../support/cluster.js";

const MANIFESTS = `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, labels: {tier: "1"}}
data: {a: "1", empty: ""}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {password: hunter2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: runner
      containers:
      - name: web
        image: nginx:1.27
        args: ["--port", "8080"]
        ports: [{containerPort: 8080, name: http}]
        env:
        - {name: EMPTY, value: ""}
        - {name: FROM_CM, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}
        resources:
          requests: {cpu: 0.25, memory: 128Mi}
          limits: {cpu: 1, memory: 1Gi, ephemeral-storage: 2G}
        readinessProbe: {httpGet: {path: /, port: http}}
        volumeMounts: [{name: data, mountPath: /data}, {name: conf, mountPath: /etc/conf, readOnly: false}]
      hostNetwork: false
      automountServiceAccountToken: false
      volumes:
      - {name: data, emptyDir: {}}
      - {name: conf, configMap: {name: cfg}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16, volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: agent, image: busybox:1.36, command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: once, image: busybox:1.36}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: run, image: busybox:1.36}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: runner}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`;

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

test("manifests created as written compare equal to their live objects (two-way and three-way)", async (t) => {
  const cluster = await sharedCluster();
  const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
  t.after(() => client.close());
  const id = randomBytes(3).toString("hex");
  // "plain": created as-is (two-way diff); "kubectl": with the last-applied annotation that
  // `kubectl apply` writes (three-way diff).
  const namespaces = { plain: `hawser-rt-${id}`, kubectl: `hawser-rt-kc-${id}` };
  for (const ns of Object.values(namespaces)) {
    await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    t.after(async () => { await client.delete({ apiVersion: "v1", kind: "Namespace", name: ns }).catch(() => undefined); });
  }
  const problems: string[] = [];
  let compared = 0;
  for (const [style, ns] of Object.entries(namespaces)) {
    for (const desired of parseAllDocuments(MANIFESTS).map((d) => d.toJSON() as KubeObject)) {
      desired.metadata.namespace = ns;
      const toCreate = structuredClone(desired);
      if (style === "kubectl") toCreate.metadata.annotations = { ...(toCreate.metadata.annotations ?? {}), [LAST_APPLIED]: JSON.stringify(desired) };
      await client.create(toCreate);
      const live = await client.get(desired.apiVersion, desired.kind, desired.metadata.name!, ns);
      assert.ok(live, `${desired.kind} was created`);
      const r = await diff(desired as unknown as JsonObject, live as unknown as JsonObject);
      assert.equal(r.mode, style === "kubectl" ? "three-way" : "two-way", `${style} ${desired.kind}: diff mode`);
      compared++;
      if (r.modified) {
        problems.push(`${style} ${desired.kind}/${desired.metadata.name}:\n${unifiedDiff(stringify(r.normalizedLive), stringify(r.predictedLive), "live", "predicted")}`);
      }
      // A real change on top must still show.
      if (desired.kind === "Deployment") {
        const changed = structuredClone(desired);
        const c = (changed.spec as { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } }).template.spec.containers[0]!;
        c.env[0]!.value = "now-set";
        assert.equal((await diff(changed as unknown as JsonObject, live as unknown as JsonObject)).modified, true, `${style}: an env value set in git is a difference`);
      }
    }
  }
  assert.equal(compared, 2 * parseAllDocuments(MANIFESTS).length, "every manifest compared in both styles");
  assert.deepEqual(problems, [], problems.join("\n"));
});
