// The parts of the Application and AppProject objects the controllers read. The complete types
// are generated from the CRDs (operator/api/generated); these narrow views keep the controller
// code independent of optional fields it does not use.
import type { KubeObject } from "../kube/client.js";
import type { ApplicationCondition } from "../api/conditions.js";

export interface ApplicationObject extends KubeObject {
  spec: {
    project?: string;
    source?: { repoURL?: string; path?: string; chart?: string; targetRevision?: string };
    sources?: Array<{ repoURL?: string; path?: string; chart?: string; targetRevision?: string; ref?: string }>;
    destination?: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { syncOptions?: string[]; [key: string]: unknown };
    [key: string]: unknown;
  };
  status?: {
    conditions?: ApplicationCondition[];
    reconciledAt?: string;
    controllerNamespace?: string;
    [key: string]: unknown;
  };
}

export interface AppProjectObject extends KubeObject {
  spec?: { [key: string]: unknown };
}
