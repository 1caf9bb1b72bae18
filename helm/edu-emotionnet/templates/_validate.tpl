{{/*
Refuses values that cannot work, with a message that names the value and the way out. Rendered
first by flinkdeployment.yaml, so `helm install/upgrade/template/lint` stop before anything is applied.
*/}}

{{/* "true" when the value is a whole number >= min (Helm reads YAML numbers as float64, --set as int64). */}}
{{- define "edu-emotionnet.isIntAtLeast" -}}
{{- $n := index . 0 }}{{- $min := index . 1 }}
{{- if and (or (kindIs "float64" $n) (kindIs "int64" $n) (kindIs "int" $n)) (eq (float64 (int64 $n)) (float64 $n)) (ge (int64 $n) (int64 $min)) }}true{{ end }}
{{- end }}

{{- define "edu-emotionnet.validate" -}}
{{- $v := .Values }}
{{- $p := "edu-emotionnet: " }}

{{- /* where events come from */}}
{{- if not (has $v.source (list "kafka" "synthetic")) }}
{{- fail (printf "%ssource must be kafka or synthetic, got %q" $p (toString $v.source)) }}
{{- end }}
{{- if and (eq $v.source "kafka") (not $v.kafka.bootstrapServers) }}
{{- fail (printf "%skafka.bootstrapServers is required when source is kafka (the default): set the brokers, e.g. --set kafka.bootstrapServers=kafka:9092, or set source=synthetic for a demo run without Kafka" $p) }}
{{- end }}
{{- if and $v.kafka.clientPropertiesSecret.name (not $v.kafka.clientPropertiesSecret.key) }}
{{- fail (printf "%skafka.clientPropertiesSecret.key must name the Secret's key that holds the client properties file" $p) }}
{{- end }}

{{- /* consent and erasure */}}
{{- if not (kindIs "bool" $v.privacy.consentRequired) }}
{{- fail (printf "%sprivacy.consentRequired must be true or false, got %v" $p $v.privacy.consentRequired) }}
{{- end }}
{{- if and (not $v.privacy.consentRequired) (ne (toString $v.privacy.acknowledgeNoConsentGate) "true") }}
{{- fail (printf "%sprivacy.consentRequired: false turns the consent gate off: the job would infer the emotions of every learner whose events arrive, without checking consent. Emotion recognition in education institutions is prohibited in the EU except for medical or safety reasons (AI Act Art. 5(1)(f)), and learners' data, often children's, need a legal basis (GDPR Art. 6, 8). Set privacy.acknowledgeNoConsentGate: true as well only if another legal basis applies and is documented (README, Legal use)" $p) }}
{{- end }}
{{- if not $v.privacy.purpose }}
{{- fail (printf "%sprivacy.purpose must name the purpose a consent grant must list (edu.privacy.purpose)" $p) }}
{{- end }}
{{- if and (eq $v.source "kafka") $v.privacy.consentRequired (not $v.privacy.consentTopic) }}
{{- fail (printf "%sprivacy.consentTopic is required when privacy.consentRequired: without the consent topic no learner could be scored (set the compacted ConsentChange topic, e.g. learner-consent)" $p) }}
{{- end }}
{{- if not $v.privacy.erasureReceiptsTopic }}
{{- fail (printf "%sprivacy.erasureReceiptsTopic must name the topic of erasure receipts (edu.kafka.topic.erasure-receipts)" $p) }}
{{- end }}

{{- /* the job */}}
{{- if not (include "edu-emotionnet.isIntAtLeast" (list $v.job.parallelism 1)) }}
{{- fail (printf "%sjob.parallelism must be a whole number >= 1, got %v" $p $v.job.parallelism) }}
{{- end }}
{{- if not (include "edu-emotionnet.isIntAtLeast" (list $v.job.maxParallelism 1)) }}
{{- fail (printf "%sjob.maxParallelism must be a whole number >= 1, got %v" $p $v.job.maxParallelism) }}
{{- end }}
{{- if gt (int64 $v.job.parallelism) (int64 $v.job.maxParallelism) }}
{{- fail (printf "%sjob.parallelism (%v) exceeds job.maxParallelism (%v); Flink cannot run more parallel instances than key groups" $p $v.job.parallelism $v.job.maxParallelism) }}
{{- end }}
{{- if not (has $v.job.state (list "running" "suspended")) }}
{{- fail (printf "%sjob.state must be running or suspended, got %q" $p (toString $v.job.state)) }}
{{- end }}
{{- $modes := list "savepoint" "last-state" "stateless" }}
{{- if not (has $v.job.upgradeMode $modes) }}
{{- fail (printf "%sjob.upgradeMode must be one of savepoint, last-state, stateless, got %q" $p (toString $v.job.upgradeMode)) }}
{{- end }}
{{- if and (ne $v.job.upgradeMode "stateless") (or (not (include "edu-emotionnet.checkpointDir" .)) (not (include "edu-emotionnet.savepointDir" .))) }}
{{- fail (printf "%sjob.upgradeMode %s keeps the job's state across upgrades and needs durable checkpoint and savepoint directories: set checkpointing.baseDir (e.g. s3://my-bucket/edu-emotionnet), or checkpointing.checkpointDir and checkpointing.savepointDir" $p $v.job.upgradeMode) }}
{{- end }}
{{- if and $v.highAvailability.enabled (not (include "edu-emotionnet.haDir" .)) }}
{{- fail (printf "%shighAvailability.enabled needs durable storage: set checkpointing.baseDir or highAvailability.storageDir (or highAvailability.enabled=false)" $p) }}
{{- end }}
{{- if not (include "edu-emotionnet.isIntAtLeast" (list $v.jobManager.replicas 1)) }}
{{- fail (printf "%sjobManager.replicas must be a whole number >= 1, got %v" $p $v.jobManager.replicas) }}
{{- end }}
{{- if and (gt (int64 $v.jobManager.replicas) 1) (not $v.highAvailability.enabled) }}
{{- fail (printf "%sjobManager.replicas > 1 (standby JobManagers) needs highAvailability.enabled" $p) }}
{{- end }}
{{- if not (include "edu-emotionnet.isIntAtLeast" (list $v.taskManager.slots 1)) }}
{{- fail (printf "%staskManager.slots must be a whole number >= 1, got %v" $p $v.taskManager.slots) }}
{{- end }}
{{- if not (kindIs "invalid" $v.taskManager.replicas) }}
{{- if not (include "edu-emotionnet.isIntAtLeast" (list $v.taskManager.replicas 1)) }}
{{- fail (printf "%staskManager.replicas must be empty or a whole number >= 1, got %v" $p $v.taskManager.replicas) }}
{{- end }}
{{- $product := mul (int64 $v.taskManager.replicas) (int64 $v.taskManager.slots) }}
{{- if ne $product (int64 $v.job.parallelism) }}
{{- fail (printf "%staskManager.replicas (%v) x taskManager.slots (%v) = %d would override job.parallelism (%v) in the operator: set job.parallelism to %d, or leave taskManager.replicas empty" $p $v.taskManager.replicas $v.taskManager.slots $product $v.job.parallelism $product) }}
{{- end }}
{{- end }}

{{- /* the model */}}
{{- if not (has $v.model.source (list "image" "jar" "volume")) }}
{{- fail (printf "%smodel.source must be image, jar or volume, got %q" $p (toString $v.model.source)) }}
{{- end }}
{{- if eq $v.model.source "volume" }}
{{- $sources := include "edu-emotionnet.modelVolumeSource" . | fromYaml }}
{{- if ne (len $sources) 1 }}
{{- fail (printf "%smodel.source volume needs exactly one volume source under model.volume (e.g. persistentVolumeClaim: {claimName: models} or configMap: {name: model}), got %d" $p (len $sources)) }}
{{- end }}
{{- if not $v.model.volume.fileName }}
{{- fail (printf "%smodel.volume.fileName must name the model file in the volume" $p) }}
{{- end }}
{{- end }}

{{- /* GPU */}}
{{- if and $v.gpu.enabled (not $v.image.cuda.repository) }}
{{- fail (printf "%sgpu.enabled needs the CUDA image (CUDA 12, cuDNN 9 and onnxruntime_gpu; the CPU image has none of them): build docker/Dockerfile.cuda and set image.cuda.repository (and image.cuda.tag)" $p) }}
{{- end }}
{{- if not (has $v.gpu.fallback (list "cpu" "fail")) }}
{{- fail (printf "%sgpu.fallback must be cpu or fail, got %q" $p (toString $v.gpu.fallback)) }}
{{- end }}

{{- /* free-form configuration */}}
{{- $managed := include "edu-emotionnet.managedKeys" . | fromYaml }}
{{- range $key, $_ := $v.config }}
{{- if not (hasPrefix "edu." $key) }}
{{- fail (printf "%sconfig holds the job's edu.* keys; %q is not one of them: put Flink settings under flinkConfiguration" $p $key) }}
{{- end }}
{{- end }}
{{- range $key, $_ := $v.flinkConfiguration }}
{{- if hasPrefix "edu." $key }}
{{- fail (printf "%sflinkConfiguration holds Flink settings; put the job's key %q under config" $p $key) }}
{{- end }}
{{- end }}
{{- range $key, $_ := merge (dict) $v.config $v.flinkConfiguration }}
{{- if hasKey $managed $key }}
{{- fail (printf "%s%s is set by the chart (%s); remove it from config and flinkConfiguration" $p $key (get $managed $key)) }}
{{- end }}
{{- if regexMatch "(?i)(password|secret|access-key|access\\.key|account\\.key|sasl\\.jaas|token)" $key }}
{{- fail (printf "%s%s looks like a credential: never put credentials in values (they end up in the FlinkDeployment); use kafka.clientPropertiesSecret or s3.credentialsSecret" $p $key) }}
{{- end }}
{{- end }}
{{- end }}
