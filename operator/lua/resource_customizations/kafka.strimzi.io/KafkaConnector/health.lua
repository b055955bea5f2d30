-- Strimzi KafkaConnector: the Ready/NotReady conditions as for every Strimzi resource, plus the
-- connector's own state from Kafka Connect (status.connectorStatus): spec.state paused or stopped
-- is Suspended, a FAILED connector or task is Degraded even while the resource is Ready.
if obj.spec ~= nil and (obj.spec.state == "paused" or obj.spec.state == "stopped" or obj.spec.pause == true) then
  return { status = "Suspended", message = "Connector is " .. (obj.spec.state or "paused") }
end

local st = obj.status or {}
local generation = obj.metadata and obj.metadata.generation
local byType = {}
for _, c in ipairs(st.conditions or {}) do
  byType[c.type] = c
end
local paused = byType["ReconciliationPaused"]
if paused ~= nil and paused.status == "True" then
  return { status = "Suspended", message = "Reconciliation is paused (strimzi.io/pause-reconciliation)" }
end
if generation ~= nil and st.observedGeneration ~= nil and st.observedGeneration < generation then
  return { status = "Progressing", message = "Waiting for the new generation to be reconciled" }
end
local ready, notReady = byType["Ready"], byType["NotReady"]
if notReady ~= nil and notReady.status == "True" then
  -- The operator reports work under way as NotReady with reason Creating; any other reason is
  -- the error (an exception name) that stopped the reconciliation.
  if notReady.reason == nil or notReady.reason == "Creating" then
    return { status = "Progressing", message = notReady.message or "Creating" }
  end
  return { status = "Degraded", message = notReady.message or notReady.reason }
end
if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = ready.message or ready.reason or "Not ready" }
end

local cs = st.connectorStatus
if cs ~= nil then
  if cs.connector ~= nil and cs.connector.state == "FAILED" then
    return { status = "Degraded", message = "Connector has failed" }
  end
  for _, t in ipairs(cs.tasks or {}) do
    if t.state == "FAILED" then
      return { status = "Degraded", message = "Task " .. tostring(t.id) .. " has failed" }
    end
  end
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = "" }
end
return { status = "Progressing", message = "Waiting for the operator to reconcile" }
