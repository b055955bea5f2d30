-- Managed resources of the Upbound provider families (s3.aws.upbound.io, ...), which report the
-- same Synced and Ready conditions as Crossplane's own (see _.crossplane.io/_). ProviderConfigs
-- have no conditions and nothing to wait for.
local configOnly = { ProviderConfig = true, ClusterProviderConfig = true, ProviderConfigUsage = true, StoreConfig = true }
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
