// The application's resources in the four views of Argo's app page (`view=`): the tree and the
// network view as graphs (laid out by elkjs off the main thread), a list, and pods grouped by node
// or owner. Graph nodes are absolutely-positioned divs over one SVG of edges: a few thousand of
// them render quickly, and each is a real element a test or screen reader can find. Group nodes
// fold many siblings of one kind; clicking one expands it. Clicking a resource selects it (the
// resource panel).
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH, type Layout } from "../layout";
import { APP_NODE_ID, buildGraph, resourceNodes, type ApplicationTree, type GraphNode, type ResourceStatus } from "../tree";
import { formatAmount, networkGraph, podGroups, POD_SORT_MODES, type AppView, type PodSortMode } from "../views";
import { HealthBadge, SyncBadge } from "./Status";

interface Props {
  appName: string;
  tree: ApplicationTree | undefined;
  resources: ResourceStatus[];
  view: AppView;
  selected: string | undefined;
  onSelect: (nodeKey: string) => void;
  /** The pods view's grouping (`podSortMode=`) and how to change it. */
  podSortMode?: PodSortMode;
  onPodSortMode?: (mode: PodSortMode) => void;
}

export function ResourceTree(props: Props): ReactNode {
  switch (props.view) {
    case "list": return <ResourceList {...props} />;
    case "pods": return <PodsView {...props} />;
    case "network": return <ResourceGraph key="network" {...props} />;
    default: return <ResourceGraph key="tree" {...props} />;
  }
}

const POD_SORT_LABELS: Record<PodSortMode, string> = { node: "Node", parentResource: "Parent resource", topLevelResource: "Top-level resource" };

function PodsView({ tree, resources, selected, onSelect, podSortMode = "node", onPodSortMode }: Props): ReactNode {
  const groups = useMemo(() => podGroups(tree, resources, podSortMode, tree?.hosts ?? []), [tree, resources, podSortMode]);
  return (
    <div className="pods-view" data-testid="pods-view" data-mode={podSortMode}>
      <div className="segmented" role="group" aria-label="Group pods by">
        {POD_SORT_MODES.map((m) => <button key={m} aria-pressed={podSortMode === m} onClick={() => onPodSortMode?.(m)} data-testid={`pod-sort-${m}`}>{POD_SORT_LABELS[m]}</button>)}
      </div>
      {groups.length === 0 ? <p className="muted" data-testid="pods-none">The application has no pods.</p> : (
        <div className="pod-groups">
          {groups.map((g) => (
            <section key={g.key} className={`pod-group health-border-${g.health ?? "Unknown"}`} data-testid="pod-group" data-kind={g.kind} data-name={g.name} aria-label={`${g.kind} ${g.name}`}>
              <header>
                <div className="tree-kind">{g.kind || "Pods"}</div>
                <div className="tree-name ellipsis" title={g.name}>{g.name}</div>
                <div className="muted">{g.pods.length} pod{g.pods.length === 1 ? "" : "s"}</div>
                {g.labels.length > 0 && <ul className="node-labels" data-testid="node-labels" aria-label="Node labels">{g.labels.map((l) => <li key={l.name} data-testid="node-label" data-name={l.name}><span className="mono">{l.name}={l.value}</span></li>)}</ul>}
                {g.resources.length > 0 && (
                  <ul className="node-resources" data-testid="node-resources" aria-label="Node resources">
                    {g.resources.map((r) => (
                      <li key={r.name} data-testid="node-resource" data-name={r.name} data-app={r.app} data-neighbors={r.neighbors} data-capacity={r.capacity}>
                        <span className="node-resource-name">{r.name}</span>
                        <meter min={0} max={r.capacity} value={Math.min(r.capacity, r.app + r.neighbors)} aria-label={`${r.name} requested of the node's capacity`} />
                        <span className="muted">app {formatAmount(r.app, r.unit)} · others {formatAmount(r.neighbors, r.unit)} · of {formatAmount(r.capacity, r.unit)}</span>
                      </li>
                    ))}
                  </ul>
                )}
                {g.system.length > 0 && (
                  <dl className="node-system" data-testid="node-system">
                    {g.system.map((f) => <div key={f.name}><dt>{f.name}</dt><dd className="mono">{f.value}</dd></div>)}
                  </dl>
                )}
              </header>
              <ul className="pod-tiles">
                {g.pods.map((p) => (
                  <li key={p.id}>
                    <button className={`pod-tile health-${p.health ?? "Unknown"}${selected === p.id ? " selected" : ""}`} onClick={() => onSelect(p.id)} title={`${p.name}: ${p.health ?? "Unknown"}`}
                      data-testid="pod-tile" data-name={p.name} data-uid={p.uid} data-health={p.health ?? "Unknown"}>
                      <span className="ellipsis">{p.name}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </div>
  );
}

function ResourceGraph({ appName, tree, resources, selected, onSelect, view }: Props): ReactNode {
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const graph = useMemo(() => (view === "network" ? networkGraph(tree, resources, expanded) : buildGraph(appName, tree, resources, expanded)), [view, appName, tree, resources, expanded]);
  // Laid out again only when the shape changes, not for a status change of a node.
  const shape = useMemo(() => graph.nodes.map((n) => n.id).join("\n") + "\n\n" + graph.edges.map((e) => e.id).join("\n"), [graph]);
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const [layout, setLayout] = useState<{ shape: string; layout: Layout } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let current = true;
    layoutGraph(graphRef.current)
      .then((l) => { if (current) { setLayout({ shape, layout: l }); setError(undefined); } })
      .catch((err: unknown) => { if (current) setError(`layout failed: ${err instanceof Error ? err.message : String(err)}`); });
    return () => { current = false; };
  }, [shape]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (view === "network" && graph.nodes.length === 0) return <p className="muted" data-testid="network-none">No Ingresses or Services: the application carries no traffic.</p>;
  if (!layout) return <p className="muted">Laying out {graph.nodes.length} resources…</p>;
  const pos = layout.layout.positions;
  const toggle = (id: string): void => {
    const next = new Set(expanded);
    if (!next.delete(id)) next.add(id);
    setExpanded(next);
  };
  return (
    <div className="tree-scroll" data-testid={view === "network" ? "network-view" : "resource-tree"} data-nodes={graph.nodes.length} data-layout-ms={layout.layout.ms}>
      <div className="tree-canvas" style={{ width: layout.layout.width, height: layout.layout.height }}>
        <svg className="tree-edges" width={layout.layout.width} height={layout.layout.height} aria-hidden="true">
          {graph.edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + NODE_WIDTH, y1 = a.y + NODE_HEIGHT / 2, x2 = b.x, y2 = b.y + NODE_HEIGHT / 2;
            const mid = (x1 + x2) / 2;
            return <path key={e.id} d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />;
          })}
        </svg>
        {graph.nodes.map((n) => {
          const p = pos.get(n.id);
          if (!p) return null;
          return <TreeNode key={n.id} node={n} x={p.x} y={p.y} selected={selected === n.id} onClick={() => (n.type === "group" ? toggle(n.id) : n.type === "resource" ? onSelect(n.id) : undefined)} />;
        })}
      </div>
      {expanded.size > 0 && <button className="link collapse" onClick={() => setExpanded(new Set())}>Collapse groups</button>}
    </div>
  );
}

function TreeNode({ node, x, y, selected, onClick }: { node: GraphNode; x: number; y: number; selected: boolean; onClick: () => void }): ReactNode {
  const label = node.type === "group" ? `${node.name} (expand)` : node.name;
  return (
    <div
      className={`tree-node tree-${node.type} health-border-${node.health ?? "Unknown"}${selected ? " selected" : ""}`}
      style={{ transform: `translate(${x}px, ${y}px)`, width: NODE_WIDTH, height: NODE_HEIGHT }}
      data-testid="tree-node" data-id={node.id} data-type={node.type} data-kind={node.kind} data-name={node.name} data-uid={node.uid}
      // No aria-label: the name comes from the content (kind, name, health, sync), so what is
      // read out matches what is shown (axe-core label-content-name-mismatch).
      role={node.type === "app" || node.type === "external" ? undefined : "button"} tabIndex={node.type === "app" || node.type === "external" ? undefined : 0}
      onClick={onClick} onKeyDown={(e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onClick(); } }}
    >
      <div className="tree-kind">{node.kind}{node.hook && <span className="hook" title="A sync hook">⚓ hook</span>}</div>
      <div className="tree-name ellipsis" title={node.name}>{label}</div>
      <div className="tree-badges">
        {node.health && <HealthBadge status={node.health} />}
        {node.sync && node.id !== APP_NODE_ID && <SyncBadge status={node.sync} />}
      </div>
    </div>
  );
}

function ResourceList({ tree, resources, selected, onSelect }: Props): ReactNode {
  const rows = useMemo(() => resourceNodes(tree, resources).sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)), [tree, resources]);
  return (
    <table className="resource-list" data-testid="resource-list">
      <thead><tr><th>Kind</th><th>Namespace</th><th>Name</th><th>Sync</th><th>Health</th></tr></thead>
      <tbody>
        {rows.map((n) => (
          <tr key={n.id} data-testid="list-node" data-kind={n.kind} data-name={n.name} data-uid={n.uid} className={selected === n.id ? "selected" : ""}>
            <td>{n.kind}{n.hook ? " ⚓ hook" : ""}</td><td>{n.namespace}</td>
            <td><button className="link" onClick={() => onSelect(n.id)}>{n.name}</button></td>
            <td>{n.sync ? <SyncBadge status={n.sync} /> : null}</td>
            <td>{n.health ? <HealthBadge status={n.health} /> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
