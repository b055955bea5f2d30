// The Application service's server-side diff (argo-cd-server.md §1.3): the app's resources diffed
// by the apiserver's dry-run apply, as the controller does with ServerSideDiff=true, against
// target manifests the caller sends (`targetManifests`, JSON strings) or, without them, the target
// rendered from the app's sources. Also `manifestsWithFiles`, which Argo serves only to gRPC
// clients streaming local files: refused with a message saying what to use instead.
import type { Manifest } from "../../../plugins/types.js";
import { ServerSideDiffImpersonationError } from "../../appstate/pipeline.js";
import { isRecord } from "../../util/index.js";
import type { AppStateReader } from "../app-state.js";
import type { ApiRequest, ApiRouter, Caller, Query } from "../http/api.js";
import { ApiError, Code, failedPrecondition, invalidArgument } from "../http/errors.js";
import type { ApplicationObject } from "../cache.js";
import { managedResources } from "./app-resources.js";

export interface AppDiffServiceDeps {
  /** The Application service's lookup: RBAC and Argo's existence hiding. */
  apps: { findApp(caller: Caller, name: string, q: Query, action: string): ApplicationObject; sensitiveAnnotations(): string[] };
  reader?: AppStateReader;
}

/** `targetManifests` of the query: each a JSON object with apiVersion, kind and metadata.name. */
export function parseTargetManifests(q: Query): Manifest[] | undefined {
  const raw = q.targetManifests ?? q["targetManifests[]"];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (values.length === 0) return undefined;
  return values.map((text, i) => {
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch (err) { throw invalidArgument(`targetManifests[${i}] is not valid JSON: ${err instanceof Error ? err.message : String(err)}`); }
    if (!isRecord(parsed) || typeof parsed.apiVersion !== "string" || typeof parsed.kind !== "string" || !isRecord(parsed.metadata) || typeof parsed.metadata.name !== "string" || !parsed.metadata.name) {
      throw invalidArgument(`targetManifests[${i}] must be a Kubernetes object with apiVersion, kind and metadata.name`);
    }
    return parsed as Manifest;
  });
}

export class AppDiffService {
  constructor(private readonly deps: AppDiffServiceDeps) {}

  register(r: ApiRouter): void {
    r.get("/api/v1/applications/:name/server-side-diff", (req) => this.serverSideDiff(req));
    r.post("/api/v1/applications/manifestsWithFiles", () => {
      throw new ApiError(Code.Unimplemented, "manifestsWithFiles streams local files over gRPC, which this server does not serve; render locally with `hawser render --app FILE --local DIR`, or use GET /api/v1/applications/{name}/manifests");
    });
  }

  private async serverSideDiff({ params, query, caller }: ApiRequest): Promise<unknown> {
    const app = this.deps.apps.findApp(caller, params.name!, query, "get");
    if (!this.deps.reader) throw new ApiError(Code.Unavailable, "this server renders no application state (no repository access configured)");
    const targets = parseTargetManifests(query);
    let compared;
    try {
      compared = await this.deps.reader.serverSideDiff(app, targets);
    } catch (err) {
      if (err instanceof ServerSideDiffImpersonationError) throw failedPrecondition(err.message);
      throw err;
    }
    const { items } = managedResources({ compared }, this.deps.apps.sensitiveAnnotations());
    return { items, ...(items.some((i) => i.modified === true) ? { modified: true } : {}) };
  }
}
