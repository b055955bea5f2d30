// How `app manifests` and `app resources` print what the server sends (argo-cd-server.md §1.3,
// §1.5). Pure.
import { stringify } from "yaml";
import { table } from "./format.js";

export interface TreeNode { group?: string; kind?: string; namespace?: string; name?: string; parentRefs?: unknown[] | null }
export interface ResourceTree { nodes?: TreeNode[] | null; orphanedNodes?: TreeNode[] | null }

/** The manifests (JSON strings) as one YAML stream, each document opened by ---. */
export function manifestsYaml(manifests: string[]): string {
  return manifests.map((m, i) => {
    let obj: unknown;
    try {
      obj = JSON.parse(m);
    } catch {
      throw new Error(`the server sent manifest ${i + 1} that is not JSON`);
    }
    return `---\n${stringify(obj, { lineWidth: 0 })}`;
  }).join("");
}

/** GROUP KIND NAMESPACE NAME ORPHANED: the managed (top-level) resources, then orphaned ones. */
export function resourcesTable(tree: ResourceTree, orphanedOnly: boolean): string {
  const rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]];
  const row = (n: TreeNode, orphaned: boolean): string[] => [n.group ?? "", n.kind ?? "", n.namespace ?? "", n.name ?? "", orphaned ? "Yes" : "No"];
  if (!orphanedOnly) {
    // Children (ReplicaSets, Pods...) belong to their parents; the app's own resources have none.
    for (const n of tree.nodes ?? []) if (!n.parentRefs || n.parentRefs.length === 0) rows.push(row(n, false));
  }
  for (const n of tree.orphanedNodes ?? []) rows.push(row(n, true));
  return table(rows);
}
