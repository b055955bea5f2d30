-- cert-manager CertificateRequest: an approver must approve it (Approved/Denied), then the issuer
-- signs it (Ready). Denied and InvalidRequest are final; Ready=False with reason Failed is a
-- signing failure, with reason Pending the issuer is still at work.
local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
for _, t in ipairs({ "Denied", "InvalidRequest" }) do
  local c = byType[t]
  if c ~= nil and c.status == "True" then
    return { status = "Degraded", message = c.message or t }
  end
end
local ready = byType["Ready"]
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready ~= nil and ready.status == "False" and ready.reason == "Failed" then
  return { status = "Degraded", message = ready.message or "Signing failed" }
end
if ready ~= nil and ready.message ~= nil then
  return { status = "Progressing", message = ready.message }
end
local approved = byType["Approved"]
if approved == nil or approved.status ~= "True" then
  return { status = "Progressing", message = "Waiting for approval" }
end
return { status = "Progressing", message = "Waiting for the issuer to sign the request" }
