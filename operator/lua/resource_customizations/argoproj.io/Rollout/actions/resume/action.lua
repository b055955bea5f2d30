-- Both kinds of pause end: the user's (spec.paused) and a pause step's (status.pauseConditions).
obj.spec.paused = nil
if obj.status ~= nil then obj.status.pauseConditions = nil end
return obj
