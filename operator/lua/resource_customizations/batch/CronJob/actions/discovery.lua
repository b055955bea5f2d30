local suspended = obj.spec ~= nil and obj.spec.suspend == true
local actions = {}
actions["create-job"] = { iconClass = "fa fa-fw fa-plus", displayName = "Create Job" }
actions["suspend"] = { disabled = suspended, iconClass = "fa fa-fw fa-pause", displayName = "Suspend CronJob" }
actions["resume"] = { disabled = not suspended, iconClass = "fa fa-fw fa-play", displayName = "Resume CronJob" }
return actions
