-- Crossplane CompositeResourceDefinition: Established once the XR's CRD serves, and Offered once
-- the claim CRD does (only when spec.claimNames asks for claims). Neither fails on its own; a
-- False means the definition is being torn down.
local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local wanted = { "Established" }
if obj.spec ~= nil and obj.spec.claimNames ~= nil then table.insert(wanted, "Offered") end
for _, t in ipairs(wanted) do
  local c = byType[t]
  if c == nil then return { status = "Progressing", message = "Waiting for " .. t } end
  if c.status ~= "True" then return { status = "Progressing", message = c.message or c.reason or ("Waiting for " .. t) } end
end
return { status = "Healthy", message = "" }
