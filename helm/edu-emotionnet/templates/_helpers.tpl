{{/* Names and labels, as in the Flink Kubernetes Operator's own chart. */}}

{{- define "edu-emotionnet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name, also the FlinkDeployment's name, which Flink uses as its cluster id (pod and
service names), hence at most 45 characters: Flink appends suffixes such as "-taskmanager-1-12".
*/}}
{{- define "edu-emotionnet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "edu-emotionnet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "edu-emotionnet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "edu-emotionnet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "edu-emotionnet.labels" -}}
{{ include "edu-emotionnet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: edu-emotionnet
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "edu-emotionnet.chart" . }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The image: the CUDA variant when gpu.enabled (validate makes sure it is set). */}}
{{- define "edu-emotionnet.image" -}}
{{- if .Values.gpu.enabled }}
{{- printf "%s:%s" .Values.image.cuda.repository (default (printf "%s-cuda" .Chart.AppVersion) .Values.image.cuda.tag) }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Durable directories: explicit values first, else derived from checkpointing.baseDir. */}}
{{- define "edu-emotionnet.baseDir" -}}
{{- .Values.checkpointing.baseDir | trimSuffix "/" }}
{{- end }}

{{- define "edu-emotionnet.checkpointDir" -}}
{{- $base := include "edu-emotionnet.baseDir" . }}
{{- .Values.checkpointing.checkpointDir | default (ternary (printf "%s/checkpoints" $base) "" (ne $base "")) }}
{{- end }}

{{- define "edu-emotionnet.savepointDir" -}}
{{- $base := include "edu-emotionnet.baseDir" . }}
{{- .Values.checkpointing.savepointDir | default (ternary (printf "%s/savepoints" $base) "" (ne $base "")) }}
{{- end }}

{{- define "edu-emotionnet.haDir" -}}
{{- $base := include "edu-emotionnet.baseDir" . }}
{{- .Values.highAvailability.storageDir | default (ternary (printf "%s/ha" $base) "" (ne $base "")) }}
{{- end }}

{{/* The model.volume keys that are not a volume source. */}}
{{- define "edu-emotionnet.modelVolumeSource" -}}
{{- $source := dict }}
{{- range $k, $v := omit .Values.model.volume "mountPath" "fileName" }}
{{- if $v }}{{- $_ := set $source $k $v }}{{- end }}
{{- end }}
{{- toYaml $source }}
{{- end }}

{{/* edu.model.path for model.source. */}}
{{- define "edu-emotionnet.modelPath" -}}
{{- if eq .Values.model.source "jar" }}classpath:model/edu_emotionnet.onnx
{{- else if eq .Values.model.source "volume" }}{{ printf "%s/%s" (.Values.model.volume.mountPath | trimSuffix "/") .Values.model.volume.fileName }}
{{- else }}/opt/flink/model/edu_emotionnet.onnx
{{- end }}
{{- end }}

{{/*
Flink configuration keys the chart derives from first-class values: setting them again in config or
flinkConfiguration would silently fight the chart, so validate refuses that.
*/}}
{{- define "edu-emotionnet.managedKeys" -}}
edu.kafka.bootstrap-servers: from kafka.bootstrapServers
edu.kafka.properties-file: from kafka.clientPropertiesSecret
edu.model.path: from model.source
edu.inference.device: from gpu.enabled
edu.inference.cuda.fallback: from gpu.fallback
edu.source: from source
edu.privacy.consent-required: from privacy.consentRequired
edu.privacy.purpose: from privacy.purpose
edu.kafka.topic.consent: from privacy.consentTopic
edu.kafka.topic.erasure-receipts: from privacy.erasureReceiptsTopic
edu.sink: from source
execution.checkpointing.dir: from checkpointing.baseDir or checkpointing.checkpointDir
execution.checkpointing.savepoint-dir: from checkpointing.baseDir or checkpointing.savepointDir
execution.checkpointing.interval: from checkpointing.interval
high-availability.type: from highAvailability.enabled
high-availability.storageDir: from highAvailability.storageDir or checkpointing.baseDir
taskmanager.numberOfTaskSlots: from taskManager.slots
taskmanager.memory.task.off-heap.size: from taskManager.taskOffHeap
pipeline.max-parallelism: from job.maxParallelism
metrics.reporter.prom.port: from metrics.port
metrics.reporter.prom.factory.class: the PodMonitor scrapes this reporter
classloader.parent-first-patterns.additional: ONNX Runtime must load parent-first, once, from lib/
s3.endpoint: from s3.endpoint
s3.path.style.access: from s3.pathStyleAccess
{{- end }}

{{/* A Flink configuration value as a string; whole numbers stay whole (Helm reads numbers as floats). */}}
{{- define "edu-emotionnet.confValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}{{ int64 . }}{{ else }}{{ toString . }}{{ end }}
{{- end }}

{{/* The chart's Flink configuration before user overrides (flink-conf/config.yaml is the reference). */}}
{{- define "edu-emotionnet.baseConfiguration" -}}
# state: RocksDB, incremental exactly-once checkpoints
state.backend.type: rocksdb
execution.checkpointing.incremental: "true"
execution.checkpointing.mode: EXACTLY_ONCE
execution.checkpointing.interval: {{ .Values.checkpointing.interval | quote }}
execution.checkpointing.min-pause: 10 s
execution.checkpointing.timeout: 5 min
execution.checkpointing.tolerable-failed-checkpoints: "3"
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
execution.checkpointing.num-retained: "3"
{{- with include "edu-emotionnet.checkpointDir" . }}
execution.checkpointing.dir: {{ . | quote }}
{{- end }}
{{- with include "edu-emotionnet.savepointDir" . }}
execution.checkpointing.savepoint-dir: {{ . | quote }}
{{- end }}
state.backend.rocksdb.localdir: /tmp/rocksdb
state.backend.rocksdb.timer-service.factory: ROCKSDB
state.backend.rocksdb.memory.managed: "true"
state.backend.rocksdb.metrics.estimate-live-data-size: "true"
state.backend.rocksdb.metrics.total-sst-files-size: "true"
pipeline.max-parallelism: {{ include "edu-emotionnet.confValue" .Values.job.maxParallelism | quote }}
{{- if .Values.highAvailability.enabled }}
high-availability.type: kubernetes
high-availability.storageDir: {{ include "edu-emotionnet.haDir" . | quote }}
{{- end }}
# restarts
restart-strategy.type: exponential-delay
restart-strategy.exponential-delay.initial-backoff: 1 s
restart-strategy.exponential-delay.max-backoff: 2 min
restart-strategy.exponential-delay.backoff-multiplier: "2.0"
restart-strategy.exponential-delay.reset-backoff-threshold: 10 min
restart-strategy.exponential-delay.jitter-factor: "0.1"
# metrics: one Flink process per pod, so one fixed reporter port (the PodMonitor scrapes it by name)
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: {{ include "edu-emotionnet.confValue" .Values.metrics.port | quote }}
metrics.latency.interval: "0"
# ONNX Runtime: loaded once per JVM from lib/ (never per job class loader); native memory reserved off-heap
classloader.parent-first-patterns.additional: ai.onnxruntime.
taskmanager.memory.task.off-heap.size: {{ .Values.taskManager.taskOffHeap | quote }}
taskmanager.numberOfTaskSlots: {{ include "edu-emotionnet.confValue" .Values.taskManager.slots | quote }}
{{- with .Values.s3.endpoint }}
s3.endpoint: {{ . | quote }}
{{- end }}
{{- if .Values.s3.pathStyleAccess }}
s3.path.style.access: "true"
{{- end }}
# the job's keys the chart derives from its values
edu.privacy.consent-required: {{ ternary "true" "false" (eq (toString .Values.privacy.consentRequired) "true") | quote }}
edu.privacy.purpose: {{ .Values.privacy.purpose | quote }}
edu.kafka.topic.consent: {{ .Values.privacy.consentTopic | default "" | quote }}
edu.kafka.topic.erasure-receipts: {{ .Values.privacy.erasureReceiptsTopic | quote }}
edu.model.path: {{ include "edu-emotionnet.modelPath" . | quote }}
edu.inference.device: {{ ternary "cuda" "cpu" .Values.gpu.enabled }}
edu.inference.cuda.fallback: {{ .Values.gpu.fallback | quote }}
{{- if eq .Values.source "kafka" }}
edu.source: kafka
edu.sink: kafka
edu.kafka.bootstrap-servers: {{ .Values.kafka.bootstrapServers | quote }}
{{- with .Values.kafka.clientPropertiesSecret.name }}
edu.kafka.properties-file: {{ printf "%s/%s" ($.Values.kafka.clientPropertiesSecret.mountPath | trimSuffix "/") $.Values.kafka.clientPropertiesSecret.key | quote }}
{{- end }}
{{- else }}
edu.source: synthetic
edu.sink: summary
{{- end }}
{{- end }}

{{/*
The pod template of one component, complete (no layering on spec.podTemplate: the operator merges
arrays by position, which would make the TaskManager's GPU container depend on list order).
Called with (dict "root" $ "component" "jobmanager"|"taskmanager").
*/}}
{{- define "edu-emotionnet.podTemplate" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $tm := eq .component "taskmanager" }}
{{- $spec := ternary $v.taskManager $v.jobManager $tm }}
{{- $gpu := and $tm $v.gpu.enabled }}
{{- $kafkaSecret := and (eq $v.source "kafka") $v.kafka.clientPropertiesSecret.name }}
{{- $modelVolume := eq $v.model.source "volume" -}}
apiVersion: v1
kind: Pod
metadata:
  labels:
    {{- include "edu-emotionnet.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $v.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with merge (dict) $v.podAnnotations $v.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  {{- with $v.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- $nodeSelector := merge (dict) (ternary $v.gpu.nodeSelector (dict) $gpu) $spec.nodeSelector $v.nodeSelector }}
  {{- with $nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $tolerations := concat $v.tolerations $spec.tolerations (ternary $v.gpu.tolerations (list) $gpu) }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $spec.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    # Flink fills in image, command, cpu and memory of this container; it keeps the rest.
    - name: flink-main-container
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      ports:
        - name: metrics
          containerPort: {{ include "edu-emotionnet.confValue" $v.metrics.port }}
          protocol: TCP
      env:
        # ONNX Runtime 1.29's telemetry can crash the JVM on long command lines (../shared/STACK.md trap 1)
        - name: ORT_DISABLE_TELEMETRY
          value: "1"
        {{- if and $v.gpu.enabled (not $tm) }}
        # the JobManager runs the CUDA image but must not see the node's GPUs (it requests none)
        - name: NVIDIA_VISIBLE_DEVICES
          value: void
        {{- end }}
        {{- with $v.s3.credentialsSecret.name }}
        - name: AWS_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $v.s3.credentialsSecret.accessKeyIdKey }}
        - name: AWS_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $v.s3.credentialsSecret.secretAccessKeyKey }}
        {{- end }}
        {{- with $v.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if $gpu }}
      resources:
        # cpu and memory come from taskManager.resource; Flink keeps other resources of the template
        limits:
          {{ $v.gpu.resourceName }}: 1
      {{- end }}
      {{- if or $kafkaSecret $modelVolume }}
      volumeMounts:
        {{- if $kafkaSecret }}
        - name: kafka-client
          mountPath: {{ $v.kafka.clientPropertiesSecret.mountPath }}
          readOnly: true
        {{- end }}
        {{- if $modelVolume }}
        - name: model
          mountPath: {{ $v.model.volume.mountPath }}
          readOnly: true
        {{- end }}
      {{- end }}
  {{- if or $kafkaSecret $modelVolume }}
  volumes:
    {{- if $kafkaSecret }}
    - name: kafka-client
      secret:
        secretName: {{ $v.kafka.clientPropertiesSecret.name }}
        # 0440 (written in decimal: YAML 1.1 and 1.2 read 0440 differently): files owned by root,
        # group flink (fsGroup), readable by the job and no one else
        defaultMode: 288
    {{- end }}
    {{- if $modelVolume }}
    - name: model
      {{- include "edu-emotionnet.modelVolumeSource" $root | nindent 6 }}
    {{- end }}
  {{- end }}
{{- end }}
