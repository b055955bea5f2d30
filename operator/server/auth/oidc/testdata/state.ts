// ServerState over plain maps for the SSO tests: SSO reads only ConfigMap and Secret data through
// this interface, so nothing about Kubernetes is being claimed by using it.
import type { AppProject } from "../../../../api/index.js";
import type { ServerState } from "../../../types.js";

export class MapState implements ServerState {
  readonly configMaps = new Map<string, Record<string, string>>();
  readonly secrets = new Map<string, { data: Record<string, string>; labels: Record<string, string> }>();

  configMap(name: string): Record<string, string> | undefined {
    return this.configMaps.get(name);
  }

  secret(name: string): Record<string, string> | undefined {
    return this.secrets.get(name)?.data;
  }

  secretLabels(name: string): Record<string, string> | undefined {
    return this.secrets.get(name)?.labels;
  }

  project(): AppProject | undefined {
    return undefined;
  }

  projects(): AppProject[] {
    return [];
  }

  /** Sets argocd-cm keys (merged into what is there). */
  setCm(data: Record<string, string>): void {
    this.configMaps.set("argocd-cm", { ...(this.configMaps.get("argocd-cm") ?? {}), ...data });
  }

  setSecret(name: string, data: Record<string, string>, labels: Record<string, string> = {}): void {
    this.secrets.set(name, { data, labels });
  }
}
