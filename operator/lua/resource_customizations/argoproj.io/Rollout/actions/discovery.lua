-- Offered by the rollout's state: abort while it progresses, retry once aborted, resume while
-- paused (by the user or a pause step), pause while it runs.
local spec = obj.spec or {}
local status = obj.status or {}
local aborted = status.abort == true
local userPaused = spec.paused == true
local stepPaused = status.pauseConditions ~= nil and #status.pauseConditions > 0
local completed = status.currentPodHash ~= nil and status.currentPodHash == status.stableRS and not aborted
local actions = {}
actions["restart"] = { disabled = spec.replicas == 0, iconClass = "fa fa-fw fa-redo", displayName = "Restart" }
actions["abort"] = { disabled = aborted or completed, iconClass = "fa fa-fw fa-times-circle", displayName = "Abort" }
actions["retry"] = { disabled = not aborted, iconClass = "fa fa-fw fa-redo-alt", displayName = "Retry" }
actions["promote-full"] = { disabled = completed, iconClass = "fa fa-fw fa-angle-double-right", displayName = "Promote-Full" }
actions["pause"] = { disabled = userPaused or aborted or completed, iconClass = "fa fa-fw fa-pause-circle", displayName = "Pause" }
actions["resume"] = { disabled = not (userPaused or stepPaused), iconClass = "fa fa-fw fa-play-circle", displayName = "Resume" }
return actions
