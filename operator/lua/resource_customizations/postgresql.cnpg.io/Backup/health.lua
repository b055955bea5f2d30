-- CloudNativePG Backup: status.phase runs pending → started/running → finalizing → completed;
-- failed and walArchivingFailing end it without a usable backup.
local st = obj.status or {}
local phase = st.phase or ""
if phase == "completed" then return { status = "Healthy", message = "Backup completed" } end
if phase == "failed" or phase == "walArchivingFailing" then
  return { status = "Degraded", message = st.error or ("Backup " .. phase) }
end
if phase == "" then return { status = "Progressing", message = "Waiting for the backup to start" } end
return { status = "Progressing", message = "Backup is " .. phase }
