{{/*
One kit-based sidecar: ConfigMap (its config file, exactly `<component>.config`), Deployment, Service,
PodDisruptionBudget and NetworkPolicy. Args: root, component, values, defaultPort, tokenEnv (extra
variables that receive the service token), callers (components allowed besides Orca and Gate).
*/}}
{{- define "isd.sidecar" -}}
{{- $root := .root -}}
{{- $values := .values -}}
{{- $nameArgs := dict "root" $root "component" .component -}}
{{- $name := include "isd.componentName" $nameArgs -}}
{{- $config := $values.config | default dict -}}
{{- $server := $config.server | default dict -}}
{{- $port := $server.port | default .defaultPort -}}
{{- $gatePort := $server.gatePort -}}
{{- $prefix := upper .component -}}
{{- $gateTls := $root.Values.gateTls -}}
{{- if and $gatePort (not $root.Values.networkPolicy.enabled) (not $gateTls.enabled) -}}
{{- fail (printf "%s: config.server.gatePort trusts X-SPINNAKER-USER from whoever reaches it, and only the NetworkPolicy keeps that to Gate: keep networkPolicy.enabled, enable gateTls (Gate's client certificate), or drop gatePort and set auth.gateTokenKey" .component) -}}
{{- end -}}
{{- if and $gatePort $gateTls.enabled -}}
{{- /* Mutual TLS on the Gate-only listener, from the Secret mounted at /etc/isd/gate-tls. */ -}}
{{- $tls := dict "certFile" "/etc/isd/gate-tls/tls.crt" "keyFile" "/etc/isd/gate-tls/tls.key" "clientCaFile" "/etc/isd/gate-tls/ca.crt" "clientNames" $gateTls.clientNames -}}
{{- $config = mustMergeOverwrite (deepCopy $config) (dict "server" (dict "gateTls" $tls)) -}}
{{- end -}}
{{- if and (not $gatePort) (not $root.Values.auth.gateTokenKey) -}}
{{- fail (printf "%s needs config.server.gatePort (a Gate-only listener) or auth.gateTokenKey (a Gate credential): without either no user request can be trusted" .component) -}}
{{- end -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "isd.labels" $nameArgs | nindent 4 }}
data:
  config.yaml: |
    {{- toYaml $config | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "isd.labels" $nameArgs | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  revisionHistoryLimit: 5
  # Orca fails a stage whose poll meets a refused connection: never take a ready replica away first.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  selector:
    matchLabels: {{- include "isd.selectorLabels" $nameArgs | nindent 6 }}
  template:
    metadata:
      labels: {{- include "isd.labels" $nameArgs | nindent 8 }}
      annotations:
        checksum/config: {{ toYaml $config | sha256sum }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets: {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext: {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      {{- include "isd.scheduling" (dict "values" $values) | nindent 6 }}
      containers:
        - name: {{ .component }}
          image: {{ include "isd.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .component | quote }}, "--config", "/etc/isd/config.yaml"]
          ports:
            - name: http
              containerPort: {{ $port }}
              protocol: TCP
            {{- if $gatePort }}
            - name: gate
              containerPort: {{ $gatePort }}
              protocol: TCP
            {{- end }}
          env:
            {{- include "isd.authEnv" (dict "root" $root "env" (printf "%s_AUTH__SERVICE_TOKEN" $prefix) "key" $root.Values.auth.serviceTokenKey) | nindent 12 }}
            {{- if $root.Values.auth.gateTokenKey }}
            {{- include "isd.authEnv" (dict "root" $root "env" (printf "%s_AUTH__GATE_TOKEN" $prefix) "key" $root.Values.auth.gateTokenKey) | nindent 12 }}
            {{- end }}
            {{- range .tokenEnv }}
            {{- include "isd.authEnv" (dict "root" $root "env" . "key" $root.Values.auth.serviceTokenKey) | nindent 12 }}
            {{- end }}
            {{- include "isd.databaseEnv" $root | nindent 12 }}
            - name: {{ $prefix }}_LOG__PRETTY
              value: "false"
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "isd.probes" (dict "root" $root "port" "http") | nindent 10 }}
          resources: {{- toYaml $values.resources | nindent 12 }}
          securityContext: {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/isd
              readOnly: true
            - name: tmp
              mountPath: /tmp
            # Working state (e.g. sapor's policy git clone) under the image's working directory.
            - name: state
              mountPath: /app/.isd
            {{- if and $gatePort $gateTls.enabled }}
            - name: gate-tls
              mountPath: /etc/isd/gate-tls
              readOnly: true
            {{- end }}
            {{- with $values.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ $name }}
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.volumeSizeLimits.tmp }}
        - name: state
          emptyDir:
            sizeLimit: {{ $root.Values.volumeSizeLimits.state }}
        {{- if and $gatePort $gateTls.enabled }}
        - name: gate-tls
          secret:
            secretName: {{ include "isd.gateTlsSecret" $root }}
        {{- end }}
        {{- with $values.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "isd.labels" $nameArgs | nindent 4 }}
spec:
  type: ClusterIP
  selector: {{- include "isd.selectorLabels" $nameArgs | nindent 4 }}
  ports:
    - name: http
      port: {{ $values.service.port }}
      targetPort: http
      protocol: TCP
    {{- if $gatePort }}
    - name: gate
      port: {{ $values.service.gatePort }}
      targetPort: gate
      protocol: TCP
    {{- end }}
{{- if $values.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "isd.labels" $nameArgs | nindent 4 }}
spec:
  maxUnavailable: {{ $values.pdb.maxUnavailable }}
  selector:
    matchLabels: {{- include "isd.selectorLabels" $nameArgs | nindent 6 }}
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels: {{- include "isd.labels" $nameArgs | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "isd.selectorLabels" $nameArgs | nindent 6 }}
  {{- include "isd.egressPolicy" $root | nindent 2 }}
  ingress:
    # The API port: Orca (gate create/monitor/cancel){{ if not $gatePort }} and Gate (the Deck proxy, with the Gate credential){{ end }}.
    - from:
        {{- include "isd.spinnakerPeer" (dict "root" $root "selector" $root.Values.networkPolicy.orcaPodLabels) | nindent 8 }}
        {{- if not $gatePort }}
        {{- include "isd.spinnakerPeer" (dict "root" $root "selector" $root.Values.networkPolicy.gatePodLabels) | nindent 8 }}
        {{- end }}
        {{- range .callers }}
        - podSelector:
            matchLabels: {{- include "isd.selectorLabels" (dict "root" $root "component" .) | nindent 14 }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- if $gatePort }}
    # The Gate-only listener, where X-SPINNAKER-USER is trusted: this rule is what makes it Gate-only.
    - from:
        {{- include "isd.spinnakerPeer" (dict "root" $root "selector" $root.Values.networkPolicy.gatePodLabels) | nindent 8 }}
      ports:
        - port: gate
          protocol: TCP
    {{- end }}
    {{- with $root.Values.networkPolicy.extraIngress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}
