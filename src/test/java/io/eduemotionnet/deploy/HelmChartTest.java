package io.eduemotionnet.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.LintResult;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.JobOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart rendered by real Helm with the example values files, and what the objects say. */
class HelmChartTest {
    private static final String CPU_IMAGE = "edu-emotionnet:1.0.0";

    static Stream<Path> valuesFiles() {
        return Chart.ciValuesFiles().stream();
    }

    // ---- lint ------------------------------------------------------------------------------------

    @Test
    void lintStrictPassesOnTheChartAsShipped(@TempDir Path work) {
        assertLintClean(Chart.lint(null, work));
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void lintStrictPassesWithEveryExampleValuesFile(Path values, @TempDir Path work) {
        assertLintClean(Chart.lint(values, work));
    }

    private static void assertLintClean(LintResult lint) {
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    // ---- the FlinkDeployment -----------------------------------------------------------------------

    @Test
    void kafkaValuesRenderAnApplicationModeDeploymentOfTheJob() {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        JsonNode fd = r.flinkDeployment();
        assertThat(fd.path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
        assertThat(fd.path("metadata").path("name").asText()).isEqualTo("edu-emotionnet");
        JsonNode spec = fd.path("spec");
        assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_2");
        assertThat(spec.path("mode").asText()).isEqualTo("native");
        assertThat(spec.path("image").asText()).isEqualTo(CPU_IMAGE);
        assertThat(spec.path("serviceAccount").asText()).isEqualTo("flink");
        JsonNode job = spec.path("job");
        assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/edu-emotionnet.jar");
        assertThat(job.path("entryClass").asText()).isEqualTo("io.eduemotionnet.EmotionJob");
        assertThat(job.path("parallelism").asInt()).isEqualTo(2);
        assertThat(job.path("state").asText()).isEqualTo("running");
        assertThat(spec.path("taskManager").has("replicas")).as("TaskManagers follow parallelism").isFalse();

        Map<String, String> conf = r.flinkConfiguration();
        assertThat(conf).doesNotContainValue(null); // every value a string, as Flink's configuration wants
        assertThat(conf).containsEntry("state.backend.type", "rocksdb")
                .containsEntry("execution.checkpointing.incremental", "true")
                .containsEntry("execution.checkpointing.mode", "EXACTLY_ONCE")
                .containsEntry("restart-strategy.type", "exponential-delay")
                .containsEntry("metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                .containsEntry("metrics.reporter.prom.port", "9249")
                .containsEntry("classloader.parent-first-patterns.additional", "ai.onnxruntime.")
                .containsEntry("taskmanager.memory.task.off-heap.size", "512m")
                .containsEntry("taskmanager.numberOfTaskSlots", "2")
                .containsEntry("edu.kafka.bootstrap-servers", "kafka-0.kafka:9092,kafka-1.kafka:9092")
                .containsEntry("edu.source", "kafka")
                .containsEntry("edu.sink", "kafka")
                .containsEntry("edu.model.path", "/opt/flink/model/edu_emotionnet.onnx")
                .containsEntry("edu.inference.device", "cpu")
                .doesNotContainKey("edu.kafka.properties-file");
    }

    @Test
    void savepointUpgradesGetCheckpointSavepointAndHaDirectories() {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        assertThat(r.flinkDeployment().path("spec").path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(r.flinkConfiguration())
                .containsEntry("execution.checkpointing.dir", "s3://edu-emotionnet-state/prod/checkpoints")
                .containsEntry("execution.checkpointing.savepoint-dir", "s3://edu-emotionnet-state/prod/savepoints")
                .containsEntry("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
                .containsEntry("high-availability.type", "kubernetes")
                .containsEntry("high-availability.storageDir", "s3://edu-emotionnet-state/prod/ha");
    }

    @Test
    void lastStateUpgradesUseTheExplicitDirectories() {
        Chart.Rendered r = Chart.render(Chart.ci("security"));
        assertThat(r.flinkDeployment().path("spec").path("job").path("upgradeMode").asText()).isEqualTo("last-state");
        assertThat(r.flinkConfiguration())
                .containsEntry("execution.checkpointing.dir", "s3://flink/edu-emotionnet/checkpoints")
                .containsEntry("execution.checkpointing.savepoint-dir", "s3://flink/edu-emotionnet/savepoints")
                .containsEntry("high-availability.storageDir", "s3://flink/edu-emotionnet/ha");
        assertThat(r.flinkDeployment().path("spec").path("jobManager").path("replicas").asInt()).isEqualTo(2);
    }

    @Test
    void savepointNoncesAndInitialSavepointReachTheJobSpec() {
        JsonNode job = Chart.render("kafka", """
                job:
                  savepointTriggerNonce: 7
                  initialSavepointPath: s3://edu-emotionnet-state/prod/savepoints/savepoint-1234
                  savepointRedeployNonce: 1
                  allowNonRestoredState: true
                restartNonce: 3
                """).flinkDeployment().path("spec").path("job");
        assertThat(job.path("savepointTriggerNonce").isIntegralNumber()).isTrue();
        assertThat(job.path("savepointTriggerNonce").asLong()).isEqualTo(7);
        assertThat(job.path("savepointRedeployNonce").asLong()).isEqualTo(1);
        assertThat(job.path("initialSavepointPath").asText()).endsWith("/savepoint-1234");
        assertThat(job.path("allowNonRestoredState").asBoolean()).isTrue();

        JsonNode plain = Chart.render(Chart.ci("kafka")).flinkDeployment().path("spec").path("job");
        assertThat(plain.has("savepointTriggerNonce")).isFalse();
        assertThat(plain.has("initialSavepointPath")).isFalse();
    }

    /** What the chart puts into flinkConfiguration must start the real job: the job's own parser checks it. */
    @ParameterizedTest
    @MethodSource("valuesFiles")
    void theJobAcceptsTheRenderedConfiguration(Path values) {
        Configuration conf = new Configuration();
        Chart.render(values).flinkConfiguration().forEach(conf::setString);
        assertThatCode(() -> JobConfig.from(conf)).as("JobConfig.from(flinkConfiguration of %s)", values)
                .doesNotThrowAnyException();
    }

    @Test
    void theConsentGateIsOnByDefaultAndItsTopicsReachTheJob() {
        Map<String, String> conf = Chart.render(Chart.ci("kafka")).flinkConfiguration();
        assertThat(conf).containsEntry("edu.privacy.consent-required", "true")
                .containsEntry("edu.privacy.purpose", "emotion-recognition")
                .containsEntry("edu.kafka.topic.consent", "learner-consent")
                .containsEntry("edu.kafka.topic.erasure-receipts", "learner-erasure-receipts");
        Configuration c = new Configuration();
        conf.forEach(c::setString);
        JobConfig cfg = JobConfig.from(c);
        assertThat(cfg.consentRequired).isTrue();
        assertThat(cfg.topicConsent).isEqualTo("learner-consent");

        Map<String, String> off = Chart.render("kafka", """
                privacy: {consentRequired: false, acknowledgeNoConsentGate: true, consentTopic: "", erasureReceiptsTopic: receipts}
                """).flinkConfiguration();
        assertThat(off).containsEntry("edu.privacy.consent-required", "false").containsEntry("edu.kafka.topic.consent", "")
                .containsEntry("edu.kafka.topic.erasure-receipts", "receipts");
        Configuration o = new Configuration();
        off.forEach(o::setString);
        assertThat(JobConfig.from(o).consentGateEnabled()).as("no gate and no erasure without a consent topic").isFalse();
    }

    @Test
    void theNotesStateTheLegalLimitsAndWhetherTheGateIsOn() throws IOException {
        String notes = Files.readString(Chart.DIR.resolve("templates/NOTES.txt"));
        assertThat(notes).contains("Art. 5(1)(f)").contains("medical or").contains("Annex III 1(c)")
                .contains("Art. 17").contains("not legal advice").contains("Consent gate: ON").contains("Consent gate: OFF")
                .contains("cannot erase");
    }

    @Test
    void wholeNumbersStayWholeAndTheJobReadsThem() {
        Chart.Rendered r = Chart.render(Chart.ci("synthetic"));
        assertThat(r.flinkConfiguration()).containsEntry("edu.synthetic.learners", "1000000");
        Configuration conf = new Configuration();
        r.flinkConfiguration().forEach(conf::setString);
        JobConfig cfg = JobConfig.from(conf);
        assertThat(cfg.syntheticLearners).isEqualTo(1_000_000);
        assertThat(cfg.source).isEqualTo(JobOptions.SourceType.SYNTHETIC);
        assertThat(cfg.sink).isEqualTo(JobOptions.SinkType.SUMMARY);
    }

    @Test
    void syntheticModeNeedsNeitherKafkaNorStorage() {
        Chart.Rendered r = Chart.render(Chart.ci("synthetic"));
        assertThat(r.flinkConfiguration()).doesNotContainKeys("edu.kafka.bootstrap-servers", "high-availability.type",
                "execution.checkpointing.dir");
        assertThat(r.flinkDeployment().path("spec").path("job").path("upgradeMode").asText()).isEqualTo("stateless");
        assertThat(r.ofKind("PodMonitor")).isEmpty();
        assertThat(r.ofKind("PrometheusRule")).isEmpty();
        assertThat(r.ofKind("ConfigMap")).isEmpty();
    }

    @Test
    void theJobsOwnKeysAndFlinkOverridesAreRendered() {
        Map<String, String> conf = Chart.render(Chart.ci("security")).flinkConfiguration();
        assertThat(conf).containsEntry("edu.kafka.topic.events", "classroom-modality-events")
                .containsEntry("edu.state.ttl", "30 min")
                .containsEntry("edu.inference.max-batch-size", "2048")
                .containsEntry("restart-strategy.exponential-delay.max-backoff", "5 min");
    }

    // ---- GPU ---------------------------------------------------------------------------------------

    @Test
    void gpuOffMeansCpuImageAndNoGpuAnywhere() {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        assertThat(r.flinkDeployment().path("spec").path("image").asText()).isEqualTo(CPU_IMAGE);
        assertThat(r.flinkConfiguration()).containsEntry("edu.inference.device", "cpu");
        for (String component : List.of("jobManager", "taskManager")) {
            assertThat(r.mainContainer(component).path("resources").path("limits").has("nvidia.com/gpu")).isFalse();
            assertThat(r.podTemplate(component).path("spec").has("tolerations")).isFalse();
            assertThat(r.podTemplate(component).path("spec").has("nodeSelector")).isFalse();
        }
    }

    @Test
    void gpuOnRequestsAGpuForEveryTaskManagerOnlyAndSelectsTheCudaImage() {
        Chart.Rendered r = Chart.render(Chart.ci("gpu"));
        assertThat(r.flinkDeployment().path("spec").path("image").asText())
                .isEqualTo("registry.example.com/edu-emotionnet:1.0.0-cuda");
        assertThat(r.flinkConfiguration()).containsEntry("edu.inference.device", "cuda")
                .containsEntry("edu.inference.cuda.fallback", "fail");

        JsonNode tmLimits = r.mainContainer("taskManager").path("resources").path("limits");
        assertThat(tmLimits.path("nvidia.com/gpu").asInt()).isEqualTo(1);
        JsonNode tmSpec = r.podTemplate("taskManager").path("spec");
        assertThat(tmSpec.path("nodeSelector").path("nvidia.com/gpu.present").asText()).isEqualTo("true");
        assertThat(tmSpec.path("tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");

        assertThat(r.mainContainer("jobManager").path("resources").path("limits").has("nvidia.com/gpu")).isFalse();
        assertThat(r.podTemplate("jobManager").path("spec").has("nodeSelector")).isFalse();
        assertThat(r.env("jobManager").get("NVIDIA_VISIBLE_DEVICES").path("value").asText())
                .as("the JobManager must not see GPUs it did not ask for").isEqualTo("void");
        assertThat(r.env("taskManager")).doesNotContainKey("NVIDIA_VISIBLE_DEVICES");
    }

    @Test
    void gpuResourceNameCanBeAMigProfile() {
        Chart.Rendered r = Chart.render(Chart.ci("gpu"), Chart.valuesFile("gpu: {resourceName: nvidia.com/mig-1g.10gb}"));
        JsonNode limits = r.mainContainer("taskManager").path("resources").path("limits");
        assertThat(limits.path("nvidia.com/mig-1g.10gb").asInt()).isEqualTo(1);
        assertThat(limits.has("nvidia.com/gpu")).isFalse();
    }

    // ---- secrets -----------------------------------------------------------------------------------

    @Test
    void secretsAreReferencedNeverInlined() {
        Chart.Rendered r = Chart.render(Chart.ci("security"));
        assertThat(r.ofKind("Secret")).as("the chart creates no Secret").isEmpty();
        assertThat(r.text()).doesNotContainIgnoringCase("sasl.jaas.config")
                .doesNotContainIgnoringCase("password")
                .doesNotContain("stringData");
        Map<String, String> conf = r.flinkConfiguration();
        assertThat(conf.keySet()).noneMatch(k -> k.matches("(?i).*(secret|access-key|password|jaas).*"));
        assertThat(conf).containsEntry("edu.kafka.properties-file", "/opt/flink/secrets/kafka/client.properties");

        for (String component : List.of("jobManager", "taskManager")) {
            JsonNode volume = r.volume(component, "kafka-client");
            assertThat(volume.path("secret").path("secretName").asText()).isEqualTo("edu-emotionnet-kafka-client");
            assertThat(volume.path("secret").path("defaultMode").asInt()).as("0440").isEqualTo(0440);
            JsonNode mount = r.volumeMount(component, "kafka-client");
            assertThat(mount.path("mountPath").asText()).isEqualTo("/opt/flink/secrets/kafka");
            assertThat(mount.path("readOnly").asBoolean()).isTrue();

            Map<String, JsonNode> env = r.env(component);
            for (String name : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
                JsonNode ref = env.get(name).path("valueFrom").path("secretKeyRef");
                assertThat(ref.path("name").asText()).as(name).isEqualTo("edu-emotionnet-s3");
                assertThat(ref.path("key").asText()).as(name).isEqualTo(name);
                assertThat(env.get(name).has("value")).as("%s has no literal value", name).isFalse();
            }
        }
        assertThat(conf).containsEntry("s3.endpoint", "http://minio.storage:9000")
                .containsEntry("s3.path.style.access", "true");
    }

    @Test
    void withoutSecretsNothingIsMounted() {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        for (String component : List.of("jobManager", "taskManager")) {
            assertThat(r.podTemplate(component).path("spec").has("volumes")).isFalse();
            assertThat(r.env(component)).containsOnlyKeys("ORT_DISABLE_TELEMETRY");
        }
    }

    // ---- pods --------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void everyFlinkPodRunsAsTheNonRootFlinkUser(Path values) {
        Chart.Rendered r = Chart.render(values);
        for (String component : List.of("jobManager", "taskManager")) {
            JsonNode pod = r.podTemplate(component).path("spec").path("securityContext");
            assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
            assertThat(pod.path("runAsUser").asInt()).isEqualTo(9999);
            assertThat(pod.path("fsGroup").asInt()).isEqualTo(9999);
            JsonNode container = r.mainContainer(component).path("securityContext");
            assertThat(container.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
            assertThat(container.path("capabilities").path("drop").toString()).isEqualTo("[\"ALL\"]");
            assertThat(r.env(component).get("ORT_DISABLE_TELEMETRY").path("value").asText()).isEqualTo("1");
        }
    }

    @Test
    void modelFromAVolumeIsMountedOnJobManagerAndTaskManagers() {
        Chart.Rendered r = Chart.render(Chart.ci("model-volume"));
        assertThat(r.flinkConfiguration()).containsEntry("edu.model.path", "/opt/flink/model-volume/edu_emotionnet-2026-11.onnx");
        for (String component : List.of("jobManager", "taskManager")) {
            assertThat(r.volume(component, "model").path("persistentVolumeClaim").path("claimName").asText())
                    .isEqualTo("edu-emotionnet-models");
            assertThat(r.volumeMount(component, "model").path("mountPath").asText()).isEqualTo("/opt/flink/model-volume");
            assertThat(r.volumeMount(component, "model").path("readOnly").asBoolean()).isTrue();
        }
    }

    @Test
    void modelFromAConfigMapOrFromTheJar() {
        Chart.Rendered fromConfigMap = Chart.render("kafka", """
                model: {source: volume, volume: {configMap: {name: edu-emotionnet-model}}}
                """);
        assertThat(fromConfigMap.volume("taskManager", "model").path("configMap").path("name").asText())
                .isEqualTo("edu-emotionnet-model");
        assertThat(fromConfigMap.flinkConfiguration()).containsEntry("edu.model.path", "/opt/flink/model-volume/edu_emotionnet.onnx");

        Chart.Rendered fromJar = Chart.render("kafka", "model: {source: jar}");
        assertThat(fromJar.flinkConfiguration()).containsEntry("edu.model.path", "classpath:model/edu_emotionnet.onnx");
        assertThat(fromJar.volume("taskManager", "model").isMissingNode()).isTrue();
    }

    @Test
    void labelsAndAnnotationsFromValues() {
        Chart.Rendered r = Chart.render(Chart.ci("security"));
        for (JsonNode object : r.objects()) {
            JsonNode labels = object.path("metadata").path("labels");
            assertThat(labels.path("app.kubernetes.io/name").asText()).isEqualTo("edu-emotionnet");
            assertThat(labels.path("app.kubernetes.io/instance").asText()).isEqualTo(Chart.RELEASE);
            assertThat(labels.path("team").asText()).isEqualTo("learning-analytics");
        }
        assertThat(r.podTemplate("taskManager").path("metadata").path("annotations").path("example.com/owner").asText())
                .isEqualTo("learning-analytics");
        assertThat(r.podTemplate("taskManager").path("spec").path("imagePullSecrets").findValuesAsText("name"))
                .containsExactly("regcred");
    }

    // ---- monitoring --------------------------------------------------------------------------------

    @Test
    void thePodMonitorScrapesTheReporterPortOfJobManagerAndTaskManagers() {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        JsonNode monitor = r.one("PodMonitor").path("spec");
        JsonNode endpoint = monitor.path("podMetricsEndpoints").get(0);
        String port = endpoint.path("port").asText();
        int reporterPort = Integer.parseInt(r.flinkConfiguration().get("metrics.reporter.prom.port"));
        for (String component : List.of("jobManager", "taskManager")) {
            // the selector picks this pod ...
            JsonNode podLabels = r.podTemplate(component).path("metadata").path("labels");
            monitor.path("selector").path("matchLabels").fields().forEachRemaining(e ->
                    assertThat(podLabels.path(e.getKey()).asText()).as(e.getKey()).isEqualTo(e.getValue().asText()));
            for (JsonNode expression : monitor.path("selector").path("matchExpressions")) {
                assertThat(expression.path("operator").asText()).isEqualTo("In");
                List<String> allowed = new ArrayList<>();
                expression.path("values").forEach(v -> allowed.add(v.asText()));
                assertThat(allowed).contains(podLabels.path(expression.path("key").asText()).asText());
            }
            // ... and its container names the reporter's port as the PodMonitor expects
            boolean named = false;
            for (JsonNode p : r.mainContainer(component).path("ports")) {
                named |= port.equals(p.path("name").asText()) && p.path("containerPort").asInt() == reporterPort;
            }
            assertThat(named).as("%s exposes port %s = %d", component, port, reporterPort).isTrue();
        }
    }

    @Test
    void thePrometheusRuleEmbedsTheAlertFileAndTheConfigMapTheDashboard() throws IOException {
        Chart.Rendered r = Chart.render(Chart.ci("kafka"));
        JsonNode alerts = Chart.YAML.readTree(Chart.DIR.resolve("files/alerts.yaml").toFile());
        assertThat(r.one("PrometheusRule").path("spec").path("groups")).isEqualTo(alerts.path("groups"));

        JsonNode dashboard = r.one("ConfigMap");
        assertThat(dashboard.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        String json = dashboard.path("data").path("edu-emotionnet.json").asText();
        assertThat(json.strip()).isEqualTo(Files.readString(Chart.DIR.resolve("files/dashboard.json")).strip());
        assertThat(new ObjectMapper().readTree(json).isObject()).isTrue();
    }

    /** Whatever files/ holds at merge time is what the objects carry (the files here may be placeholders). */
    @Test
    @ExtendWith(SharedCrds.class)
    void theMonitoringFilesAreEmbeddedAsTheyAre(@TempDir Path work) throws IOException {
        Path chart = Chart.copy(work);
        Files.writeString(chart.resolve("files/alerts.yaml"), """
                groups:
                  - name: first
                    rules:
                      - alert: JobDown
                        expr: absent(flink_jobmanager_numRunningJobs) == 1
                        for: 2m
                        labels: {severity: critical}
                        annotations: {summary: "{{ $labels.instance }} has no running job"}
                  - name: second
                    interval: 1m
                    rules:
                      - record: edu:predictions:rate5m
                        expr: sum(rate(flink_taskmanager_job_task_operator_eduPredictions[5m]))
                """);
        Files.writeString(chart.resolve("files/dashboard.json"), "{\"title\": \"Edu-EmotionNet\", \"panels\": [{\"id\": 1}]}");
        Chart.Rendered r = Chart.renderChart(chart, Chart.ci("kafka"));
        JsonNode groups = r.one("PrometheusRule").path("spec").path("groups");
        assertThat(groups.findValuesAsText("name")).containsExactly("first", "second");
        assertThat(groups.get(0).path("rules").get(0).path("annotations").path("summary").asText())
                .as("alert templates are not evaluated by Helm").isEqualTo("{{ $labels.instance }} has no running job");
        assertThat(r.one("ConfigMap").path("data").path("edu-emotionnet.json").asText()).contains("\"panels\": [{\"id\": 1}]");
        assertThat(CrdSchema.load("monitoring.coreos.com_prometheusrules.yaml").validate(r.one("PrometheusRule"))).isEmpty();

        Files.writeString(chart.resolve("files/alerts.yaml"), "rules: []\n");
        assertThat(Chart.refusalOf(chart, Chart.ci("kafka"))).contains("files/alerts.yaml must be a Prometheus rule file");
    }

    @Test
    void theDashboardLabelAndNamespaceAreConfigurable() {
        JsonNode configMap = Chart.render("kafka", """
                metrics:
                  dashboard:
                    labels: {grafana_dashboard: "edu"}
                    namespace: monitoring
                """).one("ConfigMap");
        assertThat(configMap.path("metadata").path("namespace").asText()).isEqualTo("monitoring");
        assertThat(configMap.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("edu");
    }
}
