// /api/dex/...: Argo's reverse proxy to its bundled Dex (argo-cd-server.md §0). Hawser runs no
// Dex, so every request there gets 501 with the reason and what to configure instead, rather than
// the SPA's index page or a bare 404 that would leave a Dex client guessing.
import type { ApiRouter } from "../http/api.js";
import { DEX_UNSUPPORTED } from "../auth/oidc/config.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

export function registerDexRefusal(r: ApiRouter): void {
  for (const path of ["/api/dex", "/api/dex/*"]) {
    for (const method of METHODS) {
      r.raw(method, path, async (_req, reply) => {
        await reply.code(501).type("text/plain; charset=utf-8").send(`${DEX_UNSUPPORTED}\n`);
      });
    }
  }
}
