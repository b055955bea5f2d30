-- Cluster API Machine: the cluster.x-k8s.io/paused annotation stops reconciling (Suspended); a
-- terminal failure or phase Failed is Degraded; a Running machine is Healthy unless its node is
-- reported unhealthy (NodeHealthy False); other phases progress.
local st = obj.status or {}
local annotations = (obj.metadata and obj.metadata.annotations) or {}
if annotations["cluster.x-k8s.io/paused"] ~= nil then
  return { status = "Suspended", message = "Machine is paused" }
end
if st.failureMessage ~= nil or st.failureReason ~= nil then
  return { status = "Degraded", message = st.failureMessage or st.failureReason }
end
if st.phase == "Failed" then
  return { status = "Degraded", message = "Machine failed" }
end
if st.phase == "Running" then
  for _, c in ipairs(st.conditions or {}) do
    if c.type == "NodeHealthy" and c.status == "False" then
      return { status = "Degraded", message = c.message or c.reason or "Node is not healthy" }
    end
  end
  return { status = "Healthy", message = "" }
end
return { status = "Progressing", message = "Machine is " .. string.lower(st.phase or "pending") }
