-- batch CronJob: suspended when spec.suspend; otherwise healthy (each run is its own Job, whose
-- health is assessed separately). The message says when it last ran, if ever.
if obj.spec ~= nil and obj.spec.suspend == true then
  return { status = "Suspended", message = "CronJob is suspended" }
end
if obj.status ~= nil and obj.status.lastScheduleTime ~= nil then
  return { status = "Healthy", message = "Last scheduled at " .. obj.status.lastScheduleTime }
end
return { status = "Healthy", message = "Not scheduled yet" }
