-- Gateway API routes (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) and policies that
-- report per-ancestor status (BackendTLSPolicy): each parent Gateway that handles the route writes
-- Accepted and ResolvedRefs for it. A parent that refuses it, or a backend that does not resolve,
-- is Degraded; the route is Healthy once every parent accepted it. Other kinds (ReferenceGrant)
-- have no status and no check.
local st = obj.status or {}
local entries = st.parents or st.ancestors
local isRoute = string.sub(obj.kind or "", -5) == "Route"
if entries == nil and not isRoute then return nil end
if entries == nil or #entries == 0 then
  return { status = "Progressing", message = "Waiting for a Gateway to accept the route" }
end
local generation = obj.metadata and obj.metadata.generation
for _, p in ipairs(entries) do
  local ref = p.parentRef or p.ancestorRef or {}
  local name = (ref.namespace and (ref.namespace .. "/") or "") .. (ref.name or "?")
  local accepted = false
  for _, c in ipairs(p.conditions or {}) do
    if generation ~= nil and c.observedGeneration ~= nil and c.observedGeneration < generation then
      return { status = "Progressing", message = "Waiting for " .. name .. " to observe generation " .. generation }
    end
    if (c.type == "Accepted" or c.type == "ResolvedRefs") and c.status == "False" then
      return { status = "Degraded", message = name .. ": " .. (c.message or c.reason or (c.type .. " is False")) }
    end
    if c.type == "Accepted" and c.status == "True" then accepted = true end
  end
  if not accepted then
    return { status = "Progressing", message = "Waiting for " .. name .. " to accept the route" }
  end
end
return { status = "Healthy", message = "" }
