package io.eduemotionnet.learner;

import io.eduemotionnet.model.ModelInfo;
import java.util.List;
import java.util.function.IntSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The learner operator's metrics, registered in its Flink metric group. Key/value groups become
 * Prometheus labels: {@code flink_taskmanager_job_task_operator_class_eduPredictions{class="boredom"}}.
 * docs/metrics.md describes each one (the names are those of the separate stages before the operator
 * was fused, unchanged).
 */
public final class LearnerMetrics {
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

    final Counter lateEvents;
    final Counter stepsScored;
    final Counter[] predictionsPerClass;
    final Counter[] missingSteps;
    final Counter[] dropouts;
    final Histogram[] mieWeights;
    final Histogram batchSizes;
    final Histogram inferenceLatency;
    final Histogram stepLatency;
    final Counter inferenceCalls;
    final Counter cudaFallbacks;
    final Counter expirations;
    final Counter sessionStarts;
    final Counter stepsAfterScoring;
    private long latestStep = Long.MIN_VALUE;
    private int learnersInLatestStep;
    private volatile int activeLearners;

    LearnerMetrics(MetricGroup group, List<String> classes) {
        lateEvents = group.counter(LATE_EVENTS);
        stepsScored = group.counter(STEPS_SCORED);
        predictionsPerClass = new Counter[classes.size()];
        for (int c = 0; c < classes.size(); c++) {
            predictionsPerClass[c] = group.addGroup("class", classes.get(c)).counter(PREDICTIONS);
        }
        int modalities = ModelInfo.MODALITIES.size();
        missingSteps = new Counter[modalities];
        dropouts = new Counter[modalities];
        mieWeights = new Histogram[modalities];
        for (int m = 0; m < modalities; m++) {
            MetricGroup modality = group.addGroup("modality", ModelInfo.MODALITIES.get(m));
            missingSteps[m] = modality.counter(MODALITY_MISSING);
            dropouts[m] = modality.counter(MODALITY_DROPOUTS);
            mieWeights[m] = modality.histogram(MIE_WEIGHT, histogram());
        }
        batchSizes = group.histogram(BATCH_SIZE, histogram());
        inferenceLatency = group.histogram(INFERENCE_LATENCY, histogram());
        stepLatency = group.histogram(STEP_LATENCY, histogram());
        inferenceCalls = group.counter(INFERENCE_CALLS);
        cudaFallbacks = group.counter(CUDA_FALLBACKS);
        expirations = group.counter(STATE_EXPIRATIONS);
        sessionStarts = group.counter(SESSION_STARTS);
        stepsAfterScoring = group.counter(STEPS_AFTER_SCORING);
        group.gauge(ACTIVE_LEARNERS, () -> activeLearners);
    }

    void onGpu(MetricGroup group, IntSupplier onGpu) {
        group.gauge(ON_GPU, onGpu::getAsInt);
    }

    /** One scored learner-step: the prediction, which modalities it had, their MIE weights. */
    void scored(StepOutputs.Scored s, long latencyMs) {
        stepsScored.inc();
        predictionsPerClass[s.best].inc();
        for (int m = 0; m < missingSteps.length; m++) {
            if ((s.presentBits & (1 << m)) != 0) {
                mieWeights[m].update(Math.round(s.mieWeights[m] * 1000)); // per mille: Flink histograms hold longs
            } else {
                missingSteps[m].inc();
            }
            if (s.dropped[m]) {
                dropouts[m].inc();
            }
        }
        if (latencyMs >= 0) {
            stepLatency.update(latencyMs);
        }
        countActive(s.stepStart);
    }

    /** eduActiveLearners: learners scored in the latest complete step. */
    private void countActive(long stepStart) {
        if (stepStart > latestStep) {
            if (latestStep != Long.MIN_VALUE) {
                activeLearners = learnersInLatestStep;
            }
            latestStep = stepStart;
            learnersInLatestStep = 0;
        }
        if (stepStart == latestStep) {
            learnersInLatestStep++;
        }
    }

    static Histogram histogram() {
        return new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW);
    }
}
