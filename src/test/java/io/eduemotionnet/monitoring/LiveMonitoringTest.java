package io.eduemotionnet.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard and the alert rules against a real Prometheus server (the Debian binary) scraping a
 * real local run of the job (Kafka broker, synthetic producer with corrupted records and consent
 * changes, the job with its consent gate, exactly-once Kafka sinks and Flink's Prometheus reporter). Every check polls until it holds or the
 * run's deadline passes: metrics appear as the job warms up (first steps, first checkpoint).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LiveMonitoringTest {
    /** How long after the job starts every panel must have data (the job needs ~10 s to warm up). */
    private static final long WARM_UP_MILLIS = 60_000;

    static LiveJobRun run;
    static PrometheusServer prometheus;
    static long deadline;

    @BeforeAll
    static void start() throws Exception {
        run = LiveJobRun.start();
        prometheus = PrometheusServer.start(MonitoringFiles.WORK.resolve("prometheus-" + ProcessHandle.current().pid()),
                "127.0.0.1:" + run.reporterPort, List.of(MonitoringFiles.ALERTS));
        prometheus.awaitTargetUp(Duration.ofSeconds(30));
        deadline = System.currentTimeMillis() + WARM_UP_MILLIS;
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (prometheus != null) {
                prometheus.close();
            }
        } finally {
            if (run != null) {
                run.close();
            }
        }
    }

    @Test
    void everyDashboardPanelQueryReturnsData() throws Exception {
        Dashboard dashboard = Dashboard.load();
        Map<String, String> variables = resolveVariables(dashboard);
        assertThat(variables).containsEntry("job_name", "edu_emotionnet"); // Flink's reporter turns '-' into '_'

        // every target of every panel, variables filled in as Grafana would; each must return at least
        // one finite sample (a panel that stays empty, or only NaN, fails)
        Map<Dashboard.Query, String> waiting = new LinkedHashMap<>();
        for (Dashboard.Query q : dashboard.queries()) {
            waiting.put(q, Dashboard.substitute(q.expr(), variables));
        }
        assertThat(waiting).hasSizeGreaterThan(30);
        Map<Dashboard.Query, String> lastAnswer = new LinkedHashMap<>();
        while (!waiting.isEmpty() && System.currentTimeMillis() < deadline) {
            run.checkHealthy();
            for (var it = waiting.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                List<JsonNode> samples = prometheus.query(e.getValue()); // fails at once on a PromQL error
                if (samples.stream().anyMatch(LiveMonitoringTest::finite)) {
                    System.out.printf("panel data: %-45s %s: %d series, e.g. %s%n", e.getKey().panel(), e.getKey().refId(),
                            samples.size(), samples.get(0).path("value").path(1).asText());
                    it.remove();
                } else {
                    lastAnswer.put(e.getKey(), samples.toString());
                }
            }
            Thread.sleep(1000);
        }
        if (!waiting.isEmpty()) {
            StringBuilder msg = new StringBuilder("panel queries without data after the job ran for "
                    + WARM_UP_MILLIS / 1000 + " s (" + run.produced() + " records produced):\n");
            waiting.forEach((q, expr) -> msg.append("  ").append(q.panel()).append(" [").append(q.refId()).append("]: ")
                    .append(expr).append("\n    -> ").append(lastAnswer.get(q)).append("\n"));
            fail(msg.toString());
        }
    }

    @Test
    void alertExpressionsUseOnlyMetricsTheJobExports() throws Exception {
        Set<String> used = new TreeSet<>();
        for (AlertRules.Rule r : AlertRules.load().rules()) {
            used.addAll(PromQL.metricNames(r.expr()));
        }
        assertThat(used).hasSizeGreaterThan(10);
        Set<String> missing = awaitMetricNames(used);
        assertThat(missing).as("metrics used by alerts.yaml that the running job does not export").isEmpty();
    }

    @Test
    void alertRulesEvaluateWithoutErrorsOnRealData() throws Exception {
        // Prometheus loaded alerts.yaml. Once the job exports everything the rules read, every rule
        // evaluated after that must be healthy (no error such as many-to-many matching on the real
        // label sets)
        Set<String> used = new TreeSet<>();
        List<AlertRules.Rule> rules = AlertRules.load().rules();
        rules.forEach(r -> used.addAll(PromQL.metricNames(r.expr())));
        assertThat(awaitMetricNames(used)).as("metrics the alerts read").isEmpty();
        Instant dataPresent = Instant.now();
        List<String> problems = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            problems.clear();
            int loaded = 0;
            for (JsonNode group : prometheus.api("rules").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    loaded++;
                    String name = rule.path("name").asText();
                    if (OffsetDateTime.parse(rule.path("lastEvaluation").asText()).toInstant().isBefore(dataPresent)) {
                        problems.add(name + ": not evaluated on the job's data yet");
                    } else if (!"ok".equals(rule.path("health").asText())) {
                        problems.add(name + ": " + rule.path("health").asText() + ": " + rule.path("lastError").asText());
                    }
                }
            }
            assertThat(loaded).as("rules Prometheus loaded").isEqualTo(rules.size());
            if (problems.isEmpty()) {
                return;
            }
            Thread.sleep(1000);
        }
        fail("alert rules not healthy on the live run: " + problems);
    }

    @Test
    void theRunProducesTheTrafficThePanelsShow() throws Exception {
        // not just series that exist: the run really scores learners, dead-letters corrupted records,
        // reports dropouts and MIE weights, and completes checkpoints
        String op = "flink_taskmanager_job_task_operator_";
        List<String> positive = List.of(
                "sum(" + op + "modality_eduEventsReceived)",
                "sum(" + op + "eduStepsScored)",
                "sum(" + op + "class_eduPredictions)",
                "sum(" + op + "reason_eduDeadLetters)",
                "sum(" + op + "modality_eduModalityMissingSteps)",
                "sum(" + op + "modality_eduModalityDropouts)",
                "sum(" + op + "modality_eduMieWeight_count)",
                "sum(" + op + "eduInferenceCalls)",
                "sum(" + op + "eduActiveLearners)",
                "sum(" + op + "eduSessionStarts)",
                "sum(" + op + "eduConsentChanges)",
                "sum(" + op + "eduEventsWithoutConsent)",
                "max(flink_jobmanager_job_numberOfCompletedCheckpoints)",
                "max(flink_jobmanager_job_lastCheckpointSize)");
        List<String> waiting = new ArrayList<>(positive);
        while (!waiting.isEmpty() && System.currentTimeMillis() < deadline) {
            run.checkHealthy();
            for (var it = waiting.iterator(); it.hasNext(); ) {
                List<JsonNode> r = prometheus.query(it.next());
                if (!r.isEmpty() && finite(r.get(0)) && r.get(0).path("value").path(1).asDouble() > 0) {
                    it.remove();
                }
            }
            Thread.sleep(1000);
        }
        StringBuilder totals = new StringBuilder("run totals: produced " + run.produced());
        for (String total : List.of("eduStepsScored", "reason_eduDeadLetters", "eduLateEvents", "eduStepsAfterScoring")) {
            List<JsonNode> r = prometheus.query("sum(" + op + total + ")");
            totals.append(", ").append(total).append(' ').append(r.isEmpty() ? "-" : r.get(0).path("value").path(1).asText());
        }
        System.out.println(totals);
        assertThat(waiting).as("totals still 0 after " + run.produced() + " records produced").isEmpty();
    }

    @Test
    void everyJobMetricIsExportedAndDocumentedUnderItsPrometheusName() throws Exception {
        // the job registers its metrics when its operators open; wait until each declared name shows up
        Set<String> declared = JobMetrics.declaredNames();
        Map<String, String> exported = new TreeMap<>(); // eduPredictions -> flink_..._class_eduPredictions
        while (System.currentTimeMillis() < deadline && !exported.keySet().containsAll(declared)) {
            run.checkHealthy();
            for (String name : prometheus.metricNames()) {
                String base = name.replaceAll("_count$", ""); // a summary's count series
                for (String d : declared) {
                    if (base.endsWith("_" + d)) {
                        exported.put(d, base);
                    }
                }
            }
            Thread.sleep(1000);
        }
        assertThat(exported.keySet()).as("EmotionMetrics names scraped from the job").containsAll(declared);
        String doc = Files.readString(MonitoringFiles.METRICS_DOC);
        for (String prometheusName : exported.values()) {
            assertThat(doc).as("docs/metrics.md documents " + prometheusName).contains("`" + prometheusName + "`");
        }
    }

    /** Waits until Prometheus has ingested each name; returns those still missing at the deadline. */
    private static Set<String> awaitMetricNames(Set<String> names) throws Exception {
        Set<String> missing = new TreeSet<>(names);
        while (System.currentTimeMillis() < deadline) {
            run.checkHealthy();
            missing.removeAll(prometheus.metricNames());
            if (missing.isEmpty()) {
                break;
            }
            Thread.sleep(1000);
        }
        return missing;
    }

    /**
     * Each query variable's values, as Grafana's label_values() would list them (through the series
     * API). The first value is used, as Grafana selects it by default; for $namespace that is stricter
     * than its "All" (.*): the queries must also match on the namespace label the scrape adds.
     */
    private static Map<String, String> resolveVariables(Dashboard dashboard) throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        for (Dashboard.Variable v : dashboard.variables()) {
            String selector = Dashboard.substitute(v.seriesSelector(), values);
            Set<String> found = new TreeSet<>();
            while (found.isEmpty() && System.currentTimeMillis() < deadline) {
                run.checkHealthy();
                for (JsonNode s : prometheus.series(selector)) {
                    if (s.hasNonNull(v.label())) {
                        found.add(s.get(v.label()).asText());
                    }
                }
                if (found.isEmpty()) {
                    Thread.sleep(1000);
                }
            }
            assertThat(found).as("values of variable $" + v.name() + " (" + selector + ", label " + v.label() + ")").isNotEmpty();
            values.put(v.name(), found.iterator().next());
        }
        return values;
    }

    private static boolean finite(JsonNode sample) {
        String value = sample.path("value").path(1).asText();
        try {
            return Double.isFinite(Double.parseDouble(value));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
