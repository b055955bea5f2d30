-- Flux HelmRepository. With spec.type oci the source-controller keeps no status at all (the
-- registry is read by the HelmChart), so there is nothing to wait for: Healthy. Other types follow
-- kstatus, as every toolkit object (see _.toolkit.fluxcd.io/_).
if obj.spec ~= nil and obj.spec.type == "oci" then
  return { status = "Healthy", message = "Helm repositories of type oci have no status to check" }
end
if obj.spec ~= nil and obj.spec.suspend == true then
  return { status = "Suspended", message = "Reconciliation is suspended" }
end
local status = obj.status or {}
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  return { status = "Progressing", message = "Waiting for the new generation to be reconciled" }
end
local byType = {}
for _, c in ipairs(status.conditions or {}) do
  byType[c.type] = c
end
local stalled, reconciling, ready = byType["Stalled"], byType["Reconciling"], byType["Ready"]
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = stalled.message or stalled.reason or "Stalled" }
end
if reconciling ~= nil and reconciling.status == "True" then
  return { status = "Progressing", message = reconciling.message or reconciling.reason or "Reconciling" }
end
if ready == nil then
  return { status = "Progressing", message = "Waiting for the first reconciliation" }
end
if ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready.status == "Unknown" then
  return { status = "Progressing", message = ready.message or "Reconciliation in progress" }
end
return { status = "Degraded", message = ready.message or ready.reason or "Not ready" }
