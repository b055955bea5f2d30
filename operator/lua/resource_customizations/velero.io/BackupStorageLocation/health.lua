-- Velero BackupStorageLocation: status.phase Available once Velero could reach the bucket,
-- Unavailable (with status.message) when it could not.
local st = obj.status or {}
if st.phase == "Available" then return { status = "Healthy", message = "" } end
if st.phase == "Unavailable" then return { status = "Degraded", message = st.message or "Backup storage location is unavailable" } end
return { status = "Progressing", message = "Waiting for Velero to check the location" }
