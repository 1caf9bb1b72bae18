package io.eduemotionnet.metrics;

import io.eduemotionnet.model.ModelInfo;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The job's metric names, registered in Flink's operator metric groups. Key/value groups become
 * Prometheus labels: {@code flink_taskmanager_job_task_operator_eduEventsReceived{modality="audio"}}.
 * docs/metrics.md describes each one.
 */
public final class EmotionMetrics {
    private EmotionMetrics() {}

    public static final String LATE_EVENTS = "eduLateEvents";
    public static final String STEPS_SCORED = "eduStepsScored";
    public static final String MODALITY_MISSING = "eduModalityMissingSteps";
    public static final String MODALITY_DROPOUTS = "eduModalityDropouts";
    public static final String MIE_WEIGHT = "eduMieWeight";
    public static final String PREDICTIONS = "eduPredictions";
    public static final String BATCH_SIZE = "eduInferenceBatchSize";
    public static final String INFERENCE_LATENCY = "eduInferenceLatencyMs";
    public static final String STEP_LATENCY = "eduStepLatencyMs";
    public static final String INFERENCE_CALLS = "eduInferenceCalls";
    public static final String CUDA_FALLBACKS = "eduCudaFallbacks";
    public static final String ON_GPU = "eduInferenceOnGpu";
    public static final String ACTIVE_LEARNERS = "eduActiveLearners";
    public static final String STATE_EXPIRATIONS = "eduStateExpirations";
    public static final String SESSION_STARTS = "eduSessionStarts";
    public static final String STEPS_AFTER_SCORING = "eduStepsAfterScoring";

    /** Samples kept by each histogram (Flink computes quantiles over this sliding window). */
    private static final int HISTOGRAM_WINDOW = 2048;

    public static Counter[] perModality(MetricGroup group, String name) {
        List<String> names = ModelInfo.MODALITIES;
        Counter[] out = new Counter[names.size()];
        for (int m = 0; m < out.length; m++) {
            out[m] = group.addGroup("modality", names.get(m)).counter(name);
        }
        return out;
    }

    public static Histogram[] histogramPerModality(MetricGroup group, String name) {
        List<String> names = ModelInfo.MODALITIES;
        Histogram[] out = new Histogram[names.size()];
        for (int m = 0; m < out.length; m++) {
            out[m] = group.addGroup("modality", names.get(m)).histogram(name, histogram());
        }
        return out;
    }

    public static Counter[] perClass(MetricGroup group, List<String> classes) {
        Counter[] out = new Counter[classes.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = group.addGroup("class", classes.get(c)).counter(PREDICTIONS);
        }
        return out;
    }

    public static Histogram histogram() {
        return new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW);
    }
}
