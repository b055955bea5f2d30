-- Tekton TaskRun: the Succeeded condition (Unknown while its pod runs, True or False when done);
-- a failed, cancelled or timed-out run is Degraded with the reason.

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
