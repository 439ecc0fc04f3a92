{{/* Chart name, shortened to a DNS label. */}}
{{- define "isd-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped base name. */}}
{{- define "isd-agent.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Recommended labels. */}}
{{- define "isd-agent.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "isd-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: isd
{{- end -}}

{{/* Selector labels: name, instance, component. */}}
{{- define "isd-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "isd-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "isd-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "isd-agent.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "isd-agent.image" -}}
{{- $image := .Values.image -}}
{{- $tag := $image.tag | default .Chart.AppVersion | toString -}}
{{- if $image.registry -}}
{{- printf "%s/%s:%s" $image.registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* "true" when a target of config.services is the in-cluster kubernetes API: the only user of the pod's ServiceAccount token. */}}
{{- define "isd-agent.usesServiceAccountToken" -}}
{{- $uses := false -}}
{{- range .Values.config.services -}}
{{- if and (eq (toString .type) "kubernetes") .inCluster -}}{{- $uses = true -}}{{- end -}}
{{- end -}}
{{- if $uses -}}true{{- end -}}
{{- end -}}

{{/* policyTypes and egress of the agent's NetworkPolicy: DNS and networkPolicy.egress.rules when egress is restricted. */}}
{{- define "isd-agent.egressPolicy" -}}
{{- $egress := .Values.networkPolicy.egress -}}
policyTypes:
  - Ingress
{{- if $egress.enabled }}
  - Egress
egress:
  # DNS, wherever the cluster runs it.
  - ports:
      - port: 53
        protocol: UDP
      - port: 53
        protocol: TCP
  {{- with $egress.rules }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}
