-- Argo CD ApplicationSet: ErrorOccurred (True) or ParametersGenerated (False) means the
-- generators or the template failed; RolloutProgressing (True) is a progressive sync under way;
-- ResourcesUpToDate (True) means every generated Application is written.
local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local err, params, rollout, upToDate = byType["ErrorOccurred"], byType["ParametersGenerated"], byType["RolloutProgressing"], byType["ResourcesUpToDate"]
if err ~= nil and err.status == "True" then
  return { status = "Degraded", message = err.message or err.reason or "" }
end
if params ~= nil and params.status == "False" then
  return { status = "Degraded", message = params.message or params.reason or "" }
end
if rollout ~= nil and rollout.status == "True" then
  return { status = "Progressing", message = rollout.message or "" }
end
if upToDate ~= nil and upToDate.status == "True" then
  return { status = "Healthy", message = upToDate.message or "" }
end
return { status = "Progressing", message = "Waiting for the ApplicationSet to be reconciled" }
