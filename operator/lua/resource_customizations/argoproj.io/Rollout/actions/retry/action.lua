-- Clearing the abort lets the controller start the update again.
if obj.status ~= nil then obj.status.abort = nil end
return obj
