-- CloudNativePG Cluster. status.phase is a sentence the operator writes ("Cluster in healthy
-- state", "Switchover in progress", "Unable to create required cluster objects", ...): the healthy
-- one is Healthy, the ones that say the operator cannot go on are Degraded, the rest are work in
-- progress. Hibernation (cnpg.io/hibernation: "on") is Suspended, "Waiting for user action" (a
-- supervised update) too. Failing WAL archiving (ContinuousArchiving False) puts backups at risk:
-- Degraded.
local st = obj.status or {}
local annotations = (obj.metadata and obj.metadata.annotations) or {}
local byType = {}
for _, c in ipairs(st.conditions or {}) do
  byType[c.type] = c
end
local hibernation = byType["cnpg.io/hibernation"]
if annotations["cnpg.io/hibernation"] == "on" or (hibernation ~= nil and hibernation.status == "True") then
  return { status = "Suspended", message = "Cluster is hibernated" }
end
local phase = st.phase or ""
local message = phase
if st.phaseReason ~= nil and st.phaseReason ~= "" then message = phase .. ": " .. st.phaseReason end
if phase == "" then
  return { status = "Progressing", message = "Waiting for the operator to set up the cluster" }
end
local lower = string.lower(phase)
if string.find(lower, "unable", 1, true) or string.find(lower, "cannot", 1, true) or string.find(lower, "unrecoverable", 1, true) then
  return { status = "Degraded", message = message }
end
local archiving = byType["ContinuousArchiving"]
if archiving ~= nil and archiving.status == "False" then
  return { status = "Degraded", message = "WAL archiving is failing: " .. (archiving.message or archiving.reason or "") }
end
if phase == "Waiting for user action" then
  return { status = "Suspended", message = message }
end
if phase == "Cluster in healthy state" then
  return { status = "Healthy", message = phase }
end
return { status = "Progressing", message = message }
