-- Prometheus Operator. The workloads it runs (Prometheus, PrometheusAgent, Alertmanager,
-- ThanosRuler) report Available (True, Degraded while some pods are down, False when none run)
-- and Reconciled; spec.paused stops reconciling. Configuration kinds (ServiceMonitor, PodMonitor,
-- PrometheusRule, ...) have no status unless the operator reports bindings (status.bindings,
-- Accepted per workload); without them there is no check, as in Argo CD.
local workloads = { Prometheus = true, PrometheusAgent = true, Alertmanager = true, ThanosRuler = true }
local st = obj.status or {}
if not workloads[obj.kind] then
  if st.bindings == nil then return nil end
  for _, b in ipairs(st.bindings) do
    for _, c in ipairs(b.conditions or {}) do
      if c.type == "Accepted" and c.status == "False" then
        return { status = "Degraded", message = (b.resource or "") .. " " .. (b.namespace or "") .. "/" .. (b.name or "") .. ": " .. (c.message or c.reason or "not accepted") }
      end
    end
  end
  return { status = "Healthy", message = "" }
end
if obj.spec ~= nil and obj.spec.paused == true then
  return { status = "Suspended", message = "Reconciliation is paused" }
end
local byType = {}
for _, c in ipairs(st.conditions or {}) do
  byType[c.type] = c
end
local available, reconciled = byType["Available"], byType["Reconciled"]
if reconciled ~= nil and reconciled.status == "False" then
  return { status = "Degraded", message = reconciled.message or reconciled.reason or "Reconciliation failed" }
end
if available ~= nil and available.status == "False" then
  return { status = "Degraded", message = available.message or available.reason or "No pod is available" }
end
if available ~= nil and available.status == "True" and reconciled ~= nil and reconciled.status == "True" then
  return { status = "Healthy", message = "" }
end
-- Operators older than v0.59 wrote only replica counts.
if available == nil and reconciled == nil and st.replicas ~= nil then
  if (st.unavailableReplicas or 0) > 0 then
    return { status = "Progressing", message = st.unavailableReplicas .. " of " .. st.replicas .. " pods are not available" }
  end
  return { status = "Healthy", message = "" }
end
if available ~= nil and available.message ~= nil and available.message ~= "" then
  return { status = "Progressing", message = available.message }
end
return { status = "Progressing", message = "Waiting for the operator to reconcile" }
