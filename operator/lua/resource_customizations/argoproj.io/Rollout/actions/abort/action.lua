-- The controller reads the abort request from status (written through the status subresource).
if obj.status == nil then obj.status = {} end
obj.status.abort = true
return obj
