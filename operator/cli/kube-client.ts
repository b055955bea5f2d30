// The cluster client every `hawser` command that reads a cluster uses: --kubeconfig FILE, else the
// usual KUBECONFIG / ~/.kube/config / in-cluster lookup.
import { KubeConfig } from "@kubernetes/client-node";
import { flagValue, type ParsedFlags } from "../flags.js";
import { KubeClient } from "../kube/client.js";

export function clientFrom(flags: ParsedFlags): KubeClient {
  const kc = new KubeConfig();
  const file = flagValue(flags, "kubeconfig");
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return new KubeClient(kc);
}
