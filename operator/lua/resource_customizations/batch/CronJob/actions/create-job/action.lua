-- A Job from the CronJob's template now, as `kubectl create job --from=cronjob/NAME` makes it:
-- owned by the CronJob (so it is part of the app's tree and cleaned up with it) and marked as
-- started by hand. The name is the CronJob's, cut so the suffix fits the 63-character limit.
local template = obj.spec.jobTemplate or {}
local meta = template.metadata or {}
local labels = {}
for k, v in pairs(meta.labels or {}) do labels[k] = v end
local annotations = {}
for k, v in pairs(meta.annotations or {}) do annotations[k] = v end
annotations["cronjob.kubernetes.io/instantiate"] = "manual"
local stamp = os.date("!%Y%m%d%H%M%S")
local job = {
  apiVersion = "batch/v1",
  kind = "Job",
  metadata = {
    name = string.sub(obj.metadata.name, 1, 63 - 1 - #stamp) .. "-" .. stamp,
    namespace = obj.metadata.namespace,
    -- An empty table would come back as an empty map; leave the field out instead.
    labels = next(labels) ~= nil and labels or nil,
    annotations = annotations,
    ownerReferences = {
      { apiVersion = obj.apiVersion, kind = obj.kind, name = obj.metadata.name, uid = obj.metadata.uid, controller = true, blockOwnerDeletion = true },
    },
  },
  spec = template.spec,
}
return { { operation = "create", resource = job } }
