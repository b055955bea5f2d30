// One filter group of a list page's sidebar (the app list's and the resource list's facets): a
// checkbox per value with its count, the first eight shown until "Show all".
import { useState, type ReactNode } from "react";

const SHOWN = 8;

export function FacetGroup({ facet, title, counts, selected, fixedOrder, onToggle }: {
  facet: string;
  title: string;
  counts: Map<string, number>;
  selected: string[];
  /** The values come in a meaningful order (sync, health): keep it instead of sorting by count. */
  fixedOrder: boolean;
  onToggle: (value: string) => void;
}): ReactNode {
  const [showAll, setShowAll] = useState(false);
  const entries = [...counts.entries()];
  if (!fixedOrder) entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return null;
  const shown = showAll ? entries : entries.slice(0, SHOWN);
  return (
    <fieldset className="filter-group" data-facet={facet}>
      <legend>{title}</legend>
      {shown.map(([value, n]) => (
        <label key={value} className="check">
          <input type="checkbox" checked={selected.includes(value)} onChange={() => onToggle(value)} data-filter={`${facet}:${value}`} />
          <span className="filter-value">{value || "(none)"}</span> <span className="filter-count">{n}</span>
        </label>
      ))}
      {entries.length > SHOWN && <button className="link" onClick={() => setShowAll(!showAll)}>{showAll ? "Show fewer" : `Show all ${entries.length}`}</button>}
    </fieldset>
  );
}
