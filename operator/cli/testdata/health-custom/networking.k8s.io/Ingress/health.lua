if obj.metadata.name == "broken" then
  error("cannot assess " .. obj.metadata.name)
end
return { status = "Suspended", message = "from the custom tree" }
