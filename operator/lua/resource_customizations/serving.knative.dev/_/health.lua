-- Knative Serving (Service, Configuration, Revision, Route, DomainMapping): every kind reports a
-- Ready condition summarising the others, as Knative's duck types do. A status written for an
-- older generation is not an answer yet. A Revision scaled to zero stays Ready.
local st = obj.status or {}
local generation = obj.metadata and obj.metadata.generation
if generation ~= nil and st.observedGeneration ~= nil and st.observedGeneration < generation then
  return { status = "Progressing", message = "Waiting for the new generation to be reconciled" }
end
for _, c in ipairs(st.conditions or {}) do
  if c.type == "Ready" then
    if c.status == "True" then return { status = "Healthy", message = "" } end
    if c.status == "False" then
      local msg = c.message or ""
      if c.reason ~= nil and msg ~= "" then msg = c.reason .. ": " .. msg elseif c.reason ~= nil then msg = c.reason end
      return { status = "Degraded", message = msg }
    end
    return { status = "Progressing", message = c.message or c.reason or "" }
  end
end
return { status = "Progressing", message = "Waiting for the controller to reconcile" }
