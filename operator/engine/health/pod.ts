// core/Pod health, as gitops-engine's. Pods with restartPolicy Never/OnFailure run to completion
// (typically hooks), so while running they are Progressing rather than Healthy/Degraded; the
// ignore-restart-policy annotation opts a non-hook pod back into the long-running rules.
import { isHook } from "./hook.js";
import { annotationsOf, asRecord, get, getRecords, getString, quote, type HealthStatus, type KubeObj } from "./types.js";

export const ANNOTATION_IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy";

function isDegradedWaitingReason(reason: string): boolean {
  return reason.startsWith("Err") || reason.endsWith("Error") || reason.endsWith("BackOff");
}

function failMessage(ctr: Record<string, unknown>): string {
  const terminated = asRecord(get(ctr, "state", "terminated"));
  if (!terminated) return "";
  if (typeof terminated.message === "string" && terminated.message !== "") return terminated.message;
  if (terminated.reason === "OOMKilled") return "OOMKilled";
  const exitCode = typeof terminated.exitCode === "number" ? terminated.exitCode : 0;
  if (exitCode !== 0) return `container ${quote(typeof ctr.name === "string" ? ctr.name : "")} failed with exit code ${exitCode}`;
  return "";
}

export function getPodHealth(obj: KubeObj): HealthStatus {
  const restartPolicy = getString(obj, "spec", "restartPolicy");
  const longRunning = restartPolicy === "Always" || (!isHook(obj) && annotationsOf(obj)[ANNOTATION_IGNORE_RESTART_POLICY] === "true");
  const message = getString(obj, "status", "message");
  const containers = getRecords(obj, "status", "containerStatuses");

  if (longRunning) {
    const messages: string[] = [];
    for (const ctr of containers) {
      const waiting = asRecord(get(ctr, "state", "waiting"));
      if (waiting && isDegradedWaitingReason(typeof waiting.reason === "string" ? waiting.reason : "")) {
        messages.push(typeof waiting.message === "string" ? waiting.message : "");
      }
    }
    if (messages.length > 0) return { status: "Degraded", message: messages.join(", ") };
  }

  switch (getString(obj, "status", "phase")) {
    case "Pending":
      return { status: "Progressing", message };
    case "Succeeded":
      return { status: "Healthy", message };
    case "Failed": {
      if (message !== "") return { status: "Degraded", message };
      for (const ctr of [...getRecords(obj, "status", "initContainerStatuses"), ...containers]) {
        const msg = failMessage(ctr);
        if (msg !== "") return { status: "Degraded", message: msg };
      }
      return { status: "Degraded", message: "" };
    }
    case "Running":
      if (longRunning) {
        const ready = getRecords(obj, "status", "conditions").some((c) => c.type === "Ready" && c.status === "True");
        if (ready) return { status: "Healthy", message };
        // Not ready and a container has terminated before: it is crash-looping.
        if (containers.some((c) => asRecord(get(c, "lastState", "terminated")) !== undefined)) return { status: "Degraded", message };
        return { status: "Progressing", message };
      }
      if (restartPolicy === "OnFailure" || restartPolicy === "Never") return { status: "Progressing", message };
      break;
  }
  return { status: "Unknown", message };
}

