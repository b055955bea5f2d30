// Starts a dev cluster whose kube-apiserver serves /debug/pprof (the dev cluster turns profiling
// off), for CPU profiles of the apiserver under a benchmark: `--kubeconfig` of `npm run bench`,
// then `kubectl get --raw '/debug/pprof/profile?seconds=30' > cpu.pprof; go tool pprof -top cpu.pprof`.
// Usage: node --import tsx bench/tools/prof-cluster.ts NAME   (prints the kubeconfig path; stop it
// with `hawser dev-cluster down --name NAME`).
import { startCluster } from "../../operator/devcluster/cluster.js";

const name = process.argv[2] ?? "prof";
const cluster = await startCluster({ name, extraArgs: { "kube-apiserver": ["--profiling=true"] }, log: (m) => process.stderr.write(`${m}\n`) });
process.stdout.write(`${cluster.kubeconfigPath}\n`);
