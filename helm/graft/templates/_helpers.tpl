{{- define "graft.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "graft.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "graft.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "graft.labels" -}}
helm.sh/chart: {{ include "graft.chart" . }}
app.kubernetes.io/name: {{ include "graft.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: "api" or "worker". */}}
{{- define "graft.selectorLabels" -}}
app.kubernetes.io/name: {{ include "graft.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "graft.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "graft.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The chart's own Secret, holding whatever no existingSecret provides. */}}
{{- define "graft.secretName" -}}
{{- printf "%s-secrets" (include "graft.fullname" .) }}
{{- end }}

{{- define "graft.dbSecretName" -}}
{{- default (include "graft.secretName" .) .Values.database.existingSecret }}
{{- end }}
{{- define "graft.dbSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecretPasswordKey }}{{ else }}database-password{{ end }}
{{- end }}

{{/* Whether S3 keys come from a Secret at all (else: the AWS default credential chain). */}}
{{- define "graft.s3Keys" -}}
{{- if or .Values.s3.existingSecret .Values.s3.accessKey .Values.s3.secretKey }}true{{ end }}
{{- end }}
{{- define "graft.s3SecretName" -}}
{{- default (include "graft.secretName" .) .Values.s3.existingSecret }}
{{- end }}
{{- define "graft.s3AccessKeyKey" -}}
{{- if .Values.s3.existingSecret }}{{ .Values.s3.existingSecretAccessKeyKey }}{{ else }}s3-access-key{{ end }}
{{- end }}
{{- define "graft.s3SecretKeyKey" -}}
{{- if .Values.s3.existingSecret }}{{ .Values.s3.existingSecretSecretKeyKey }}{{ else }}s3-secret-key{{ end }}
{{- end }}

{{- define "graft.tokenSecretName" -}}
{{- default (include "graft.secretName" .) .Values.security.existingSecret }}
{{- end }}
{{- define "graft.tokenSecretKey" -}}
{{- if .Values.security.existingSecret }}{{ .Values.security.existingSecretKey }}{{ else }}bootstrap-token{{ end }}
{{- end }}

{{/* Whether a bootstrap token is given at all (a value or an existing Secret). */}}
{{- define "graft.bootstrapToken" -}}
{{- if or .Values.security.existingSecret .Values.security.bootstrapToken }}true{{ end }}
{{- end }}

{{/* Whether the chart renders a Secret of its own. */}}
{{- define "graft.ownSecret" -}}
{{- if or (not .Values.database.existingSecret) (and .Values.security.bootstrapToken (not .Values.security.existingSecret)) (and (include "graft.s3Keys" .) (not .Values.s3.existingSecret)) }}true{{ end }}
{{- end }}

{{/* The environment both roles share beyond the ConfigMap: secrets, by reference only. */}}
{{- define "graft.secretEnv" -}}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "graft.dbSecretName" . }}
      key: {{ include "graft.dbSecretKey" . }}
{{- if include "graft.s3Keys" . }}
- name: GRAFT_STORAGE_S3_ACCESSKEY
  valueFrom:
    secretKeyRef:
      name: {{ include "graft.s3SecretName" . }}
      key: {{ include "graft.s3AccessKeyKey" . }}
- name: GRAFT_STORAGE_S3_SECRETKEY
  valueFrom:
    secretKeyRef:
      name: {{ include "graft.s3SecretName" . }}
      key: {{ include "graft.s3SecretKeyKey" . }}
{{- end }}
{{- if include "graft.bootstrapToken" . }}
- name: GRAFT_SECURITY_BOOTSTRAPTOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "graft.tokenSecretName" . }}
      key: {{ include "graft.tokenSecretKey" . }}
{{- end }}
{{- if .Values.javaToolOptions }}
- name: JAVA_TOOL_OPTIONS
  value: {{ .Values.javaToolOptions | quote }}
{{- end }}
{{- end }}

{{/* Probes on the actuator's health groups, and the writable volumes, for one container. */}}
{{- define "graft.probes" -}}
startupProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /actuator/health/readiness
    port: http
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
{{- end }}

{{- define "graft.volumeMounts" -}}
- name: work
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "graft.volumes" -}}
- name: work
  emptyDir:
    {{- if .Values.workVolume.medium }}
    medium: {{ .Values.workVolume.medium }}
    {{- end }}
    {{- if .Values.workVolume.sizeLimit }}
    sizeLimit: {{ .Values.workVolume.sizeLimit }}
    {{- end }}
- name: tmp
  emptyDir:
    {{- if .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
    {{- end }}
{{- end }}

{{/* Pod-template annotations that roll the pods when the configuration changes. */}}
{{- define "graft.configChecksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
