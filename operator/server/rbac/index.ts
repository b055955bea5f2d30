// The API server's Enforcer: Argo's RBAC (operator/engine/rbac) fed with argocd-rbac-cm, argocd-cm's
// RBAC flags and the AppProjects from the server's caches. It is rebuilt when they change
// (`refresh`); an invalid argocd-rbac-cm keeps the last valid policy in force, as Argo does, and
// before any valid policy has been loaded every request is denied.
import { canIRequest, formatProblem, RbacConfigError, RbacEnforcer, rbacServerSettings, rollbackAction, type RbacProblem, type RbacServerSettings } from "../../engine/rbac/index.js";
import { invalidArgument, permissionDenied, type ApiError } from "../http/errors.js";
import { subjectOf, type Claims, type Enforcer, type ServerState } from "../types.js";

export const RBAC_CONFIGMAP = "argocd-rbac-cm";
export const ARGOCD_CONFIGMAP = "argocd-cm";

export interface RefreshResult {
  /** Whether the new policy is in force (false: argocd-rbac-cm is invalid and the previous one stays). */
  applied: boolean;
  /** Every problem, each naming its ConfigMap key and line or its project role; for the log and Events. */
  problems: string[];
}

export class ServerEnforcer implements Enforcer {
  private current: RbacEnforcer | undefined;
  private settingsNow: RbacServerSettings = rbacServerSettings(undefined).settings;
  private pending: Promise<RefreshResult> = Promise.resolve({ applied: false, problems: [] });

  /** `controlNamespace`: where Applications live without a namespace in their RBAC object (can-i). */
  /** `disableAuth` (server.disable.auth): every question is allowed, as Argo's enforcer with enforcement off. */
  constructor(private readonly state: ServerState, private readonly controlNamespace: string, private readonly options: { disableAuth?: boolean } = {}) {}

  /**
   * Rebuilds from the caches; call it at start and whenever argocd-rbac-cm, argocd-cm or an
   * AppProject changes. Calls run one after another, so the last call's view wins.
   */
  refresh(): Promise<RefreshResult> {
    this.pending = this.pending.then(() => this.rebuild(), () => this.rebuild());
    return this.pending;
  }

  private async rebuild(): Promise<RefreshResult> {
    const flags = rbacServerSettings(this.state.configMap(ARGOCD_CONFIGMAP));
    this.settingsNow = flags.settings;
    const problems: RbacProblem[] = [...flags.problems];
    try {
      this.current = await RbacEnforcer.build({ rbacConfigMap: this.state.configMap(RBAC_CONFIGMAP), projects: this.state.projects() }, this.current);
      problems.push(...this.current.problems);
      return { applied: true, problems: problems.map(formatProblem) };
    } catch (err) {
      if (!(err instanceof RbacConfigError)) throw err;
      problems.push(...err.problems.map((p) => ({ ...p, source: `${RBAC_CONFIGMAP} ${p.source}` })));
      return { applied: false, problems: problems.map(formatProblem) };
    }
  }

  /** The argocd-cm RBAC flags in force. */
  get settings(): RbacServerSettings {
    return this.settingsNow;
  }

  enforce(claims: Claims | undefined, resource: string, action: string, object: string): boolean {
    if (this.options.disableAuth) return true;
    return this.current?.enforce(claims, resource, action, object) ?? false;
  }

  /** Argo's EnforceErr: undefined when allowed, else the 403 to answer with. */
  denial(claims: Claims | undefined, resource: string, action: string, object: string): ApiError | undefined {
    return this.enforce(claims, resource, action, object) ? undefined : permissionDenied(resource, action, object, subjectOf(claims), claims?.iat);
  }

  /**
   * Patching (`update`) or deleting (`delete`) a resource of an app (§3.3): the fine-grained
   * action, and first the plain one when argocd-cm enables inheritance. Undefined when allowed,
   * else the 403 naming the fine-grained action.
   */
  resourceDenial(claims: Claims | undefined, action: "update" | "delete", appObject: string, group: string, kind: string, namespace: string, name: string): ApiError | undefined {
    if (this.current?.canOnResource(claims, action, appObject, group, kind, namespace, name, this.settingsNow.fineGrainedInheritance)) return undefined;
    return permissionDenied("applications", `${action}/${group}/${kind}/${namespace}/${name}`, appObject, subjectOf(claims), claims?.iat);
  }

  /** The action a rollback is checked as (`sync` unless argocd-cm enforces `rollback`). */
  rollbackAction(): "rollback" | "sync" {
    return rollbackAction(this.settingsNow.rollbackEnforce);
  }

  /** `GET /api/v1/account/can-i/{resource}/{action}/{subresource}`: "yes" or "no", or 400 for an unknown resource or action. */
  canI(claims: Claims | undefined, resource: string, action: string, subresource: string): "yes" | "no" {
    let request: ReturnType<typeof canIRequest>;
    try {
      request = canIRequest(resource, action, subresource, this.controlNamespace, this.settingsNow.rollbackEnforce);
    } catch (err) {
      throw invalidArgument(err instanceof Error ? err.message : String(err));
    }
    const r = request.onResource;
    // A resource's patch or delete is answered as its route checks it (resourceDenial).
    if (r) return this.current?.canOnResource(claims, r.action, request.object, r.group, r.kind, r.namespace, r.name, this.settingsNow.fineGrainedInheritance) ? "yes" : "no";
    return this.enforce(claims, request.resource, request.action, request.object) ? "yes" : "no";
  }
}
