// "import 'not/an/import'" inside a comment or string is not an import
local k = import 'k.libsonnet';
local h = import "helpers.libsonnet";
local note = "import '/etc/passwd' is just text here";
function(replicas, enabled=false) [
  k.configMap(std.extVar('prefix') + h.suffix, { replicas: std.toString(replicas), enabled: std.toString(enabled), note: note }),
  k.configMap('from-code', { sum: std.toString(std.extVar('n') + 1), app: std.extVar('app') }),
]
