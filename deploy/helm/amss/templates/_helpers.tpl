{{/* The chart's name, overridable. */}}
{{- define "amss.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name for every resource. */}}
{{- define "amss.fullname" -}}
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

{{- define "amss.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every resource carries. */}}
{{- define "amss.labels" -}}
helm.sh/chart: {{ include "amss.chart" . }}
{{ include "amss.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "amss.selectorLabels" -}}
app.kubernetes.io/name: {{ include "amss.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "amss.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "amss.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding DB_URL, REDIS_ADDR and the JWT keys. */}}
{{- define "amss.secretName" -}}
{{- default (printf "%s-secrets" (include "amss.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The Secret's keys, required unless secrets.existingSecret names a Secret that has them. */}}
{{- define "amss.secretData" -}}
{{- $hint := "is required (or set secrets.existingSecret)" -}}
DB_URL: {{ required (printf "secrets.DB_URL %s" $hint) .Values.secrets.DB_URL | quote }}
REDIS_ADDR: {{ required (printf "secrets.REDIS_ADDR %s" $hint) .Values.secrets.REDIS_ADDR | quote }}
JWT_PRIVATE_KEY_PEM: {{ required (printf "secrets.JWT_PRIVATE_KEY_PEM %s" $hint) .Values.secrets.JWT_PRIVATE_KEY_PEM | quote }}
JWT_PUBLIC_KEY_PEM: {{ required (printf "secrets.JWT_PUBLIC_KEY_PEM %s" $hint) .Values.secrets.JWT_PUBLIC_KEY_PEM | quote }}
{{- with .Values.secrets.JWT_PREVIOUS_PUBLIC_KEYS_PEM }}
JWT_PREVIOUS_PUBLIC_KEYS_PEM: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The Secret of the migration Job: the owner's DB_URL and the application role's password. */}}
{{- define "amss.migrationSecretName" -}}
{{- default (printf "%s-migrations" (include "amss.fullname" .)) .Values.secrets.existingMigrationSecret -}}
{{- end -}}

{{- define "amss.migrationSecretData" -}}
{{- $hint := "is required (or set secrets.existingMigrationSecret)" -}}
DB_URL: {{ required (printf "secrets.MIGRATE_DB_URL %s" $hint) .Values.secrets.MIGRATE_DB_URL | quote }}
AMSS_APP_DB_PASSWORD: {{ required (printf "secrets.AMSS_APP_DB_PASSWORD %s" $hint) .Values.secrets.AMSS_APP_DB_PASSWORD | quote }}
{{- end -}}

{{- define "amss.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Environment of every AMSS process: the ConfigMap, the Secret and the shared paths. */}}
{{- define "amss.envFrom" -}}
- configMapRef:
    name: {{ include "amss.fullname" . }}-config
- secretRef:
    name: {{ include "amss.secretName" . }}
{{- end -}}

{{/* Volumes of server and worker pods: a writable /tmp and the import storage. */}}
{{- define "amss.volumes" -}}
- name: tmp
  emptyDir: {}
- name: imports
{{- if .Values.imports.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-imports" (include "amss.fullname" .)) .Values.imports.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{- define "amss.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: imports
  mountPath: {{ .Values.imports.mountPath }}
{{- end -}}

{{/* Pod annotations: a checksum of the configuration rolls the pods when it changes. */}}
{{- define "amss.podAnnotations" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secrets: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}
