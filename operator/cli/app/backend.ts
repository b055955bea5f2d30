// The narrow interface `hawser app` talks through, so each command's logic exists once: the
// Kubernetes backend (`--core`, kube-backend.ts) reads and writes Applications directly, the API
// backend (api-backend.ts) goes through `hawser server`'s REST API, which checks RBAC.
import type { Application } from "../../api/index.js";
import type { SyncRequest } from "../../engine/sync/requests.js";
import type { LiveDiffResult } from "./live-diff.js";

/** What a started operation is recognised by when its result comes in (see operationFinished). */
export interface StartedOperation { previousStartedAt: string | undefined; username: string }

export interface DiffOptions {
  repoMap: Map<string, string>;
  local?: { dir: string; root?: string };
  revision?: string;
  installationID?: string;
  /** Whether --installation-id was given (rather than $HAWSER_INSTALLATION_ID). */
  installationIDFlag?: boolean;
  serverSideDiff: boolean;
}

/** A wait that ran out of time; the CLI exits 1 for it (2 for every other error). */
export class Timeout extends Error {}

export interface AppBackend {
  listApps(q: { appNamespace?: string; selector?: string }): Promise<Application[]>;
  /** The app, or undefined when it does not exist. */
  findApp(name: string): Promise<Application | undefined>;
  /** Asks the controller to compare again and resolves to the app once it has. */
  refreshApp(name: string, timeoutS: number): Promise<Application>;
  /** Requests a sync (checking, as Argo's API server does, that none runs and no window blocks it). */
  sync(name: string, req: Omit<SyncRequest, "username">): Promise<StartedOperation>;
  rollback(name: string, req: { id?: number; prune: boolean; dryRun: boolean }): Promise<StartedOperation>;
  /** Sets a running operation's phase to Terminating (`startedAt` names the one the caller saw). */
  terminateOperation(name: string, startedAt: string | undefined): Promise<void>;
  deleteApp(name: string, opts: { cascade: boolean; propagationPolicy?: "foreground" | "background" }): Promise<void>;
  /**
   * Follows the app until `done` returns a value; throws Timeout with `seen` of the last copy after
   * timeoutS (0: no limit).
   */
  watchApp<T>(name: string, timeoutS: number, done: (app: Application) => T | undefined, seen: (app: Application) => string): Promise<T>;
  diff(name: string, opts: DiffOptions): Promise<LiveDiffResult>;
  close(): void;
}
