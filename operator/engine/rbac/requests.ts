// What the API server asks RBAC besides plain checks: the argocd-cm flags that change which action
// is checked (§3.3), and the validation of a `can-i` request (§1.4 Account).
import { rollbackAction } from "./enforcer.js";
import type { RbacProblem } from "./policy.js";

/** Every RBAC resource (§3.3). */
export const RBAC_RESOURCES: readonly string[] = [
  "applications", "applicationsets", "clusters", "projects", "repositories", "write-repositories",
  "accounts", "certificates", "gpgkeys", "logs", "exec", "extensions",
];

/** The plain actions `can-i` accepts (§1.4); the fine-grained `applications` forms are handled by fineGrainedCanI. */
export const CAN_I_ACTIONS: readonly string[] = ["get", "create", "update", "delete", "sync", "rollback", "override", "action", "invoke"];

/** Resources whose object may be `<project>/<ns>/<app>`. */
const APP_LIKE = new Set(["applications", "applicationsets", "logs", "exec"]);

export interface RbacServerSettings {
  /** argocd-cm `server.rbac.disableApplicationFineGrainedRBACInheritance` is "false": a plain update/delete on the app covers its resources. */
  fineGrainedInheritance: boolean;
  /** argocd-cm `server.rbac.rollback.enforce.enable`: rollback checks `rollback` rather than `sync`. */
  rollbackEnforce: boolean;
}

/** Go's strconv.ParseBool, which Argo reads these flags with. */
function parseGoBool(raw: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(raw)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(raw)) return false;
  return undefined;
}

/**
 * The RBAC flags of argocd-cm. An unreadable value is reported and the stricter reading kept
 * (no inheritance; rollback as sync, Argo's default).
 */
export function rbacServerSettings(argocdCm: Record<string, string> | undefined): { settings: RbacServerSettings; problems: RbacProblem[] } {
  const data = argocdCm ?? {};
  const problems: RbacProblem[] = [];
  const flag = (key: string, raw: string | undefined, fallback: boolean): boolean => {
    const trimmed = raw?.trim();
    if (trimmed === undefined || trimmed === "") return fallback;
    const value = parseGoBool(trimmed);
    if (value === undefined) problems.push({ source: `argocd-cm ${key}`, message: `must be true or false, not "${trimmed}"` });
    return value ?? fallback;
  };
  const disableInheritance = flag("server.rbac.disableApplicationFineGrainedRBACInheritance", data["server.rbac.disableApplicationFineGrainedRBACInheritance"], true);
  const rollbackEnforce = flag("server.rbac.rollback.enforce.enable", data["server.rbac.rollback.enforce.enable"], false);
  return { settings: { fineGrainedInheritance: !disableInheritance, rollbackEnforce }, problems };
}

/** The error of a `can-i` request Argo answers with 400 InvalidArgument. */
export class CanIError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CanIError";
  }
}

/** A resource inside an app a fine-grained `update/`, `delete/` or `action/` can-i asks about. */
export interface CanIResource {
  action: "update" | "delete";
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface CanIRbacRequest {
  resource: string;
  action: string;
  object: string;
  /** Set for `update/<g>/<k>/<ns>/<n>` and `delete/...`: answered as the resource route checks it (inheritance included). */
  onResource?: CanIResource;
}

/**
 * The fine-grained `applications` actions can-i also answers (Hawser; Argo's can-i refuses them):
 * Argo's UI cannot ask whether a resource action, patch or delete is allowed, so it offers them
 * all and lets the server refuse. The action path segment carries the slashes percent-encoded.
 * `action/<group>/<kind>/<action>` has 3 segments after the verb, `update|delete/<g>/<k>/<ns>/<n>` 4;
 * the core group and a cluster-scoped namespace are empty segments.
 */
function fineGrainedCanI(action: string): { verb: string; parts: string[] } | undefined {
  const [verb, ...parts] = action.split("/");
  if (parts.length === 0) return undefined;
  const size = verb === "action" ? 3 : verb === "update" || verb === "delete" ? 4 : -1;
  if (parts.length !== size) throw new CanIError(`invalid fine-grained action "${action}": expected action/<group>/<kind>/<action> or update|delete/<group>/<kind>/<namespace>/<name>`);
  if (!parts[1] || !parts[size - 1]) throw new CanIError(`invalid fine-grained action "${action}": the kind and the ${verb === "action" ? "action" : "name"} must not be empty`);
  return { verb: verb!, parts };
}

/**
 * A `can-i/{resource}/{action}/{subresource}` request as the RBAC check to make: throws CanIError
 * for an unknown resource or action. For app-like resources a `proj/ns/app` subresource becomes the
 * app's RBAC object (`proj/app` when ns is the control namespace); `rollback` is checked as
 * `sync` unless `rollbackEnforce`. For `applications` the fine-grained actions of §3.3 are
 * accepted too (see fineGrainedCanI).
 */
export function canIRequest(resource: string, action: string, subresource: string, controlNamespace: string, rollbackEnforce: boolean): CanIRbacRequest {
  const fine = resource === "applications" ? fineGrainedCanI(action) : undefined;
  if (!fine && !CAN_I_ACTIONS.includes(action)) throw new CanIError(`unknown action "${action}": can-i accepts ${CAN_I_ACTIONS.join(", ")}${resource === "applications" ? ", action/<group>/<kind>/<action>, update|delete/<group>/<kind>/<namespace>/<name>" : ""}`);
  if (!RBAC_RESOURCES.includes(resource)) throw new CanIError(`unknown resource "${resource}": can-i accepts ${RBAC_RESOURCES.join(", ")}`);
  let object = subresource;
  if (APP_LIKE.has(resource)) {
    const parts = subresource.split("/");
    if (parts.length === 3) object = parts[1] === "" || parts[1] === controlNamespace ? `${parts[0]}/${parts[2]}` : subresource;
  }
  if (fine && fine.verb !== "action") {
    const [group, kind, namespace, name] = fine.parts as [string, string, string, string];
    return { resource, action, object, onResource: { action: fine.verb as "update" | "delete", group, kind, namespace, name } };
  }
  return { resource, action: action === "rollback" ? rollbackAction(rollbackEnforce) : action, object };
}
