-- Argo Rollouts Experiment: runs ReplicaSets (and analyses) for a while; status.phase is the
-- outcome, with Argo Rollouts' phase names. Inconclusive waits for a person: Suspended.

local st = obj.status or {}
local message = st.message or ""
local phase = st.phase or ""
if phase == "" or phase == "Pending" or phase == "Running" then
  if obj.spec ~= nil and obj.spec.terminate == true then
    return { status = "Progressing", message = "Terminating" }
  end
  return { status = "Progressing", message = message }
end
if phase == "Successful" then return { status = "Healthy", message = message } end
if phase == "Failed" or phase == "Error" then return { status = "Degraded", message = message } end
if phase == "Inconclusive" then
  return { status = "Suspended", message = message ~= "" and message or "The result is inconclusive" }
end
return { status = "Unknown", message = "Unknown phase " .. phase }
