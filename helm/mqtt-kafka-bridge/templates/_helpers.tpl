{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "mqtt-kafka-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release name plus chart name, unless the release name already contains the chart name.
Kept to 53 characters so that "<fullname>-hazelcast" still fits a DNS label.
*/}}
{{- define "mqtt-kafka-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 53 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 53 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mqtt-kafka-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "mqtt-kafka-bridge.labels" -}}
helm.sh/chart: {{ include "mqtt-kafka-bridge.chart" . }}
{{ include "mqtt-kafka-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the bridge pods; never change them in an upgrade (selectors are immutable). */}}
{{- define "mqtt-kafka-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mqtt-kafka-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mqtt-kafka-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mqtt-kafka-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mqtt-kafka-bridge.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "mqtt-kafka-bridge.hazelcastService" -}}
{{- printf "%s-hazelcast" (include "mqtt-kafka-bridge.fullname" .) }}
{{- end }}

{{/* The headless Service's DNS name: what Hazelcast's DNS lookup discovery resolves to pod IPs. */}}
{{- define "mqtt-kafka-bridge.hazelcastServiceDns" -}}
{{- .Values.cluster.kubernetes.serviceDns | default (printf "%s.%s.svc.cluster.local" (include "mqtt-kafka-bridge.hazelcastService" .) .Release.Namespace) }}
{{- end }}

{{/* Where the config file and the TLS files are mounted; the image's documented paths. */}}
{{- define "mqtt-kafka-bridge.configDir" -}}/etc/mqtt-kafka-bridge{{- end }}
{{- define "mqtt-kafka-bridge.tlsDir" -}}/etc/mqtt-kafka-bridge/tls{{- end }}
{{- define "mqtt-kafka-bridge.authDir" -}}/etc/mqtt-kafka-bridge/auth{{- end }}
{{- define "mqtt-kafka-bridge.adminDir" -}}/etc/mqtt-kafka-bridge/admin{{- end }}
{{- define "mqtt-kafka-bridge.ticketsDir" -}}/etc/mqtt-kafka-bridge/tickets{{- end }}
{{/* "true" when the pods share TLS session ticket keys from tls.ticketKeysSecret. */}}
{{- define "mqtt-kafka-bridge.sharedTickets" -}}
{{- if and (include "mqtt-kafka-bridge.tlsNeeded" .) .Values.tls.ticketKeysSecret }}true{{ end }}
{{- end }}

{{/* "true" when a file of auth.existingSecret is used: the Secret is mounted then. */}}
{{- define "mqtt-kafka-bridge.authFilesNeeded" -}}
{{- if or .Values.auth.passwordFileKey .Values.auth.jwt.jwksKey .Values.auth.jwt.publicKeyKey }}true{{ end }}
{{- end }}

{{/* "true" when a listener serves the certificate of tls.existingSecret: MQTT over TLS or secure WebSocket. */}}
{{- define "mqtt-kafka-bridge.tlsNeeded" -}}
{{- if or .Values.tls.enabled .Values.mqtt.websocket.tls.enabled }}true{{ end }}
{{- end }}

{{/* Refuses values that would deploy a broken bridge, with a message that names the value. */}}
{{- define "mqtt-kafka-bridge.validate" -}}
{{- if and (include "mqtt-kafka-bridge.tlsNeeded" .) (not .Values.tls.existingSecret) }}
{{- fail "tls.existingSecret: must name a Secret with tls.crt and tls.key when tls.enabled or mqtt.websocket.tls.enabled is true" }}
{{- end }}
{{- if not (or .Values.mqtt.plain.enabled .Values.tls.enabled .Values.mqtt.websocket.enabled .Values.mqtt.websocket.tls.enabled) }}
{{- fail "mqtt.plain.enabled: no MQTT listener is enabled (mqtt.plain.enabled, tls.enabled, mqtt.websocket.enabled and mqtt.websocket.tls.enabled are all false)" }}
{{- end }}
{{- if not (has .Values.tls.clientAuth (list "none" "request" "required")) }}
{{- fail (printf "tls.clientAuth: must be none, request or required, was %v" .Values.tls.clientAuth) }}
{{- end }}
{{- if and (not .Values.kafka.bootstrapServers) (or .Values.cluster.enabled .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1)) }}
{{- fail "kafka.bootstrapServers: must be set when running more than one pod or clustered (empty starts a private embedded Kafka in each pod: dev mode, one unclustered pod only)" }}
{{- end }}
{{- if and (include "mqtt-kafka-bridge.authFilesNeeded" .) (not .Values.auth.existingSecret) }}
{{- fail "auth.existingSecret: must name a Secret holding the files of auth.passwordFileKey, auth.jwt.jwksKey or auth.jwt.publicKeyKey" }}
{{- end }}
{{- if and .Values.auth.jwt.jwksKey .Values.auth.jwt.publicKeyKey }}
{{- fail "auth.jwt.publicKeyKey: must not be set together with auth.jwt.jwksKey (use one key source)" }}
{{- end }}
{{- if and .Values.auth.certificate.enabled (not (and (include "mqtt-kafka-bridge.tlsNeeded" .) (ne .Values.tls.clientAuth "none"))) }}
{{- fail "auth.certificate.enabled: needs tls.enabled (or mqtt.websocket.tls.enabled) with tls.clientAuth request or required" }}
{{- end }}
{{- if and .Values.http.admin.enabled (not .Values.http.admin.existingSecret) }}
{{- fail "http.admin.existingSecret: must name a Secret holding the admin bearer token (under http.admin.tokenKey) when http.admin.enabled is true" }}
{{- end }}
{{- if lt (int .Values.drain.periodSeconds) 0 }}
{{- fail "drain.periodSeconds: must be 0 or more" }}
{{- end }}
{{- if not (has .Values.service.type (list "LoadBalancer" "NodePort" "ClusterIP")) }}
{{- fail (printf "service.type: must be LoadBalancer, NodePort or ClusterIP, was %v" .Values.service.type) }}
{{- end }}
{{- end }}

{{/*
config.yaml: the bridge sections of the values, minus the chart-only keys, plus what the chart
decides itself (the TLS listener and file paths from the tls section, the cluster name and the
discovery DNS name), then extraConfig. Other mqtt.tls keys (protocols, ciphers, reloadInterval)
may be set under mqtt.tls in the values.
*/}}
{{- define "mqtt-kafka-bridge.config" -}}
{{- $config := dict }}
{{- $_ := set $config "bridge" (deepCopy .Values.bridge) }}
{{- $mqtt := deepCopy .Values.mqtt }}
{{- if include "mqtt-kafka-bridge.tlsNeeded" . }}
{{- $tls := dict "enabled" .Values.tls.enabled "port" (int .Values.tls.port) "certFile" (printf "%s/tls.crt" (include "mqtt-kafka-bridge.tlsDir" .)) "keyFile" (printf "%s/tls.key" (include "mqtt-kafka-bridge.tlsDir" .)) "clientAuth" .Values.tls.clientAuth }}
{{- if ne .Values.tls.clientAuth "none" }}
{{- $_ := set $tls "caFile" (printf "%s/ca.crt" (include "mqtt-kafka-bridge.tlsDir" .)) }}
{{- end }}
{{- if include "mqtt-kafka-bridge.sharedTickets" . }}
{{- $_ := set $tls "ticketKeysFile" (printf "%s/%s" (include "mqtt-kafka-bridge.ticketsDir" .) .Values.tls.ticketKeysKey) }}
{{- end }}
{{- $_ := set $mqtt "tls" (mergeOverwrite (default dict $mqtt.tls) $tls) }}
{{- end }}
{{- $_ := set $config "mqtt" $mqtt }}
{{- $http := deepCopy .Values.http }}
{{- $admin := omit (default dict $http.admin) "existingSecret" "tokenKey" }}
{{- if .Values.http.admin.enabled }}
{{- $_ := set $admin "tokenFile" (printf "%s/%s" (include "mqtt-kafka-bridge.adminDir" .) .Values.http.admin.tokenKey) }}
{{- end }}
{{- $_ := set $http "admin" $admin }}
{{- $_ := set $config "http" $http }}
{{- $_ := set $config "kafka" (omit (deepCopy .Values.kafka) "existingSecret" "secretEnv") }}
{{- $_ := set $config "mappings" (deepCopy .Values.mappings) }}
{{- $auth := omit (deepCopy .Values.auth) "existingSecret" "passwordFileKey" }}
{{- $_ := set $auth "jwt" (omit $auth.jwt "jwksKey" "publicKeyKey") }}
{{- with .Values.auth.passwordFileKey }}
{{- $_ := set $auth "passwordFile" (printf "%s/%s" (include "mqtt-kafka-bridge.authDir" $) .) }}
{{- end }}
{{- with .Values.auth.jwt.jwksKey }}
{{- $_ := set $auth.jwt "jwksFile" (printf "%s/%s" (include "mqtt-kafka-bridge.authDir" $) .) }}
{{- end }}
{{- with .Values.auth.jwt.publicKeyKey }}
{{- $_ := set $auth.jwt "publicKeyFile" (printf "%s/%s" (include "mqtt-kafka-bridge.authDir" $) .) }}
{{- end }}
{{- $_ := set $config "auth" $auth }}
{{- $cluster := deepCopy .Values.cluster }}
{{- $_ := set $cluster "name" (.Values.cluster.name | default (include "mqtt-kafka-bridge.fullname" .)) }}
{{- $_ := set $cluster.kubernetes "serviceDns" (include "mqtt-kafka-bridge.hazelcastServiceDns" .) }}
{{- $_ := set $config "cluster" $cluster }}
{{- $_ := set $config "logging" (deepCopy .Values.logging) }}
{{- mergeOverwrite $config (deepCopy .Values.extraConfig) | toYaml }}
{{- end }}
