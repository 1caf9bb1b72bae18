package io.eduemotionnet.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard JSON is a provisionable Grafana dashboard (no import-time inputs; the data source is a
 * template variable), its layout is sound, it covers what the issue asks for, and every query is
 * scoped to the selected namespace and job. LiveMonitoringTest proves each query returns data.
 */
class DashboardTest {
    private static final String DATASOURCE_UID = "${datasource}";

    /** What the dashboard must show, and a metric each topic's panels must query. */
    private static final Map<String, String> TOPICS = new LinkedHashMap<>();

    static {
        TOPICS.put("throughput", "flink_taskmanager_job_task_operator_modality_eduEventsReceived");
        TOPICS.put("predictions", "flink_taskmanager_job_task_operator_eduStepsScored");
        TOPICS.put("consumer lag", "flink_taskmanager_job_task_operator_pendingRecords");
        TOPICS.put("emotion distribution", "flink_taskmanager_job_task_operator_class_eduPredictions");
        TOPICS.put("modality dropout rate", "flink_taskmanager_job_task_operator_modality_eduModalityMissingSteps");
        TOPICS.put("modality dropouts", "flink_taskmanager_job_task_operator_modality_eduModalityDropouts");
        TOPICS.put("MIE weights", "flink_taskmanager_job_task_operator_modality_eduMieWeight");
        TOPICS.put("inference latency", "flink_taskmanager_job_task_operator_eduInferenceLatencyMs");
        TOPICS.put("step latency", "flink_taskmanager_job_task_operator_eduStepLatencyMs");
        TOPICS.put("batch size", "flink_taskmanager_job_task_operator_eduInferenceBatchSize");
        TOPICS.put("checkpoint duration", "flink_jobmanager_job_lastCheckpointDuration");
        TOPICS.put("checkpoint failures", "flink_jobmanager_job_numberOfFailedCheckpoints");
        TOPICS.put("backpressure", "flink_taskmanager_job_task_backPressuredTimeMsPerSecond");
        TOPICS.put("dead letters", "flink_taskmanager_job_task_operator_reason_eduDeadLetters");
        TOPICS.put("active learners", "flink_taskmanager_job_task_operator_eduActiveLearners");
        TOPICS.put("state expirations", "flink_taskmanager_job_task_operator_eduStateExpirations");
        TOPICS.put("CUDA fallbacks", "flink_taskmanager_job_task_operator_eduCudaFallbacks");
        TOPICS.put("interventions per rule", "flink_taskmanager_job_task_operator_rule_eduInterventions");
        TOPICS.put("suppressed cohort-minutes", "flink_taskmanager_job_task_operator_eduCohortWindowsSuppressed");
        TOPICS.put("inference device", "flink_taskmanager_job_task_operator_eduInferenceOnGpu");
        TOPICS.put("late events", "flink_taskmanager_job_task_operator_eduLateEvents");
    }

    @Test
    void isAProvisionableDashboardWithADataSourceVariable() throws Exception {
        JsonNode d = Dashboard.load().json;
        assertThat(d.path("uid").asText()).isEqualTo("edu-emotionnet");
        assertThat(d.path("title").asText()).isNotBlank();
        assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(d.has("__inputs")).as("no import-time inputs: file provisioning does not fill them").isFalse();
        assertThat(d.has("id") && !d.get("id").isNull()).as("no database id in a provisioned dashboard").isFalse();
        JsonNode ds = null;
        for (JsonNode v : d.path("templating").path("list")) {
            if ("datasource".equals(v.path("name").asText())) {
                ds = v;
            }
        }
        assertThat(ds).as("a 'datasource' template variable").isNotNull();
        assertThat(ds.path("type").asText()).isEqualTo("datasource");
        assertThat(ds.path("query").asText()).isEqualTo("prometheus");
        for (JsonNode v : d.path("templating").path("list")) {
            if ("query".equals(v.path("type").asText())) {
                assertThat(v.path("datasource").path("uid").asText()).as("variable " + v.path("name")).isEqualTo(DATASOURCE_UID);
            }
        }
    }

    @Test
    void everyPanelQueriesPrometheusThroughTheVariable() throws Exception {
        Dashboard dashboard = Dashboard.load();
        List<JsonNode> panels = dashboard.panels();
        assertThat(panels).hasSizeGreaterThan(20);
        for (JsonNode p : panels) {
            String title = p.path("title").asText();
            assertThat(title).isNotBlank();
            assertThat(p.path("description").asText()).as(title + " description").isNotBlank();
            assertThat(p.path("datasource").path("uid").asText()).as(title + " data source").isEqualTo(DATASOURCE_UID);
            assertThat(p.path("targets")).as(title + " targets").isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(t.path("expr").asText()).as(title + " expr").isNotBlank();
                assertThat(t.path("datasource").path("uid").asText()).as(title + " target data source").isEqualTo(DATASOURCE_UID);
                assertThat(refIds.add(t.path("refId").asText())).as(title + " unique refId").isTrue();
            }
        }
    }

    @Test
    void panelIdsAreUniqueAndTheGridFits() throws Exception {
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : Dashboard.load().json.path("panels")) {
            assertThat(ids.add(p.path("id").asInt())).as("unique panel id " + p.path("id")).isTrue();
            JsonNode g = p.path("gridPos");
            assertThat(g.path("w").asInt()).isPositive();
            assertThat(g.path("h").asInt()).isPositive();
            assertThat(g.path("x").asInt() + g.path("w").asInt()).as(p.path("title") + " fits 24 columns").isLessThanOrEqualTo(24);
        }
    }

    @Test
    void coversEveryTopicTheIssueAsksFor() throws Exception {
        Set<String> used = new HashSet<>();
        for (Dashboard.Query q : Dashboard.load().queries()) {
            used.addAll(PromQL.metricNames(q.expr()));
        }
        TOPICS.forEach((topic, metric) -> assertThat(used).as("a panel for " + topic + " (" + metric + ")").contains(metric));
    }

    @Test
    void everySelectorIsScopedToTheSelectedNamespaceAndJob() throws Exception {
        Pattern selector = Pattern.compile("(flink_[A-Za-z0-9_]+)(\\{[^}]*\\})?");
        for (Dashboard.Query q : Dashboard.load().queries()) {
            Matcher m = selector.matcher(q.expr());
            int n = 0;
            while (m.find()) {
                n++;
                String matchers = m.group(2) == null ? "" : m.group(2);
                assertThat(matchers).as(q + ": selector " + m.group(1))
                        .contains("namespace=~\"$namespace\"")
                        .contains("job_name=~\"$job_name\"");
            }
            assertThat(n).as(q + " selects a Flink metric").isPositive();
        }
    }

    @Test
    void templateVariablesAreFilledInLikeGrafana() {
        Map<String, String> vars = Map.of("namespace", "edu", "job_name", "edu_emotionnet");
        assertThat(Dashboard.substitute("rate(x{namespace=~\"$namespace\", job_name=~\"${job_name}\"}[$__rate_interval])", vars))
                .isEqualTo("rate(x{namespace=~\"edu\", job_name=~\"edu_emotionnet\"}[1m])");
        assertThat(Dashboard.substitute("increase(x[$__range])", vars)).isEqualTo("increase(x[1h])");
    }
}
