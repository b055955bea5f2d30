-- Strimzi (Kafka, KafkaTopic, KafkaUser, KafkaConnect, KafkaMirrorMaker2, KafkaBridge,
-- KafkaRebalance; KafkaNodePool has no check): the cluster operator and the entity operators
-- write Ready and NotReady conditions; the strimzi.io/pause-reconciliation annotation shows as
-- ReconciliationPaused.
-- Warning conditions (deprecated fields) do not make a ready resource unhealthy.
if obj.kind == "KafkaNodePool" then
  return nil -- node pools carry no conditions; their Kafka reports for them
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

if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = "" }
end
-- KafkaRebalance: a proposal waits for a person to approve it (strimzi.io/rebalance=approve),
-- and a stopped rebalance for one to refresh it.
for _, t in ipairs({ "ProposalReady", "Stopped" }) do
  local c = byType[t]
  if c ~= nil and c.status == "True" then
    return { status = "Suspended", message = t == "ProposalReady" and "Optimization proposal is ready for approval" or "Rebalance was stopped" }
  end
end
for _, t in ipairs({ "PendingProposal", "Rebalancing" }) do
  local c = byType[t]
  if c ~= nil and c.status == "True" then
    return { status = "Progressing", message = c.message or t }
  end
end
return { status = "Progressing", message = "Waiting for the operator to reconcile" }
