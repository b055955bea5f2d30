-- Gateway API GatewayClass: Accepted once the named controller takes it. The API server defaults
-- the condition to Unknown/Pending until a controller answers.
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  if c.type == "Accepted" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" and c.reason ~= "Pending" then
      return { status = "Degraded", message = c.message or c.reason or "GatewayClass was not accepted" }
    end
    return { status = "Progressing", message = c.message or "Waiting for controller" }
  end
end
return { status = "Progressing", message = "Waiting for controller" }
