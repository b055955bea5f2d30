-- Velero Schedule: spec.paused stops it (Suspended); phase Enabled is Healthy, FailedValidation
-- (a bad cron expression, say) Degraded, New still being checked.
if obj.spec ~= nil and obj.spec.paused == true then
  return { status = "Suspended", message = "Schedule is paused" }
end
local st = obj.status or {}
if st.phase == "Enabled" then return { status = "Healthy", message = "" } end
if st.phase == "FailedValidation" then
  local errs = st.validationErrors or {}
  return { status = "Degraded", message = #errs > 0 and table.concat(errs, "; ") or "Validation failed" }
end
return { status = "Progressing", message = "Waiting for Velero to validate the schedule" }
