-- Removing the field (rather than writing false) leaves the spec as it was before the pause.
obj.spec.paused = nil
return obj
