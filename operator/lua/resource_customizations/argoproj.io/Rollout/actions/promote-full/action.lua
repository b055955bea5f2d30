-- Skips the remaining steps and analysis: the controller promotes the new version at once.
if obj.status == nil then obj.status = {} end
obj.status.promoteFull = true
return obj
