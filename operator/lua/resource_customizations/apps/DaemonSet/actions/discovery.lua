local actions = {}
actions["restart"] = { iconClass = "fa fa-fw fa-redo", displayName = "Restart" }
return actions
