// autoscaling/HorizontalPodAutoscaler health, as gitops-engine's. autoscaling/v1 carries its
// conditions as JSON in an annotation; v2 (and the betas) in status.conditions.
import { annotationsOf, asRecord, getRecords, versionOf, type HealthStatus, type KubeObj } from "./types.js";
import { errorMessage } from "../../util/index.js";

const CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions";
const WAITING: HealthStatus = { status: "Progressing", message: "Waiting to Autoscale" };

interface HpaCondition {
  type: string;
  reason: string;
  message: string;
  status: string;
}

function toCondition(raw: Record<string, unknown>): HpaCondition {
  const s = (k: string): string => (typeof raw[k] === "string" ? raw[k] : "");
  return { type: s("type"), reason: s("reason"), message: s("message"), status: s("status") };
}

function isDegraded(c: HpaCondition): boolean {
  if (c.type === "AbleToScale") return c.reason === "FailedGetScale" || c.reason === "FailedUpdateScale";
  if (c.type === "ScalingActive") return c.reason.startsWith("Failed") || c.reason === "InvalidSelector";
  return false;
}

function isHealthy(c: HpaCondition): boolean {
  return (c.type === "AbleToScale" || c.type === "ScalingLimited") && c.status === "True";
}

// A failing condition wins wherever it sits in the list: the controller writes AbleToScale (True)
// before ScalingActive, so taking the first match would call an HPA whose metrics cannot be
// fetched Healthy, where Argo calls it Degraded.
function checkConditions(conditions: HpaCondition[]): HealthStatus {
  const degraded = conditions.find(isDegraded);
  if (degraded) return { status: "Degraded", message: degraded.message };
  const healthy = conditions.find(isHealthy);
  if (healthy) return { status: "Healthy", message: healthy.message };
  return WAITING;
}

export function getHPAHealth(obj: KubeObj): HealthStatus {
  const version = versionOf(obj);
  if (version === "v1") {
    const raw = annotationsOf(obj)[CONDITIONS_ANNOTATION];
    if (raw === undefined) return WAITING;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`failed to convert conditions annotation to typed: ${errorMessage(err)}`);
    }
    if (!Array.isArray(parsed)) throw new Error("failed to convert conditions annotation to typed: not a list");
    const conditions = parsed.map(asRecord).filter((r): r is Record<string, unknown> => r !== undefined).map(toCondition);
    return conditions.length === 0 ? WAITING : checkConditions(conditions);
  }
  if (version === "v2" || version === "v2beta1" || version === "v2beta2") {
    return checkConditions(getRecords(obj, "status", "conditions").map(toCondition));
  }
  throw new Error(`unsupported HPA GVK: autoscaling/${version}, Kind=HorizontalPodAutoscaler`);
}
