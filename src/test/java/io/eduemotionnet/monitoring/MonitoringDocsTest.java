package io.eduemotionnet.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/metrics.md and docs/alerts.md keep up with the job, the dashboard and the alerts. */
class MonitoringDocsTest {
    @Test
    void everyMetricTheJobDeclaresIsDocumentedWithItsPrometheusName() throws Exception {
        String doc = Files.readString(MonitoringFiles.METRICS_DOC);
        Set<String> declared = JobMetrics.declaredNames();
        assertThat(declared).as("metric names found in the job's code").contains("eduPredictions").hasSizeGreaterThan(10);
        for (String name : declared) {
            // key/value groups put the key into the name: flink_..._operator_class_eduPredictions
            Pattern prometheusName = Pattern.compile("`flink_taskmanager_job_task_operator_([a-z]+_)?" + name + "`");
            assertThat(prometheusName.matcher(doc).find()).as("docs/metrics.md documents " + name + " by its Prometheus name").isTrue();
        }
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsUseIsDocumented() throws Exception {
        Set<String> used = new TreeSet<>();
        for (Dashboard.Query q : Dashboard.load().queries()) {
            Set<String> names = PromQL.metricNames(q.expr());
            assertThat(names).as("metrics of the dashboard query %s", q.expr()).isNotEmpty();
            used.addAll(names);
        }
        for (AlertRules.Rule r : AlertRules.load().rules()) {
            Set<String> names = PromQL.metricNames(r.expr());
            assertThat(names).as("metrics of the alert %s", r.expr()).isNotEmpty();
            used.addAll(names);
        }
        assertThat(used).as("metrics the dashboard and the alerts use").anyMatch(n -> n.startsWith("flink_taskmanager_job_task_operator_") && n.contains("_edu"));
        String doc = Files.readString(MonitoringFiles.METRICS_DOC);
        for (String metric : used) {
            assertThat(doc).as("docs/metrics.md documents " + metric).contains("`" + metric + "`");
        }
    }

    @Test
    void metricNamesAreReadFromPromQL() {
        assertThat(PromQL.metricNames("sum by (modality) (rate(a_b{x=\"y\"}[5m])) / on () group_left () sum(rate(c[1m])) > 0.5"))
                .containsExactly("a_b", "c");
        assertThat(PromQL.metricNames("increase(a[15m]) == 0 and b > 15 * 60 * 1000 unless on (ns) max(c offset 1h)"))
                .containsExactly("a", "b", "c");
        assertThat(PromQL.metricNames("time() - max(d{q=~\"0.5|0.99\"}) / 1000")).containsExactly("d");
    }
}
