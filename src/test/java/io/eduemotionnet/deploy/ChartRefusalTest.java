package io.eduemotionnet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Values that cannot work make `helm template` (and so install/upgrade) fail with the reason. */
class ChartRefusalTest {

    @Test
    void theDefaultsRefuseToRunWithoutKafkaBrokers() {
        assertThat(Chart.refusal()).contains("kafka.bootstrapServers is required when source is kafka");
    }

    /** Each case: what is wrong, the values on top of ci/kafka-values.yaml (valid), a part of the message. */
    static Stream<Arguments> impossibleValues() {
        return Stream.of(
                Arguments.of("GPU without the CUDA image", "gpu: {enabled: true}",
                        "gpu.enabled needs the CUDA image"),
                Arguments.of("parallelism 0", "job: {parallelism: 0}",
                        "job.parallelism must be a whole number >= 1, got 0"),
                Arguments.of("negative parallelism", "job: {parallelism: -4}",
                        "job.parallelism must be a whole number >= 1, got -4"),
                Arguments.of("fractional parallelism", "job: {parallelism: 1.5}",
                        "job.parallelism must be a whole number >= 1, got 1.5"),
                Arguments.of("parallelism as text", "job: {parallelism: two}",
                        "job.parallelism must be a whole number >= 1, got two"),
                Arguments.of("no Kafka brokers", "kafka: {bootstrapServers: \"\"}",
                        "kafka.bootstrapServers is required"),
                Arguments.of("unknown upgrade mode", "job: {upgradeMode: rolling}",
                        "job.upgradeMode must be one of savepoint, last-state, stateless, got \"rolling\""),
                Arguments.of("savepoint upgrades without storage", "checkpointing: {baseDir: \"\"}",
                        "job.upgradeMode savepoint keeps the job's state across upgrades and needs durable checkpoint and savepoint directories"),
                Arguments.of("last-state upgrades without a savepoint dir",
                        "{checkpointing: {baseDir: \"\", checkpointDir: \"s3://b/cp\"}, job: {upgradeMode: last-state}}",
                        "job.upgradeMode last-state keeps the job's state"),
                Arguments.of("HA without storage",
                        "{checkpointing: {baseDir: \"\"}, job: {upgradeMode: stateless}}",
                        "highAvailability.enabled needs durable storage"),
                Arguments.of("standby JobManagers without HA",
                        "{jobManager: {replicas: 2}, highAvailability: {enabled: false}}",
                        "jobManager.replicas > 1 (standby JobManagers) needs highAvailability.enabled"),
                Arguments.of("unknown job state", "job: {state: stopped}",
                        "job.state must be running or suspended"),
                Arguments.of("parallelism above max parallelism", "job: {parallelism: 200}",
                        "job.parallelism (200) exceeds job.maxParallelism (128)"),
                Arguments.of("TaskManager replicas that contradict parallelism", "taskManager: {replicas: 3}",
                        "taskManager.replicas (3) x taskManager.slots (2) = 6 would override job.parallelism (2)"),
                Arguments.of("no task slots", "taskManager: {slots: 0}",
                        "taskManager.slots must be a whole number >= 1"),
                Arguments.of("unknown source", "source: kinesis",
                        "source must be kafka or synthetic, got \"kinesis\""),
                Arguments.of("unknown model source", "model: {source: s3}",
                        "model.source must be image, jar or volume, got \"s3\""),
                Arguments.of("model volume without a volume", "model: {source: volume}",
                        "model.source volume needs exactly one volume source under model.volume"),
                Arguments.of("model volume with two volumes",
                        "model: {source: volume, volume: {persistentVolumeClaim: {claimName: a}, configMap: {name: b}}}",
                        "needs exactly one volume source under model.volume (e.g. persistentVolumeClaim: {claimName: models} or configMap: {name: model}), got 2"),
                Arguments.of("unknown CUDA fallback", "gpu: {fallback: gpu}",
                        "gpu.fallback must be cpu or fail"),
                Arguments.of("CUDA switched on behind the chart's back", "config: {edu.inference.device: cuda}",
                        "edu.inference.device is set by the chart (from gpu.enabled)"),
                Arguments.of("model path behind the chart's back", "config: {edu.model.path: /models/m.onnx}",
                        "edu.model.path is set by the chart (from model.source)"),
                Arguments.of("checkpoint dir behind the chart's back",
                        "flinkConfiguration: {execution.checkpointing.dir: \"s3://other\"}",
                        "execution.checkpointing.dir is set by the chart (from checkpointing.baseDir or checkpointing.checkpointDir)"),
                Arguments.of("a Flink key among the job's keys", "config: {state.backend.type: hashmap}",
                        "config holds the job's edu.* keys; \"state.backend.type\" is not one of them"),
                Arguments.of("a job key among the Flink settings", "flinkConfiguration: {edu.state.ttl: 1 h}",
                        "flinkConfiguration holds Flink settings; put the job's key \"edu.state.ttl\" under config"),
                Arguments.of("an S3 secret inline", "flinkConfiguration: {s3.secret-key: hunter2}",
                        "s3.secret-key looks like a credential"),
                Arguments.of("the consent gate off without acknowledging it", "privacy: {consentRequired: false}",
                        "privacy.consentRequired: false turns the consent gate off"),
                Arguments.of("the consent gate off: the message says why", "privacy: {consentRequired: false}",
                        "prohibited in the EU except for medical or safety reasons (AI Act Art. 5(1)(f))"),
                Arguments.of("an acknowledgement that is not true",
                        "privacy: {consentRequired: false, acknowledgeNoConsentGate: \"yes\"}",
                        "Set privacy.acknowledgeNoConsentGate: true as well only if another legal basis applies"),
                Arguments.of("the consent gate as text", "privacy: {consentRequired: \"no\"}",
                        "privacy.consentRequired must be true or false, got no"),
                Arguments.of("consent required without a consent topic", "privacy: {consentTopic: \"\"}",
                        "privacy.consentTopic is required when privacy.consentRequired"),
                Arguments.of("no topic for erasure receipts", "privacy: {erasureReceiptsTopic: \"\"}",
                        "privacy.erasureReceiptsTopic must name the topic of erasure receipts"),
                Arguments.of("no purpose", "privacy: {purpose: \"\"}",
                        "privacy.purpose must name the purpose"),
                Arguments.of("the consent gate off behind the chart's back",
                        "config: {edu.privacy.consent-required: \"false\"}",
                        "edu.privacy.consent-required is set by the chart (from privacy.consentRequired)"),
                Arguments.of("the consent topic behind the chart's back", "config: {edu.kafka.topic.consent: other}",
                        "edu.kafka.topic.consent is set by the chart (from privacy.consentTopic)"),
                Arguments.of("a Kafka password inline",
                        "config: {edu.kafka.sasl.jaas.config: \"PlainLoginModule required password=x;\"}",
                        "edu.kafka.sasl.jaas.config looks like a credential"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("impossibleValues")
    void impossibleValuesAreRefused(String what, String values, String reason) {
        String message = Chart.refusal(Chart.ci("kafka"), Chart.valuesFile(values));
        assertThat(message).as(what).contains("edu-emotionnet: ").contains(reason);
    }

    /** values.schema.json: a misspelt key fails instead of being ignored (gpu.enable would leave the GPU off). */
    @Test
    void misspeltKeysAreRefused() {
        assertThat(Chart.refusal(Chart.ci("kafka"), Chart.valuesFile("gpu: {enable: true}")))
                .contains("gpu: Additional property enable is not allowed");
        assertThat(Chart.refusal(Chart.ci("kafka"), Chart.valuesFile("kafka: {bootstrapServer: kafka:9092}")))
                .contains("kafka: Additional property bootstrapServer is not allowed");
    }

    /** The refusals are not blanket ones: the same keys with good values render. */
    @Test
    void theRefusedKeysRenderWithGoodValues() {
        Chart.Rendered r = Chart.render("kafka", """
                job: {parallelism: 6, upgradeMode: last-state, state: suspended}
                taskManager: {replicas: 3, slots: 2}
                jobManager: {replicas: 2}
                gpu: {enabled: true, fallback: cpu}
                image: {cuda: {repository: edu-emotionnet}}
                model: {source: volume, volume: {configMap: {name: model}}}
                config: {edu.inference.max-batch-size: 64}
                flinkConfiguration: {state.backend.rocksdb.localdir: /data/rocksdb}
                privacy: {consentRequired: false, acknowledgeNoConsentGate: true, consentTopic: ""}
                """);
        JsonNode spec = r.flinkDeployment().path("spec");
        assertThat(spec.path("job").path("parallelism").asInt()).isEqualTo(6);
        assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("last-state");
        assertThat(spec.path("job").path("state").asText()).isEqualTo("suspended");
        assertThat(spec.path("taskManager").path("replicas").asInt()).isEqualTo(3);
        assertThat(spec.path("jobManager").path("replicas").asInt()).isEqualTo(2);
        assertThat(spec.path("image").asText()).startsWith("edu-emotionnet:");
        assertThat(r.mainContainer("taskManager").path("resources").path("limits").path("nvidia.com/gpu").asInt()).isEqualTo(1);
        assertThat(r.volume("taskManager", "model").path("configMap").path("name").asText()).isEqualTo("model");
        assertThat(r.flinkConfiguration())
                .containsEntry("edu.inference.device", "cuda")
                .containsEntry("edu.inference.cuda.fallback", "cpu")
                .containsEntry("edu.inference.max-batch-size", "64")
                .containsEntry("state.backend.rocksdb.localdir", "/data/rocksdb");
    }
}
