-- cert-manager Issuer / ClusterIssuer: usable once Ready=True (e.g. the ACME account is
-- registered); Ready=False means it cannot issue. No Ready condition yet: still being set up.
local ready
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then ready = c end
  end
end
if ready == nil then
  return { status = "Progressing", message = "Waiting for the issuer to be initialised" }
end
if ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready.status == "False" then
  return { status = "Degraded", message = ready.message or ready.reason or "Issuer is not ready" }
end
return { status = "Progressing", message = ready.message or "Issuer is being initialised" }
