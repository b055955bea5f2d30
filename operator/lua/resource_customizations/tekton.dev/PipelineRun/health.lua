-- Tekton PipelineRun: the Succeeded condition (Unknown while running, True or False when done).
-- spec.status PipelineRunPending holds it before it starts: Suspended. A cancelled or timed-out
-- run ends with Succeeded False: Degraded, with the reason.
if obj.spec ~= nil and obj.spec.status == "PipelineRunPending" then
  return { status = "Suspended", message = "PipelineRun is pending" }
end

local st = obj.status or {}
for _, c in ipairs(st.conditions or {}) do
  if c.type == "Succeeded" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" then
      local msg = c.reason or "Failed"
      if c.message ~= nil and c.message ~= "" then msg = msg .. ": " .. c.message end
      return { status = "Degraded", message = msg }
    end
    return { status = "Progressing", message = c.message or c.reason or "Running" }
  end
end
return { status = "Progressing", message = "Waiting to start" }
