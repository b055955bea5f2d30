-- Crossplane package (Configuration): Installed says a revision is active, Healthy that its runtime (or
-- its dependencies) works. A Configuration that waits for a manual activation is Suspended.

local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local installed, healthy = byType["Installed"], byType["Healthy"]
if installed ~= nil and installed.status == "False" and installed.reason == "InactivePackageRevision"
    and obj.spec ~= nil and obj.spec.revisionActivationPolicy == "Manual" then
  return { status = "Suspended", message = "Waiting for a package revision to be activated (revisionActivationPolicy: Manual)" }
end
if healthy ~= nil and healthy.status == "False" then
  return { status = "Degraded", message = healthy.message or healthy.reason or "Package is not healthy" }
end
if installed ~= nil and installed.status == "True" and healthy ~= nil and healthy.status == "True" then
  return { status = "Healthy", message = "" }
end
if installed ~= nil and installed.status ~= "True" then
  return { status = "Progressing", message = installed.message or installed.reason or "Installing package" }
end
if healthy ~= nil then
  return { status = "Progressing", message = healthy.message or healthy.reason or "" }
end
return { status = "Progressing", message = "Installing package" }
