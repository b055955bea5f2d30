{{- define "hawser.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hawser.labels" -}}
app.kubernetes.io/name: hawser
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hawser.selectorLabels" -}}
app.kubernetes.io/name: hawser
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hawser.namespace" -}}
{{- default .Release.Namespace .Values.operator.namespace -}}
{{- end -}}

{{- define "hawser.serverSelectorLabels" -}}
app.kubernetes.io/name: hawser-server
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "hawser.serverLabels" -}}
{{ include "hawser.serverSelectorLabels" . }}
app.kubernetes.io/component: server
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
