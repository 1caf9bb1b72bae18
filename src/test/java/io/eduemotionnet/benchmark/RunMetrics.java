package io.eduemotionnet.benchmark;

import io.eduemotionnet.ingest.IngestMetrics;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;

/** The running job's own metrics (Flink's metric groups, read in this JVM): progress and inference time. */
final class RunMetrics {
    /** The predictions' exactly-once sink writer: what it has received is what the job emitted. */
    private static final String PREDICTIONS_WRITER = ".*predictions-kafka-sink.*Writer.*";
    private static final String LEARNER_OPERATOR = "tfl-inference";
    private static final String CONSENT_GATE = "consent-gate";
    private static final String EVENTS_SOURCE = "Source: kafka-modality-events";

    private final InMemoryReporter reporter;
    private final JobID job;

    RunMetrics(InMemoryReporter reporter, JobID job) {
        this.reporter = reporter;
        this.job = job;
    }

    /**
     * The lowest event time every prediction before which has been emitted: the predictions writer's
     * input watermark (the operator forwards a watermark only after emitting what it closed), over subtasks.
     */
    long predictionsWatermark() {
        long min = Long.MAX_VALUE;
        List<? extends MetricGroup> writers = reporter.findOperatorMetricGroups(job, PREDICTIONS_WRITER);
        if (writers.isEmpty()) {
            return Long.MIN_VALUE; // not deployed yet
        }
        for (MetricGroup g : writers) {
            Metric m = reporter.getMetricsByGroup(g).get("currentInputWatermark");
            if (m == null) {
                return Long.MIN_VALUE;
            }
            min = Math.min(min, ((Number) ((Gauge<?>) m).getValue()).longValue());
        }
        return min;
    }

    /** Whether the events source still waits for the consent topic (or is not deployed yet). */
    boolean eventsHeldForConsent() {
        List<? extends MetricGroup> readers = reporter.findOperatorMetricGroups(job, EVENTS_SOURCE);
        if (readers.isEmpty()) {
            return true;
        }
        for (MetricGroup g : readers) {
            Metric m = reporter.getMetricsByGroup(g).get(IngestMetrics.EVENTS_HELD_FOR_CONSENT);
            if (m == null || ((Number) ((Gauge<?>) m).getValue()).intValue() != 0) {
                return true;
            }
        }
        return false;
    }

    /** Predictions handed to the Kafka sink so far. */
    long predictionsEmitted() {
        long n = 0;
        for (MetricGroup g : reporter.findOperatorMetricGroups(job, PREDICTIONS_WRITER)) {
            Metric m = reporter.getMetricsByGroup(g).get("numRecordsIn");
            n += m == null ? 0 : ((Counter) m).getCount();
        }
        return n;
    }

    /**
     * RocksDB's own estimate of its live data (after compaction would drop older versions), by operator and
     * column family (one per state), summed over subtasks: the state.backend.rocksdb.metrics.* gauges, which
     * Flink refreshes every few seconds. Memtables are not counted: read after a checkpoint has flushed them.
     */
    Map<String, Long> rocksDbLiveBytes() {
        Map<String, Long> bytes = new java.util.TreeMap<>();
        for (Map.Entry<MetricGroup, Map<String, Metric>> g : reporter.getMetricsByGroup().entrySet()) {
            Map<String, String> vars = g.getKey().getAllVariables();
            Metric live = g.getValue().get("rocksdb.estimate-live-data-size");
            if (live != null && job.toString().equals(vars.get("<job_id>"))) {
                String[] scope = g.getKey().getScopeComponents(); // the column family is the innermost group
                bytes.merge(vars.get("<operator_name>") + " / " + scope[scope.length - 1],
                        ((Number) ((Gauge<?>) live).getValue()).longValue(), Long::sum);
            }
        }
        return bytes;
    }

    /**
     * Records in at the consent gate (events and consent changes): every event has reached the learner's
     * stage once this counts them all, whether the gate let it through or discarded it.
     */
    long gateRecordsIn() {
        return recordsIn(CONSENT_GATE);
    }

    /** Records the learner operator (named tfl-inference, as the dashboards know it) has taken in. */
    long learnerRecordsIn() {
        return recordsIn(LEARNER_OPERATOR);
    }

    private long recordsIn(String operator) {
        long n = 0;
        for (MetricGroup g : reporter.findOperatorMetricGroups(job, operator)) {
            Metric m = reporter.getMetricsByGroup(g).get("numRecordsIn");
            n += m == null ? 0 : ((Counter) m).getCount();
        }
        return n;
    }

    long completedCheckpoints() {
        return jobGauge("numberOfCompletedCheckpoints");
    }

    long checkpointsInProgress() {
        return jobGauge("numberOfInProgressCheckpoints");
    }

    private long jobGauge(String name) {
        for (var t : reporter.findJobMetricGroups(job, name)) {
            return ((Number) ((Gauge<?>) t.f2).getValue()).longValue();
        }
        return 0;
    }

    /**
     * ONNX Runtime's wall time per row inside the job: each call's time (eduInferenceLatencyMs) over its
     * rows (eduInferenceBatchSize), over every subtask's calls (the histograms keep the last 2 048 calls).
     * The call times are whole milliseconds, cut down: half a millisecond per call is added back.
     */
    double onnxMicrosecondsPerRow() {
        double ms = 0;
        double rows = 0;
        for (Map.Entry<MetricGroup, Map<String, Metric>> g : reporter.getMetricsByGroup().entrySet()) {
            if (!job.toString().equals(g.getKey().getAllVariables().get("<job_id>"))) {
                continue;
            }
            Metric latency = g.getValue().get("eduInferenceLatencyMs");
            if (latency != null) {
                var s = ((Histogram) latency).getStatistics();
                ms += (s.getMean() + 0.5) * s.size();
            }
            Metric batch = g.getValue().get("eduInferenceBatchSize");
            if (batch != null) {
                var s = ((Histogram) batch).getStatistics();
                rows += s.getMean() * s.size();
            }
        }
        return rows == 0 ? Double.NaN : InferenceBenchmark.round(ms * 1000 / rows);
    }
}
