-- Cluster API MachineDeployment: spec.paused is Suspended; phase Failed is Degraded; Running is
-- Healthy once every machine is up to date (upToDateReplicas in v1beta2, updatedReplicas in
-- v1beta1); ScalingUp and ScalingDown progress.
local st = obj.status or {}
if obj.spec ~= nil and obj.spec.paused == true then
  return { status = "Suspended", message = "MachineDeployment is paused" }
end
if st.phase == "Failed" then
  return { status = "Degraded", message = "MachineDeployment failed" }
end
if st.phase == "Running" then
  local wanted = (obj.spec and obj.spec.replicas) or st.replicas or 0
  local upToDate = st.upToDateReplicas or st.updatedReplicas
  if upToDate ~= nil and upToDate < wanted then
    return { status = "Progressing", message = upToDate .. " of " .. wanted .. " machines are up to date" }
  end
  return { status = "Healthy", message = "" }
end
if st.phase == "ScalingUp" or st.phase == "ScalingDown" then
  return { status = "Progressing", message = "Scaling " .. (st.phase == "ScalingUp" and "up" or "down") .. " to " .. ((obj.spec and obj.spec.replicas) or 0) .. " machines" }
end
return { status = "Progressing", message = "Waiting for the controller" }
