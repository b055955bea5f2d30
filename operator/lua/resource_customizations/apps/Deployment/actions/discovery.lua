-- Pause is offered while the rollout runs, resume while it is paused.
local paused = obj.spec ~= nil and obj.spec.paused == true
local actions = {}
actions["restart"] = { iconClass = "fa fa-fw fa-redo", displayName = "Restart" }
actions["pause"] = { disabled = paused, iconClass = "fa fa-fw fa-pause-circle", displayName = "Pause" }
actions["resume"] = { disabled = not paused, iconClass = "fa fa-fw fa-play-circle", displayName = "Resume" }
return actions
