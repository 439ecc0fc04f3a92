{{/* Chart name, shortened to a DNS label. */}}
{{- define "isd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped base name: the release name alone when it already holds the chart name ("isd"). */}}
{{- define "isd.fullname" -}}
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

{{/* Name of one component's objects, e.g. isd-visibility. Args: root, component. */}}
{{- define "isd.componentName" -}}
{{- printf "%s-%s" (include "isd.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "isd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Recommended labels (helm.sh/docs/chart_best_practices/labels). Args: root, component. */}}
{{- define "isd.labels" -}}
helm.sh/chart: {{ include "isd.chart" .root }}
{{ include "isd.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: isd
{{- end -}}

{{/* Selector labels: only name, instance and component, which never change on upgrade. Args: root, component. */}}
{{- define "isd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "isd.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The one ISD image; the component is chosen by the container's first argument. */}}
{{- define "isd.image" -}}
{{- $image := .Values.image -}}
{{- $tag := $image.tag | default .Chart.AppVersion | toString -}}
{{- if $image.registry -}}
{{- printf "%s/%s:%s" $image.registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* DATABASE_URL for the sidecars: from an existing Secret, or built for the bundled Postgres. */}}
{{- define "isd.databaseEnv" -}}
{{- if .Values.postgresql.enabled -}}
- name: ISD_POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "postgresql.auth.existingSecret is required when postgresql.enabled (no default password is ever rendered)" .Values.postgresql.auth.existingSecret }}
      key: {{ .Values.postgresql.auth.passwordKey }}
# Kubernetes expands $(VAR) from variables defined earlier in the list; the password must be URL-safe.
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(ISD_POSTGRES_PASSWORD)@%s:5432/%s" .Values.postgresql.auth.username (include "isd.componentName" (dict "root" . "component" "postgresql")) .Values.postgresql.auth.database | quote }}
{{- else -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required: a Secret holding the Postgres URL (or set postgresql.enabled)" .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- end -}}
{{- end -}}

{{/* An env entry read from the auth Secret. Args: root, env, key. */}}
{{- define "isd.authEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ required "auth.existingSecret is required: a Secret holding the service and Gate tokens" .root.Values.auth.existingSecret }}
      key: {{ .key }}
{{- end -}}

{{/* A NetworkPolicy peer for Spinnaker pods, in the Spinnaker namespace when one is selected. Args: root, selector. */}}
{{- define "isd.spinnakerPeer" -}}
- podSelector:
    matchLabels: {{- toYaml .selector | nindent 6 }}
{{- with .root.Values.networkPolicy.spinnakerNamespaceSelector }}
  namespaceSelector:
    matchLabels: {{- toYaml . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Probes shared by every component. Args: root, port (name). */}}
{{- define "isd.probes" -}}
{{- $probes := .root.Values.probes -}}
startupProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
  {{- toYaml $probes.startup | nindent 2 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  {{- toYaml $probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
  {{- toYaml $probes.readiness | nindent 2 }}
{{- end -}}

{{/* Pod scheduling settings of a component. Args: values. */}}
{{- define "isd.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Secret with the Gate-only listeners' tls.crt/tls.key and ca.crt (the CA of Gate's client certificate). */}}
{{- define "isd.gateTlsSecret" -}}
{{- if .Values.gateTls.existingSecret -}}
{{- .Values.gateTls.existingSecret -}}
{{- else -}}
{{- printf "%s-gate-tls" (include "isd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart issues the gateTls certificates from its own CA (neither a Secret nor cert-manager given). */}}
{{- define "isd.gateTlsOwnCa" -}}
{{- if and .Values.gateTls.enabled (not .Values.gateTls.certManager.enabled) (not .Values.gateTls.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* DNS names of the sidecars' Gate-only listeners (every enabled sidecar's Service). */}}
{{- define "isd.gateTlsDnsNames" -}}
{{- $names := list -}}
{{- range $component := list "visibility" "autopilot" "sapor" -}}
{{- if (index $.Values $component).enabled -}}
{{- $service := include "isd.componentName" (dict "root" $ "component" $component) -}}
{{- $names = concat $names (list $service (printf "%s.%s.svc" $service $.Release.Namespace) (printf "%s.%s.svc.cluster.local" $service $.Release.Namespace)) -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
policyTypes and the egress rules of every ISD NetworkPolicy. With networkPolicy.egress.enabled a pod may reach
only DNS, this release's own pods (sidecar to sidecar, the controller, the bundled Postgres) and
networkPolicy.egress.rules; off (the default), egress is not restricted.
*/}}
{{- define "isd.egressPolicy" -}}
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
  - to:
      - podSelector:
          matchLabels:
            app.kubernetes.io/name: {{ include "isd.name" . }}
            app.kubernetes.io/instance: {{ .Release.Name }}
  {{- with $egress.rules }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}
