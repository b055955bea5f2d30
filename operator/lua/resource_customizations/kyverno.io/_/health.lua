-- Kyverno policies (ClusterPolicy, Policy, CleanupPolicy, ClusterCleanupPolicy): the Ready
-- condition says whether Kyverno loaded the policy into its webhooks (older releases wrote a
-- status.ready boolean instead). Kinds without status (PolicyException, ...) have no check.
local policies = { ClusterPolicy = true, Policy = true, CleanupPolicy = true, ClusterCleanupPolicy = true }
local st = obj.status or {}
for _, c in ipairs(st.conditions or {}) do
  if c.type == "Ready" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" then return { status = "Degraded", message = c.message or c.reason or "Policy is not ready" } end
    return { status = "Progressing", message = c.message or "" }
  end
end
if st.ready == true then return { status = "Healthy", message = "" } end
if policies[obj.kind] then
  return { status = "Progressing", message = "Waiting for Kyverno to load the policy" }
end
return nil
