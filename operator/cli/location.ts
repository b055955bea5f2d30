// Where a named Application or ApplicationSet lives: Argo's CLI takes `NAME` (in the control
// namespace, -n) or the qualified `NAMESPACE/NAME` for one in another namespace (apps and
// appsets in any namespace), and `-N NAMESPACE` as the default namespace of a bare name.
import { FlagError } from "../flags.js";

/** `NAME` in `defaultNamespace`, or `NAMESPACE/NAME`; `what` names the kind in the error. */
export function qualifiedLocation(what: string, defaultNamespace: string, name: string): { namespace: string; name: string } {
  const slash = name.indexOf("/");
  if (slash < 0) return { namespace: defaultNamespace, name };
  const namespace = name.slice(0, slash);
  const short = name.slice(slash + 1);
  if (!namespace || !short || short.includes("/")) throw new FlagError(`${what} "${name}": want NAME or NAMESPACE/NAME`);
  return { namespace, name: short };
}
