-- Gateway API Gateway: Accepted (the controller takes the spec) and Programmed (the data plane is
-- configured and has an address), plus per-listener conditions. A condition written for an older
-- generation is not an answer yet. Programmed=False with reason Pending is still work in progress.
local generation = obj.metadata and obj.metadata.generation
local st = obj.status or {}
local function describe(c)
  if c.message ~= nil and c.message ~= "" then return c.message end
  return c.reason or c.type
end
local byType = {}
for _, c in ipairs(st.conditions or {}) do
  if generation ~= nil and c.observedGeneration ~= nil and c.observedGeneration < generation then
    return { status = "Progressing", message = "Waiting for the controller to observe generation " .. generation }
  end
  byType[c.type] = c
end
local accepted, programmed = byType["Accepted"], byType["Programmed"]
if accepted ~= nil and accepted.status == "False" then
  return { status = "Degraded", message = describe(accepted) }
end
for _, l in ipairs(st.listeners or {}) do
  for _, c in ipairs(l.conditions or {}) do
    local bad = (c.status == "False" and (c.type == "Accepted" or c.type == "ResolvedRefs" or c.type == "Programmed"))
      or (c.status == "True" and c.type == "Conflicted")
    if bad and c.reason ~= "Pending" then
      return { status = "Degraded", message = "Listener " .. (l.name or "?") .. ": " .. describe(c) }
    end
  end
end
if programmed ~= nil and programmed.status == "False" and programmed.reason ~= "Pending" then
  return { status = "Degraded", message = describe(programmed) }
end
if accepted ~= nil and accepted.status == "True" and programmed ~= nil and programmed.status == "True" then
  return { status = "Healthy", message = describe(programmed) }
end
if programmed ~= nil then return { status = "Progressing", message = describe(programmed) } end
if accepted ~= nil then return { status = "Progressing", message = describe(accepted) } end
return { status = "Progressing", message = "Waiting for the controller" }
