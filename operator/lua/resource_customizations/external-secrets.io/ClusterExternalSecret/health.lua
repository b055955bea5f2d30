-- External Secrets Operator ClusterExternalSecret: writes an ExternalSecret into every matching
-- namespace. A namespace it could not write to (status.failedNamespaces) makes it Degraded, even
-- while the others are fine.
local st = obj.status or {}
if st.failedNamespaces ~= nil and #st.failedNamespaces > 0 then
  local f = st.failedNamespaces[1]
  local msg = "failed in namespace " .. (f.namespace or "?")
  if f.reason ~= nil then msg = msg .. ": " .. f.reason end
  if #st.failedNamespaces > 1 then msg = msg .. " (and " .. (#st.failedNamespaces - 1) .. " more)" end
  return { status = "Degraded", message = msg }
end
for _, c in ipairs(st.conditions or {}) do
  if c.type == "Ready" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" then return { status = "Degraded", message = c.message or c.reason or "Not ready" } end
    return { status = "Progressing", message = c.message or "" }
  end
end
return { status = "Progressing", message = "Waiting for the ExternalSecrets to be created" }
