-- Bitnami SealedSecret: the controller unseals it into a Secret and reports Synced. Synced=False
-- (wrong key, tampered data) will not fix itself; a status for an older generation is not final.
local status = obj.status
if status == nil then
  return { status = "Progressing", message = "Waiting for the controller to unseal the secret" }
end
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  return { status = "Progressing", message = "Waiting for the new generation to be unsealed" }
end
for _, c in ipairs(status.conditions or {}) do
  if c.type == "Synced" then
    if c.status == "True" then return { status = "Healthy", message = "" } end
    return { status = "Degraded", message = c.message or c.reason or "Failed to unseal" }
  end
end
return { status = "Progressing", message = "Waiting for the controller to unseal the secret" }
