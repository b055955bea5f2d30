-- External Secrets Operator PushSecret: Ready=True once the Secret's data is written to every
-- store; Ready=False (reason Errored) when a store refused it.

if obj.status == nil or obj.status.conditions == nil then
  return { status = "Progressing", message = "Waiting for the secret to be pushed" }
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" then return { status = "Degraded", message = c.message or c.reason or "Secret could not be pushed" } end
    return { status = "Progressing", message = c.message or "" }
  end
end
return { status = "Progressing", message = "Waiting for the secret to be pushed" }
