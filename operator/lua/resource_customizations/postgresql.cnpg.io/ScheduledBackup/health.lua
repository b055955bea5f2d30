-- CloudNativePG ScheduledBackup: it only creates Backups on schedule (their own health tells how
-- they went); spec.suspend stops it.
if obj.spec ~= nil and obj.spec.suspend == true then
  return { status = "Suspended", message = "Scheduled backups are suspended" }
end
return { status = "Healthy", message = "" }
