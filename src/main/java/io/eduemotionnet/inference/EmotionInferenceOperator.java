package io.eduemotionnet.inference;

import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
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
 * timeline: its pooled inputs go to the late-events output, one record per modality marked with the
 * number of events it pools, and the step is counted (eduStepsAfterScoring).
 *
 * <p>Steps waiting for their watermark are buffered on the heap ({@link Buffered}), not written to
 * RocksDB and read back one step later: a checkpoint spills the ones not yet in keyed state into the
 * keyed map state {@code pending-steps} (before the keyed state is snapshotted), and a restore loads
 * that map state back, so buffered steps survive failures and rescaling exactly as keyed state does.
 */
public class EmotionInferenceOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<AlignedStep, Prediction>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    private static final Modality[] MODALITIES = Modality.values();
    private static final Logger LOG = LoggerFactory.getLogger(EmotionInferenceOperator.class);
    private static final String PENDING = "pending-steps";

    private final JobConfig config;
    private final ModelInfo info;
    private final boolean emitAlignedSteps;

    private transient OnnxEmotionModel model;
    private transient OnnxEmotionModel.Batch batch;
    private transient List<Row> rows;
    private transient Set<String> keysInBatch;
    private transient ValueState<LearnerState> learners;
    /** Buffered steps as of the last checkpoint (see {@link Buffered}); the heap buffer is authoritative. */
    private transient MapState<Long, AlignedStep> pending;
    /** Steps not yet scored, per key (a short list: usually one step). */
    private transient Map<Object, Buffered> buffered;
    private transient long stateTtlMillis;
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

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        StateTtlConfig ttl = StateTtlConfig.newBuilder(config.stateTtl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        ValueStateDescriptor<LearnerState> learnerDesc =
                new ValueStateDescriptor<>("learner", TypeInformation.of(LearnerState.class));
        learnerDesc.enableTimeToLive(ttl);
        learners = context.getKeyedStateStore().getState(learnerDesc);
        MapStateDescriptor<Long, AlignedStep> pendingDesc =
                new MapStateDescriptor<>(PENDING, Types.LONG, TypeInformation.of(AlignedStep.class));
        pendingDesc.enableTimeToLive(ttl);
        pending = context.getKeyedStateStore().getMapState(pendingDesc);
        stateTtlMillis = config.stateTtl.toMillis();
        buffered = new HashMap<>();
        if (context.isRestored()) {
            loadBuffered();
        }
    }

    /** After a restore (also rescaled): the steps buffered at the checkpoint, for this subtask's keys. */
    @SuppressWarnings("unchecked")
    private void loadBuffered() throws Exception {
        List<Object> keys;
        try (Stream<Object> stream = ((org.apache.flink.runtime.state.KeyedStateBackend<Object>) getKeyedStateBackend())
                .getKeys(PENDING, VoidNamespace.INSTANCE)) {
            keys = stream.distinct().collect(Collectors.toList());
        }
        long now = System.currentTimeMillis();
        for (Object key : keys) {
            setCurrentKey(key);
            for (Map.Entry<Long, AlignedStep> e : pending.entries()) {
                Buffered b = new Buffered(e.getValue(), now, buffered.get(key));
                b.inState = true;
                b.spilled = true;
                buffered.put(key, b);
            }
        }
    }

    /**
     * Spills the buffered steps that keyed state does not hold yet into it: Flink snapshots the keyed
     * state after this method, so the checkpoint holds every step not yet scored. (No rows are in
     * flight here: a watermark scores everything it queues before it returns.)
     */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        Object current = getCurrentKey();
        for (Map.Entry<Object, Buffered> e : buffered.entrySet()) {
            for (Buffered b = e.getValue(); b != null; b = b.next) {
                if (!b.spilled) {
                    setCurrentKey(e.getKey());
                    pending.put(b.step.stepStart, b.step);
                    b.inState = true;
                    b.spilled = true;
                }
            }
        }
        if (current != null) {
            setCurrentKey(current);
        }
    }

    private long fireTime(long stepStart) {
        return stepStart + info.stepMillis - 1 + config.allowedLateness.toMillis();
    }

    @Override
    public void processElement(StreamRecord<AlignedStep> record) throws Exception {
        // kept by reference: the operator follows a keyBy, and network inputs deserialize every record
        // into a new object (object reuse or not)
        AlignedStep step = record.getValue();
        Object key = getCurrentKey();
        Buffered head = buffered.get(key);
        long now = System.currentTimeMillis();
        Buffered same = head;
        while (same != null && same.step.stepStart != step.stepStart) {
            same = same.next;
        }
        if (same != null) { // a second step for the same slot replaces the first, as a map put did
            same.step = step;
            same.receivedAt = now;
            same.spilled = false;
        } else {
            buffered.put(key, new Buffered(step, now, head));
        }
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, fireTime(step.stepStart));
    }

    /**
     * Removes and returns the key's buffered step for {@code stepStart}; null if none, or if it waited
     * longer than the state TTL (as the TTL'd map state held it: processing time since it arrived).
     */
    private AlignedStep takeBuffered(Object key, long stepStart) throws Exception {
        Buffered prev = null;
        for (Buffered b = buffered.get(key); b != null; prev = b, b = b.next) {
            if (b.step.stepStart == stepStart) {
                if (prev != null) {
                    prev.next = b.next;
                } else if (b.next != null) {
                    buffered.put(key, b.next);
                } else {
                    buffered.remove(key);
                }
                if (b.inState) {
                    pending.remove(stepStart);
                }
                boolean expired = b.receivedAt + stateTtlMillis <= System.currentTimeMillis();
                return expired ? null : b.step;
            }
        }
        return null;
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        String key = timer.getKey();
        if (keysInBatch.contains(key)) {
            flush(); // this learner's previous step is still in the batch: its state must come first
            setCurrentKey(key);
        }
        long stepStart = timer.getTimestamp() - config.allowedLateness.toMillis() - info.stepMillis + 1;
        AlignedStep step = takeBuffered(key, stepStart);
        LearnerState learner = learners.value();
        if (step != null) {
            if (learner != null && learner.sessionId.equals(step.sessionId) && step.stepStart <= learner.lastStepStart) {
                toLateOutput(step, timer.getTimestamp());
                return;
            }
            learner = scoreGapBefore(key, step, learner);
        } else {
            boolean continues = learner != null && learner.lastStepStart == stepStart - info.stepMillis;
            if (!continues) {
                return; // a stale timer of a learner whose state was reset or has expired
            }
            if (learner.emptySteps >= config.maxGapSteps) {
                // steps already buffered for later slots (a watermark that covers many steps, as when
                // catching up) are kept: each starts the learner afresh when its timer fires
                learners.clear();
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
     * Scores the steps without input between the learner's last scored step and {@code step}, in order,
     * as the continuation timers would have in real time, or applies the gap rule. Needed when one
     * watermark covers a learner's step, a gap and its next step (catching up on a backlog, a replay):
     * the next step's timer can then fire before the gap's continuation timer exists, and without this
     * the learner would start afresh where a live run continues. Returns the learner state to go on from.
     */
    private LearnerState scoreGapBefore(String key, AlignedStep step, LearnerState learner) throws Exception {
        while (learner != null && learner.sessionId.equals(step.sessionId)
                && learner.lastStepStart + info.stepMillis < step.stepStart && compatible(learner)) {
            if (learner.emptySteps >= config.maxGapSteps) {
                learners.clear();
                expirations.inc();
                return null;
            }
            long gapStart = learner.lastStepStart + info.stepMillis;
            AlignedStep empty = AlignedStep.empty(key, learner.sessionId, gapStart, gapStart + info.stepMillis);
            rows.add(new Row(key, empty, learner, batch.add(empty.embeddings(), empty.meanQuality, learner.modelState)));
            keysInBatch.add(key);
            flush(); // the next step needs this one's state
            setCurrentKey(key);
            learner = learners.value();
        }
        return learner;
    }

    /**
     * The step was already scored (as a step without input): its events come from a source partition
     * that was idle for longer than edu.ingest.idleness, so event time moved on without it. The
     * learner's timeline cannot be rewound: its pooled inputs go to the late-events output, like events
     * the window stage finds late, one record per present modality that carries how many events it
     * pools ({@link EmbeddingEvent#pooledEvents}; LateEvent.pooled_events).
     */
    private void toLateOutput(AlignedStep step, long timestamp) {
        stepsAfterScoring.inc();
        for (int m = 0; m < 3; m++) {
            if (step.present(m)) {
                // one record per modality: the mean of its events in the step, marked with their count
                // (eduLateEvents counts them; event time = the step's start)
                EmbeddingEvent pooled = new EmbeddingEvent(step.learnerId, step.sessionId, m, step.stepStart,
                        step.embedding(m), step.meanQuality[m], 1);
                pooled.pooledEvents = Math.max(1, step.counts[m]);
                output.collect(OutputTags.LATE_EVENTS, new StreamRecord<>(pooled, timestamp));
            }
        }
    }

    /**
     * State written by another model (restored after a model upgrade) cannot be continued, even when
     * its size fits: its carried tokens come from other encoder weights. Such learners start afresh.
     */
    private boolean compatible(LearnerState learner) {
        if (learner.modelState != null && learner.modelState.length == info.stateSize
                && info.modelId.equals(learner.modelId)) {
            return true;
        }
        if (!warnedIncompatible) {
            warnedIncompatible = true;
            LOG.warn("restored learner state was written by another model ({} floats, model id {}; this model: {} floats, "
                    + "id {}): such learners start afresh", learner.modelState == null ? 0 : learner.modelState.length,
                    learner.modelId, info.stateSize, info.modelId);
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
        learner.modelId = info.modelId;

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
        // all-args constructors rather than builders (every field is set; a builder validates each
        // field and copies schema defaults, a per-record cost on this path)
        Instant stepStart = Instant.ofEpochMilli(step.stepStart);
        Prediction prediction = new Prediction(step.learnerId, step.sessionId, stepStart,
                Instant.ofEpochMilli(step.stepEnd), probabilities, info.classes.get(best), weights, present,
                info.version, Instant.ofEpochMilli(now));
        output.collect(new StreamRecord<>(prediction, ts));
        stepsScored.inc();
        predictionsPerClass[best].inc();
        if (step.closedAt > 0) {
            stepLatency.update(Math.max(0, now - step.closedAt));
        }

        int emptySteps = presentBits == 0 ? learner.emptySteps + 1 : 0;
        output.collect(OutputTags.CONFIDENCE, new StreamRecord<>(new ConfidenceReport(step.learnerId, step.sessionId,
                stepStart, weights, new ModalityWeights(step.meanQuality[0], step.meanQuality[1], step.meanQuality[2]),
                present, batch.probabilities[row.index * c + best], (float) entropy, emptySteps), ts));
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
            output.collect(OutputTags.ALIGNED_STEPS, new StreamRecord<>(trainingRow(step, learner), ts));
        }

        learner.presentBits = presentBits;
        learner.seenBits |= presentBits;
        learner.emptySteps = emptySteps;
        learner.lastStepStart = step.stepStart;
        learners.update(learner);
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, fireTime(step.stepStart + info.stepMillis));
        countActive(step.stepStart);
    }

    /**
     * The step as a row of training data. A fresh start of the carried state (a new session id, the
     * gap rule, state TTL, a model change) is a new training sequence: the job scores it from zero
     * state, so training must too, and it must not be glued to the previous run as if contiguous. Each
     * run is therefore written as its own session: the session id with {@code #} and the run's first
     * step start (epoch ms) appended, steps counted from that first step. The run's start is kept in
     * the learner state ({@link LearnerState#sessionStart}) and derived from the data, so unlike a
     * counter it needs nothing that outlives the state: a run after the state was deleted gets another
     * start, hence another id, and a restored or replayed run the same one.
     */
    private AlignedStep trainingRow(AlignedStep step, LearnerState learner) {
        return step.asTrainingRow(step.sessionId + '#' + learner.sessionStart,
                (int) ((step.stepStart - learner.sessionStart) / info.stepMillis));
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

    /**
     * A step waiting for its watermark, in a per-key list. {@code inState}: {@code pending-steps} has an
     * entry for its slot (to delete when the step is taken); {@code spilled}: that entry is this step.
     */
    private static final class Buffered {
        AlignedStep step;
        long receivedAt;
        Buffered next;
        boolean inState;
        boolean spilled;

        Buffered(AlignedStep step, long receivedAt, Buffered next) {
            this.step = step;
            this.receivedAt = receivedAt;
            this.next = next;
        }
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
