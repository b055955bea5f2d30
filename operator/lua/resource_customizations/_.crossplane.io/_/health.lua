-- Crossplane composite resources, claims, managed resources and configuration in *.crossplane.io
-- groups. They report Synced (the last reconcile worked) and Ready (the external resources are
-- available).
-- A Synced=False means reconciling failed; until both are True the resource is progressing.
-- Some kinds are plain configuration that no controller reports on (Compositions and their
-- revisions, runtime and environment configs, ProviderConfigs): without conditions there is
-- nothing to wait for.
local configOnly = { Composition = true, CompositionRevision = true, DeploymentRuntimeConfig = true,
  ControllerConfig = true, EnvironmentConfig = true, ProviderConfig = true, ClusterProviderConfig = true,
  ProviderConfigUsage = true, ImageConfig = true }
if obj.status == nil or obj.status.conditions == nil then
  if configOnly[obj.kind] then
    return { status = "Healthy", message = "" }
  end
  return { status = "Progressing", message = "Waiting for the resource to be reconciled" }
end
local synced, ready
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Synced" then synced = c end
  if c.type == "Ready" then ready = c end
end
if synced ~= nil and synced.status == "False" then
  return { status = "Degraded", message = synced.message or synced.reason or "" }
end
if ready ~= nil and ready.status == "True" and (synced == nil or synced.status == "True") then
  return { status = "Healthy", message = "Resource is available for use" }
end
if ready ~= nil then
  return { status = "Progressing", message = ready.message or ready.reason or "" }
end
return { status = "Progressing", message = "Waiting for the resource to be reconciled" }
