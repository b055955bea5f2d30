-- Velero Restore: status.phase, read as a Backup's (Completed Healthy; FailedValidation, Failed
-- and PartiallyFailed Degraded; the rest under way).

local st = obj.status or {}
local phase = st.phase or ""
local function counts()
  local parts = {}
  if (st.errors or 0) > 0 then table.insert(parts, st.errors .. " errors") end
  if (st.warnings or 0) > 0 then table.insert(parts, st.warnings .. " warnings") end
  return table.concat(parts, ", ")
end
if phase == "Completed" then
  return { status = "Healthy", message = counts() }
end
if phase == "FailedValidation" then
  local errs = st.validationErrors or {}
  return { status = "Degraded", message = #errs > 0 and table.concat(errs, "; ") or "Validation failed" }
end
if phase == "Failed" then
  return { status = "Degraded", message = st.failureReason or "Failed" }
end
if phase == "PartiallyFailed" then
  return { status = "Degraded", message = "Partially failed: " .. counts() }
end
if phase == "" or phase == "New" then
  return { status = "Progressing", message = "Waiting for Velero to start" }
end
return { status = "Progressing", message = phase }
