-- Argo Workflows CronWorkflow: spec.suspend stops scheduling (Suspended); a SpecError or
-- SubmissionError condition (True) means runs cannot be created (Degraded). Since Argo Workflows
-- 3.6 a stop strategy can end scheduling for good: status.phase Stopped is Suspended too.
if obj.spec ~= nil and obj.spec.suspend == true then
  return { status = "Suspended", message = "CronWorkflow is suspended" }
end
local st = obj.status or {}
for _, c in ipairs(st.conditions or {}) do
  if (c.type == "SpecError" or c.type == "SubmissionError") and c.status == "True" then
    return { status = "Degraded", message = c.message or c.type }
  end
end
if st.phase == "Stopped" then
  return { status = "Suspended", message = "CronWorkflow has reached its stop condition" }
end
return { status = "Healthy", message = "" }
