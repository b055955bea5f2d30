// ClientSideApplyMigration's I/O: read the object with its managedFields (the watch cache drops
// them), and send the JSON patch engine/sync/csa-migration.ts plans, which hands the fields a
// client-side `kubectl apply` owns to Hawser's field manager before its first server-side apply.
import { FIELD_MANAGER } from "../../appstate/pipeline.js";
import { planCsaMigration } from "../../engine/sync/csa-migration.js";
import { KubeApiError } from "../../kube/client.js";
import { errorMessage } from "../../util/index.js";
import type { DestinationClient } from "./destinations.js";

const ATTEMPTS = 3;

/**
 * Migrates one object; returns whether it changed anything. The patch tests the resourceVersion it
 * was planned from, so a write in between fails it (409/422) and the object is read again.
 */
export async function migrateClientSideApply(client: DestinationClient, ref: { apiVersion: string; kind: string; name: string; namespace?: string }, csaManager: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const live = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    const patch = live ? planCsaMigration(live, csaManager, FIELD_MANAGER) : undefined;
    if (!patch) return false;
    try {
      await client.patch(ref, patch, { type: "json" });
      return true;
    } catch (err) {
      const raced = err instanceof KubeApiError && (err.isConflict || err.statusCode === 422);
      if (raced && attempt < ATTEMPTS) continue;
      throw new Error(`client-side apply migration of the fields of manager ${csaManager} failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
