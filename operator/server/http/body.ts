// Request bodies of the API's own messages (sync, rollback, patch, session ...) are checked against
// their shape before anything reads them: an unknown field is refused with its path, as a typo in
// a script must not silently turn into a default. Kubernetes objects in bodies (an Application on
// create) are checked by the apiserver itself with fieldValidation=Strict instead.
import { isRecord } from "../../util/index.js";
import { invalidArgument } from "./errors.js";

/** A message shape: field → "scalar" (any JSON scalar), "any" (anything), a nested shape, or [shape] for a list. */
export type Shape = { [field: string]: "scalar" | "any" | Shape | [Shape | "scalar"] };

/** Throws InvalidArgument naming the first unknown or mistyped field; returns the body as an object. */
export function checkBody(body: unknown, shape: Shape, what: string): Record<string, unknown> {
  if (body === undefined || body === null || body === "") return {};
  if (!isRecord(body)) throw invalidArgument(`${what}: the request body must be a JSON object`);
  check(body, shape, "");
  return body;
}

function check(value: Record<string, unknown>, shape: Shape, path: string): void {
  for (const [key, v] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    const want = shape[key];
    if (want === undefined) throw invalidArgument(`unknown field "${here}"`);
    checkValue(v, want, here);
  }
}

function checkValue(v: unknown, want: Shape[string] | Shape | "scalar", here: string): void {
  if (v === null || want === "any") return;
  if (want === "scalar") {
    if (typeof v === "object") throw invalidArgument(`field "${here}" must be a string, number or boolean`);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(v)) throw invalidArgument(`field "${here}" must be a list`);
    v.forEach((item, i) => checkValue(item, want[0], `${here}[${i}]`));
    return;
  }
  if (!isRecord(v)) throw invalidArgument(`field "${here}" must be an object`);
  check(v, want, here);
}
