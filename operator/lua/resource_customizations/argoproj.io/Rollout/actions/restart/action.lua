-- The rollouts controller replaces pods created before spec.restartAt.
obj.spec.restartAt = os.date("!%Y-%m-%dT%XZ")
return obj
