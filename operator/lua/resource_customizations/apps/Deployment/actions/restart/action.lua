-- Rolls the pods, as `kubectl rollout restart` does: a changed pod-template annotation makes the
-- controller replace every pod.
local template = obj.spec.template
if template.metadata == nil then template.metadata = {} end
if template.metadata.annotations == nil then template.metadata.annotations = {} end
template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] = os.date("!%Y-%m-%dT%XZ")
return obj
