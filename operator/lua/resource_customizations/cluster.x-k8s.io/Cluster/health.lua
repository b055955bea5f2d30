-- Cluster API Cluster: spec.paused stops every controller (Suspended); a terminal failure
-- (v1beta1 failureReason/failureMessage, phase Failed) is Degraded; once phase is Provisioned the
-- summary condition (Available in v1beta2, Ready in v1beta1) decides; earlier phases progress.
local st = obj.status or {}
if obj.spec ~= nil and obj.spec.paused == true then
  return { status = "Suspended", message = "Cluster is paused" }
end
if st.failureMessage ~= nil or st.failureReason ~= nil then
  return { status = "Degraded", message = st.failureMessage or st.failureReason }
end
if st.phase == "Failed" then
  return { status = "Degraded", message = "Cluster provisioning failed" }
end
local byType = {}
for _, c in ipairs(st.conditions or {}) do
  byType[c.type] = c
end
local summary = byType["Available"] or byType["Ready"]
if st.phase == "Provisioned" then
  if summary == nil or summary.status == "True" then
    return { status = "Healthy", message = "" }
  end
  return { status = "Progressing", message = summary.message or summary.reason or "" }
end
return { status = "Progressing", message = "Cluster is " .. string.lower(st.phase or "pending") }
