// Argo's `ApplicationSource.ExplicitType`: tool options written in the source pick the tool
// before any detection runs, and naming more than one tool is an error. An empty options object
// counts as unset (Argo drops zero-valued tool options when it normalises a source).
import { RenderError, type SourceSpec } from "./types.js";

export type ExplicitTool = "helm" | "kustomize" | "directory" | "plugin";

function isSet(v: unknown): boolean {
  return typeof v === "object" && v !== null && Object.keys(v).length > 0;
}

export function explicitTool(source: SourceSpec): ExplicitTool | undefined {
  const set: ExplicitTool[] = [];
  if (isSet(source.kustomize)) set.push("kustomize");
  if (isSet(source.helm)) set.push("helm");
  if (isSet(source.directory)) set.push("directory");
  if (isSet(source.plugin)) set.push("plugin");
  if (set.length > 1) throw new RenderError(`multiple application sources defined: ${set.join(",")}`);
  return set[0];
}
