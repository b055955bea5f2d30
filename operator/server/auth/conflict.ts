// The read-modify-write loop of the auth writes (account API keys in argocd-secret, project role
// tokens in an AppProject): each attempt reads the object, computes the change and writes it with
// the resourceVersion it read; a 409 means another writer (another replica) came first, so the
// attempt starts over from a fresh read and neither writer's entry is lost.
import { KubeApiError } from "../../kube/client.js";
import { ApiError, Code } from "../http/errors.js";

export const MAX_CONFLICT_ATTEMPTS = 10;

/**
 * Runs `attempt` until it does not fail with a conflict, at most MAX_CONFLICT_ATTEMPTS times.
 * Other errors pass through at once; running out of attempts is 409 Aborted naming `what`.
 * `onConflict` hears of each conflict (its 1-based attempt), e.g. to log it.
 */
export async function retryOnConflict<T>(what: string, attempt: () => Promise<T>, onConflict?: (attempt: number) => void): Promise<T> {
  for (let i = 0; i < MAX_CONFLICT_ATTEMPTS; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof KubeApiError && err.isConflict) {
        onConflict?.(i + 1);
        continue;
      }
      throw err;
    }
  }
  throw new ApiError(Code.Aborted, `${what} kept changing; try again`);
}
