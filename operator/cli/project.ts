// An AppProject as the controller sees it: with the fields argocd-cm `globalProjects` lends it
// (engine/global-projects.ts), so `hawser app diff`, `app sync`'s window check and `proj windows`
// apply the same rules as the operator.
import { ARGO_API_VERSION } from "../api/annotations.js";
import { globalProjectsFor, withGlobalProjects } from "../engine/global-projects.js";
import { parseArgoSettings } from "../engine/settings.js";
import type { KubeClient, KubeObject } from "../kube/client.js";
import { isRecord } from "../util/index.js";

export async function virtualProject<P extends KubeObject>(client: Pick<KubeClient, "get">, namespace: string, name: string, argocdCm?: KubeObject): Promise<P | undefined> {
  const project = await client.get<P>(ARGO_API_VERSION, "AppProject", name, namespace);
  if (!project) return undefined;
  const cm = argocdCm ?? (await client.get("v1", "ConfigMap", "argocd-cm", namespace));
  const data = cm && isRecord(cm.data) ? Object.fromEntries(Object.entries(cm.data).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
  const settings = parseArgoSettings(data);
  // The operator refuses every app while the setting is unreadable; so does the CLI.
  if (settings.globalProjectsError) throw new Error(`argocd-cm ${settings.globalProjectsError}`);
  const lent = new Map<string, P | undefined>();
  for (const g of settings.globalProjects) {
    if (g.projectName !== name && !lent.has(g.projectName)) lent.set(g.projectName, await client.get<P>(ARGO_API_VERSION, "AppProject", g.projectName, namespace));
  }
  return withGlobalProjects(project, globalProjectsFor(project, settings.globalProjects, (n) => lent.get(n)));
}
