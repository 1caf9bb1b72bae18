package io.eduemotionnet.inference;

import io.eduemotionnet.align.AlignedStep;
import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.DropoutStatus;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.metrics.EmotionMetrics;
import io.eduemotionnet.sideoutput.OutputTags;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TFL operator: keeps each learner's carried model state in keyed state (RocksDB) and scores
 * every step that a watermark completes with one batched ONNX call across learners.
 *
 * <p>Timers fire one key at a time, so {@link #onEventTime} only queues a row; {@link
 * #processWatermark} advances the timers, runs the batch, writes each learner's new state back and
 * emits, and only then forwards the watermark (so downstream never sees a watermark ahead of a
 * prediction it covers). A learner's next step waits for its previous one: when a key comes up again
 * within one batch, the batch is scored first.
 *
 * <p>Gap rule: a step in which the learner sent nothing is scored from the carried state alone (all
 * modalities missing) for up to {@code edu.state.max-gap-steps} steps; the next empty step deletes the
 * learner's state (the session is over; counted in eduStateExpirations) and a later event starts
 * afresh. A new session id also starts afresh. Processing-time TTL ({@code edu.state.ttl}) bounds how
 * long any state is kept.
 *
 * <p>A step that arrives after its slot was already scored (its source partition was idle longer than
 * {@code edu.ingest.idleness}, so event time moved on without it) cannot rewind the learner's
 * timeline: its pooled inputs go to the late-events output and are counted (eduStepsAfterScoring).
 */
public class EmotionInferenceOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<AlignedStep, Prediction>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    private static final Modality[] MODALITIES = Modality.values();
    private static final Logger LOG = LoggerFactory.getLogger(EmotionInferenceOperator.class);

    private final JobConfig config;
    private final ModelInfo info;
    private final boolean emitAlignedSteps;

    private transient OnnxEmotionModel model;
    private transient OnnxEmotionModel.Batch batch;
    private transient List<Row> rows;
    private transient Set<String> keysInBatch;
    private transient ValueState<LearnerState> learners;
    private transient MapState<Long, AlignedStep> pending;
    private transient InternalTimerService<VoidNamespace> timers;

    private transient Counter stepsScored;
    private transient Counter[] predictionsPerClass;
    private transient Counter[] missingSteps;
    private transient Counter[] dropouts;
    private transient Histogram[] mieWeights;
    private transient Histogram batchSizes;
    private transient Histogram inferenceLatency;
    private transient Histogram stepLatency;
    private transient Counter inferenceCalls;
    private transient Counter cudaFallbacks;
    private transient Counter expirations;
    private transient Counter sessionStarts;
    private transient Counter stepsAfterScoring;
    private transient long latestStep;
    private transient int learnersInLatestStep;
    private transient volatile int activeLearners;
    private transient boolean warnedIncompatible;

    public EmotionInferenceOperator(JobConfig config, ModelInfo info) {
        this.config = config;
        this.info = info;
        this.emitAlignedSteps = config.alignedStepsEnabled();
    }

    @Override
    public void open() throws Exception {
        super.open();
        var group = getMetricGroup();
        cudaFallbacks = group.counter(EmotionMetrics.CUDA_FALLBACKS);
        model = OnnxEmotionModel.open(config, cudaFallbacks::inc);
        group.gauge(EmotionMetrics.ON_GPU, () -> model.onCuda() ? 1 : 0);
        batch = model.newBatch(config.maxBatchSize);
        rows = new ArrayList<>(config.maxBatchSize);
        keysInBatch = new HashSet<>();

        StateTtlConfig ttl = StateTtlConfig.newBuilder(config.stateTtl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        ValueStateDescriptor<LearnerState> learnerDesc =
                new ValueStateDescriptor<>("learner", TypeInformation.of(LearnerState.class));
        learnerDesc.enableTimeToLive(ttl);
        learners = getRuntimeContext().getState(learnerDesc);
        MapStateDescriptor<Long, AlignedStep> pendingDesc =
                new MapStateDescriptor<>("pending-steps", Types.LONG, TypeInformation.of(AlignedStep.class));
        pendingDesc.enableTimeToLive(ttl);
        pending = getRuntimeContext().getMapState(pendingDesc);
        timers = getInternalTimerService("step-timers", VoidNamespaceSerializer.INSTANCE, this);

        stepsScored = group.counter(EmotionMetrics.STEPS_SCORED);
        predictionsPerClass = EmotionMetrics.perClass(group, info.classes);
        missingSteps = EmotionMetrics.perModality(group, EmotionMetrics.MODALITY_MISSING);
        dropouts = EmotionMetrics.perModality(group, EmotionMetrics.MODALITY_DROPOUTS);
        mieWeights = EmotionMetrics.histogramPerModality(group, EmotionMetrics.MIE_WEIGHT);
        batchSizes = group.histogram(EmotionMetrics.BATCH_SIZE, EmotionMetrics.histogram());
        inferenceLatency = group.histogram(EmotionMetrics.INFERENCE_LATENCY, EmotionMetrics.histogram());
        stepLatency = group.histogram(EmotionMetrics.STEP_LATENCY, EmotionMetrics.histogram());
        inferenceCalls = group.counter(EmotionMetrics.INFERENCE_CALLS);
        expirations = group.counter(EmotionMetrics.STATE_EXPIRATIONS);
        sessionStarts = group.counter(EmotionMetrics.SESSION_STARTS);
        stepsAfterScoring = group.counter(EmotionMetrics.STEPS_AFTER_SCORING);
        group.gauge(EmotionMetrics.ACTIVE_LEARNERS, () -> activeLearners);
        latestStep = Long.MIN_VALUE;
    }

    private long fireTime(long stepStart) {
        return stepStart + info.stepMillis - 1 + config.allowedLateness.toMillis();
    }

    @Override
    public void processElement(StreamRecord<AlignedStep> record) throws Exception {
        AlignedStep step = record.getValue();
        pending.put(step.stepStart, step);
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, fireTime(step.stepStart));
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        String key = timer.getKey();
        if (keysInBatch.contains(key)) {
            flush(); // this learner's previous step is still in the batch: its state must come first
            setCurrentKey(key);
        }
        long stepStart = timer.getTimestamp() - config.allowedLateness.toMillis() - info.stepMillis + 1;
        AlignedStep step = pending.get(stepStart);
        LearnerState learner = learners.value();
        if (step != null) {
            pending.remove(stepStart);
            if (learner != null && learner.sessionId.equals(step.sessionId) && step.stepStart <= learner.lastStepStart) {
                toLateOutput(step, timer.getTimestamp());
                return;
            }
        } else {
            boolean continues = learner != null && learner.lastStepStart == stepStart - info.stepMillis;
            if (!continues) {
                return; // a stale timer of a learner whose state was reset or has expired
            }
            if (learner.emptySteps >= config.maxGapSteps) {
                learners.clear();
                pending.clear();
                expirations.inc();
                return;
            }
            step = AlignedStep.empty(key, learner.sessionId, stepStart, stepStart + info.stepMillis);
        }
        boolean fresh = learner == null || !learner.sessionId.equals(step.sessionId)
                || step.stepStart != learner.lastStepStart + info.stepMillis
                || !compatible(learner);
        if (fresh) {
            learner = LearnerState.start(step.sessionId, step.stepStart);
            sessionStarts.inc();
        }
        rows.add(new Row(key, step, learner, batch.add(step.embeddings(), step.meanQuality, fresh ? null : learner.modelState)));
        keysInBatch.add(key);
        if (batch.isFull()) {
            flush();
            setCurrentKey(key);
        }
    }

    /**
     * The step was already scored (as a step without input): its events come from a source partition
     * that was idle for longer than edu.ingest.idleness, so event time moved on without it. The
     * learner's timeline cannot be rewound: its pooled inputs go to the late-events output, like events
     * the window stage finds late.
     */
    private void toLateOutput(AlignedStep step, long timestamp) {
        stepsAfterScoring.inc();
        for (int m = 0; m < 3; m++) {
            if (step.present(m)) {
                output.collect(OutputTags.LATE_EVENTS, new StreamRecord<>(new EmbeddingEvent(step.learnerId,
                        step.sessionId, m, step.stepStart, step.embedding(m), step.meanQuality[m], 1), timestamp));
            }
        }
    }

    /** State restored from a model with another state layout cannot be continued: start afresh. */
    private boolean compatible(LearnerState learner) {
        if (learner.modelState != null && learner.modelState.length == info.stateSize) {
            return true;
        }
        if (!warnedIncompatible) {
            warnedIncompatible = true;
            LOG.warn("learner state of {} floats does not fit the model's {} (a model with another state layout was "
                    + "deployed over restored state): such learners start afresh",
                    learner.modelState == null ? 0 : learner.modelState.length, info.stateSize);
        }
        return false;
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // no processing-time timers: state retention in processing time is left to state TTL
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // fire every timer the watermark completes, score what they queued, and repeat: scoring a
        // step registers the learner's next-step timer, which may already be due (a watermark can
        // cover several steps at once)
        while (true) {
            timeServiceManager.advanceWatermark(mark);
            if (rows.isEmpty()) {
                break;
            }
            flush();
        }
        output.emitWatermark(mark);
    }

    private void flush() throws Exception {
        if (rows.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        model.run(batch);
        inferenceLatency.update((System.nanoTime() - t0) / 1_000_000);
        inferenceCalls.inc();
        batchSizes.update(batch.size);
        long now = System.currentTimeMillis();
        for (Row row : rows) {
            setCurrentKey(row.key);
            emit(row, now);
        }
        rows.clear();
        keysInBatch.clear();
        batch.clear();
    }

    private void emit(Row row, long now) throws Exception {
        AlignedStep step = row.step;
        LearnerState learner = row.learner;
        int c = info.classes.size();
        int s = info.stateSize;
        float[] newState = learner.modelState != null && learner.modelState.length == s ? learner.modelState : new float[s];
        System.arraycopy(batch.stateOut, row.index * s, newState, 0, s);
        learner.modelState = newState;

        Map<String, Float> probabilities = new HashMap<>(c * 2);
        int best = 0;
        double entropy = 0;
        for (int k = 0; k < c; k++) {
            float p = batch.probabilities[row.index * c + k];
            probabilities.put(info.classes.get(k), p);
            if (p > batch.probabilities[row.index * c + best]) {
                best = k;
            }
            if (p > 0) {
                entropy -= p * Math.log(p);
            }
        }
        float[] w = new float[3];
        System.arraycopy(batch.mieWeights, row.index * 3, w, 0, 3);
        ModalityWeights weights = new ModalityWeights(w[0], w[1], w[2]);
        List<Modality> present = new ArrayList<>(3);
        int presentBits = 0;
        for (int m = 0; m < 3; m++) {
            if (step.present(m)) {
                present.add(MODALITIES[m]);
                presentBits |= 1 << m;
                mieWeights[m].update(Math.round(w[m] * 1000)); // per mille: Flink histograms hold longs
            } else {
                missingSteps[m].inc();
            }
        }
        long ts = step.stepEnd - 1;
        Prediction prediction = Prediction.newBuilder()
                .setLearnerId(step.learnerId)
                .setSessionId(step.sessionId)
                .setStepStart(Instant.ofEpochMilli(step.stepStart))
                .setStepEnd(Instant.ofEpochMilli(step.stepEnd))
                .setProbabilities(probabilities)
                .setLabel(info.classes.get(best))
                .setMieWeights(weights)
                .setPresent(present)
                .setModelVersion(info.version)
                .setEmitTime(Instant.ofEpochMilli(now))
                .build();
        output.collect(new StreamRecord<>(prediction, ts));
        stepsScored.inc();
        predictionsPerClass[best].inc();
        if (step.closedAt > 0) {
            stepLatency.update(Math.max(0, now - step.closedAt));
        }

        int emptySteps = presentBits == 0 ? learner.emptySteps + 1 : 0;
        output.collect(OutputTags.CONFIDENCE, new StreamRecord<>(ConfidenceReport.newBuilder()
                .setLearnerId(step.learnerId)
                .setSessionId(step.sessionId)
                .setStepStart(Instant.ofEpochMilli(step.stepStart))
                .setMieWeights(weights)
                .setMeanQuality(new ModalityWeights(step.meanQuality[0], step.meanQuality[1], step.meanQuality[2]))
                .setPresent(present)
                .setTopProbability(batch.probabilities[row.index * c + best])
                .setEntropy((float) entropy)
                .setStepsWithoutInput(emptySteps)
                .build(), ts));
        for (int m = 0; m < 3; m++) {
            boolean was = (learner.presentBits & (1 << m)) != 0;
            boolean is = (presentBits & (1 << m)) != 0;
            boolean seen = (learner.seenBits & (1 << m)) != 0;
            if (was && !is) {
                dropouts[m].inc();
                output.collect(OutputTags.DROPOUT, new StreamRecord<>(dropout(step, m, DropoutStatus.DROPPED, 0, now), ts));
            } else if (!was && is && seen) {
                output.collect(OutputTags.DROPOUT, new StreamRecord<>(
                        dropout(step, m, DropoutStatus.RESTORED, learner.missingRun[m], now), ts));
            }
            learner.missingRun[m] = is ? 0 : learner.missingRun[m] + 1;
        }
        if (emitAlignedSteps && presentBits != 0) {
            step.sessionStep = (int) ((step.stepStart - learner.sessionStart) / info.stepMillis);
            output.collect(OutputTags.ALIGNED_STEPS, new StreamRecord<>(step, ts));
        }

        learner.presentBits = presentBits;
        learner.seenBits |= presentBits;
        learner.emptySteps = emptySteps;
        learner.lastStepStart = step.stepStart;
        learners.update(learner);
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, fireTime(step.stepStart + info.stepMillis));
        countActive(step.stepStart);
    }

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

    private static DropoutReport dropout(AlignedStep step, int m, DropoutStatus status, int missing, long now) {
        return DropoutReport.newBuilder()
                .setLearnerId(step.learnerId)
                .setSessionId(step.sessionId)
                .setModality(MODALITIES[m])
                .setStatus(status)
                .setStepStart(Instant.ofEpochMilli(step.stepStart))
                .setMissingSteps(missing)
                .setReportTime(Instant.ofEpochMilli(now))
                .build();
    }

    @Override
    public void close() throws Exception {
        try {
            if (model != null) {
                model.close();
            }
        } finally {
            super.close();
        }
    }

    // for tests in this package
    Counter inferenceCallsCounter() {
        return inferenceCalls;
    }

    Counter expirationsCounter() {
        return expirations;
    }

    Counter sessionStartsCounter() {
        return sessionStarts;
    }

    Counter cudaFallbacksCounter() {
        return cudaFallbacks;
    }

    /** A queued learner-step: its batch row and the learner state it continues from. */
    private static final class Row {
        final String key;
        final AlignedStep step;
        final LearnerState learner;
        final int index;

        Row(String key, AlignedStep step, LearnerState learner, int index) {
            this.key = key;
            this.step = step;
            this.learner = learner;
            this.index = index;
        }
    }
}
