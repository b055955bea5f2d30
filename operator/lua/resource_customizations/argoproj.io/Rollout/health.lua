-- Argo Rollouts Rollout. Recent controllers publish status.phase/message, which is used as is
-- (Paused → Suspended). Older ones only have replica counts, checked like a Deployment.
if obj.spec ~= nil and obj.spec.paused == true then
  return { status = "Suspended", message = "Rollout is paused" }
end
local st = obj.status
if st == nil then
  return { status = "Progressing", message = "Waiting for rollout spec update to be observed" }
end
local generation = obj.metadata.generation or 0
local observed = tonumber(st.observedGeneration) or 0
if generation > observed then
  return { status = "Progressing", message = "Waiting for rollout spec update to be observed" }
end
local phases = { Healthy = "Healthy", Progressing = "Progressing", Degraded = "Degraded", Paused = "Suspended" }
if st.phase ~= nil and phases[st.phase] ~= nil then
  return { status = phases[st.phase], message = st.message or "" }
end
local replicas = (obj.spec and obj.spec.replicas) or 1
local updated = st.updatedReplicas or 0
local available = st.availableReplicas or 0
if updated < replicas then
  return { status = "Progressing", message = "Waiting for roll out to finish: " .. updated .. " out of " .. replicas .. " new replicas have been updated..." }
end
if available < updated then
  return { status = "Progressing", message = "Waiting for roll out to finish: " .. available .. " of " .. updated .. " updated replicas are available..." }
end
return { status = "Healthy", message = "" }
