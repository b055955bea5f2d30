// Sync and health badges: a symbol and a word, so status never rests on colour alone.
import type { ReactNode } from "react";

const HEALTH_ICON: Record<string, string> = { Healthy: "♥", Progressing: "◌", Degraded: "✖", Suspended: "⏸", Missing: "?", Unknown: "?" };
const SYNC_ICON: Record<string, string> = { Synced: "✔", OutOfSync: "↑", Unknown: "?" };

export function HealthBadge({ status }: { status: string | undefined }): ReactNode {
  const s = status || "Unknown";
  return <span className={`badge health-${s}`} data-health={s}><span aria-hidden="true">{HEALTH_ICON[s] ?? "?"}</span> {s}</span>;
}

export function SyncBadge({ status }: { status: string | undefined }): ReactNode {
  const s = status || "Unknown";
  return <span className={`badge sync-${s}`} data-sync={s}><span aria-hidden="true">{SYNC_ICON[s] ?? "?"}</span> {s}</span>;
}

export function PhaseBadge({ phase }: { phase: string | undefined }): ReactNode {
  if (!phase) return null;
  return <span className={`badge phase-${phase}`} data-phase={phase}>{phase}</span>;
}

/** "3 minutes ago" style, for timestamps in lists. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
