package io.eduemotionnet.learner;

import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.LearnerInput;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.runtime.state.KeyedStateBackend;
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

/**
 * The one keyed operator per learner, from valid events to predictions. Each event is pooled into the
 * learner's open step on the heap ({@link OpenSteps}); when the watermark passes a step's end (+ allowed
 * lateness) its timer closes it, {@link SessionPolicy} decides how it continues the learner's carried
 * state, and {@link BatchScorer} queues it. {@link #processWatermark} scores every step the watermark
 * closed in one batched ONNX call, writes each learner's state to RocksDB once, emits ({@link
 * StepOutputs}), and only then forwards the watermark.
 *
 * <p>Liveness: an event whose step has already closed (its end + lateness at or behind the operator's
 * watermark) is reported late at once; every other event's step has a timer ahead of the watermark. So
 * a step is scored, or reported late, within one watermark advance of its end + lateness, whatever the
 * idleness of the input channels (issue 11).
 *
 * <p>An {@link ErasureOrder} deletes everything the operator keeps for the learner at once (carried state,
 * open steps on the heap and spilled, timers), counts it into the order and emits the order on {@link
 * LearnerOutputs#ERASURES}.
 */
public class LearnerOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<LearnerInput, Prediction>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    static final String OPEN_STEPS = LearnerStore.OPEN_STEPS;

    private final JobConfig config;
    private final ModelInfo info;
    private final SessionPolicy policy;
    private final StepOutputs assembly;
    private final long lateness;

    private transient OnnxEmotionModel model;
    private transient BatchScorer scorer;
    private transient LearnerMetrics metrics;
    private transient LearnerStore store;
    /** The open steps; keyed state holds copies as of the last checkpoint. */
    private transient OpenSteps open;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient long stateTtlMillis;
    private transient boolean[] opened;

    public LearnerOperator(JobConfig config, ModelInfo info) {
        this.config = config;
        this.info = info;
        this.policy = new SessionPolicy(info, config.maxGapSteps);
        this.assembly = new StepOutputs(info, config.alignedStepsEnabled());
        this.lateness = config.allowedLateness.toMillis();
    }

    @Override
    public void open() throws Exception {
        super.open();
        metrics = new LearnerMetrics(getMetricGroup(), info.classes);
        model = OnnxEmotionModel.open(config, metrics.cudaFallbacks::inc);
        metrics.onGpu(getMetricGroup(), () -> model.onCuda() ? 1 : 0);
        scorer = new BatchScorer(model, config.maxBatchSize, metrics);
        timers = getInternalTimerService("step-timers", VoidNamespaceSerializer.INSTANCE, this);
        opened = new boolean[1];
    }

    @Override
    @SuppressWarnings("unchecked")
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        store = new LearnerStore(context.getKeyedStateStore(), this, config.stateTtl);
        stateTtlMillis = config.stateTtl.toMillis();
        open = new OpenSteps();
        if (context.isRestored()) {
            store.loadSpilled((KeyedStateBackend<String>) (KeyedStateBackend<?>) getKeyedStateBackend(), open);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        store.spill(open);
    }

    private long closesAt(long stepStart) {
        return stepStart + info.stepMillis - 1 + lateness;
    }

    @Override
    public void processElement(StreamRecord<LearnerInput> record) throws Exception {
        LearnerInput input = record.getValue();
        String key = (String) getCurrentKey();
        if (input.erasure != null) {
            erase(key, input.erasure, record);
            return;
        }
        EmbeddingEvent e = input.event;
        long stepStart = e.eventTime - Math.floorMod(e.eventTime, info.stepMillis);
        long watermark = timers.currentWatermark();
        if (closesAt(stepStart) <= watermark) { // its step has closed: late, reported at once
            metrics.lateEvents.inc();
            output.collect(LearnerOutputs.LATE_EVENTS, new StreamRecord<>(LearnerOutputs.lateEvent(e, watermark, 0), record.getTimestamp()));
            return;
        }
        OpenStep step = open.open(key, stepStart, System.currentTimeMillis(), opened);
        step.add(e);
        if (opened[0]) {
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, closesAt(stepStart));
        }
    }

    private void erase(String key, ErasureOrder order, StreamRecord<LearnerInput> record) throws Exception {
        long watermark = timers.currentWatermark();
        Set<Long> timersDeleted = new HashSet<>();
        long openSteps = 0;
        for (OpenStep s = open.removeAll(key); s != null; s = s.next) {
            openSteps++;
            deleteTimer(closesAt(s.stepStart), watermark, timersDeleted);
        }
        store.deleteSpilled();
        LearnerState learner = store.learner();
        if (learner != null) { // its continuation timer (the next step, scored from the carried state if empty)
            deleteTimer(closesAt(learner.lastStepStart + info.stepMillis), watermark, timersDeleted);
            store.deleteLearner();
        }
        order.addDeleted(ErasureOrder.Deleted.LEARNER_STATE, learner != null ? 1 : 0);
        order.addDeleted(ErasureOrder.Deleted.OPEN_STEPS, openSteps);
        order.addDeleted(ErasureOrder.Deleted.TIMERS, timersDeleted.size());
        output.collect(LearnerOutputs.ERASURES, new StreamRecord<>(order, record.getTimestamp()));
    }

    /** Timers at or behind the watermark have fired already (none is ever registered there). */
    private void deleteTimer(long time, long watermark, Set<Long> deleted) {
        if (time > watermark && deleted.add(time)) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, time);
        }
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        String key = timer.getKey();
        if (scorer.holds(key)) {
            flush(); // this learner's previous step is still in the batch: its state must come first
            setCurrentKey(key);
        }
        long stepStart = timer.getTimestamp() - lateness - info.stepMillis + 1;
        AlignedStep step = closeOpenStep(key, stepStart);
        LearnerState learner = store.learner();
        if (step != null) {
            if (policy.alreadyScored(learner, step)) {
                reportScoredStepLate(step, timer.getTimestamp());
                return;
            }
            learner = scoreGapBefore(key, step, learner);
        } else {
            if (!policy.continuesTo(learner, stepStart)) {
                return; // a stale timer of a learner whose state was reset or has expired
            }
            if (policy.gapExhausted(learner)) {
                // open steps of later slots are kept: each starts the learner afresh when it closes
                store.deleteLearner();
                metrics.expirations.inc();
                return;
            }
            step = AlignedStep.empty(key, learner.sessionId, stepStart, stepStart + info.stepMillis);
        }
        boolean fresh = policy.startsAfresh(learner, step);
        if (fresh) {
            if (learner != null && !policy.compatible(learner)) {
                policy.warnIncompatible(learner);
            }
            learner = LearnerState.start(step.sessionId, step.stepStart);
            metrics.sessionStarts.inc();
        }
        scorer.add(key, step, learner, fresh);
        if (scorer.isFull()) {
            flush();
            setCurrentKey(key);
        }
    }

    /** The learner's open step for the slot, closed; null if none or if it outlived the state TTL. */
    private AlignedStep closeOpenStep(String key, long stepStart) throws Exception {
        OpenStep s = open.take(key, stepStart);
        if (s == null) {
            return null;
        }
        if (s.inState) {
            store.forgetSpilled(stepStart);
        }
        long now = System.currentTimeMillis();
        return s.openedAt + stateTtlMillis <= now ? null : s.close(key, info.stepMillis, now);
    }

    /** Scores the steps without input between the learner's last scored step and {@code step}, in order. */
    private LearnerState scoreGapBefore(String key, AlignedStep step, LearnerState learner) throws Exception {
        while (policy.gapBefore(learner, step)) {
            if (policy.gapExhausted(learner)) {
                store.deleteLearner();
                metrics.expirations.inc();
                return null;
            }
            long gapStart = learner.lastStepStart + info.stepMillis;
            scorer.add(key, AlignedStep.empty(key, learner.sessionId, gapStart, gapStart + info.stepMillis), learner, false);
            flush(); // the next step needs this one's state
            setCurrentKey(key);
            learner = store.learner();
        }
        return learner;
    }

    /**
     * A step whose slot was already scored (only after a restore that brought back both): the learner's
     * timeline cannot be rewound, so its pooled inputs go to the late events (counted as their events).
     */
    private void reportScoredStepLate(AlignedStep step, long timestamp) {
        metrics.stepsAfterScoring.inc();
        for (var late : LearnerOutputs.pooledLateEvents(step, timers.currentWatermark())) {
            metrics.lateEvents.inc(late.getPooledEvents());
            output.collect(LearnerOutputs.LATE_EVENTS, new StreamRecord<>(late, timestamp));
        }
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // no processing-time timers: retention in processing time is left to state TTL
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // close every step the watermark passes, score what they queued, and repeat: scoring a step
        // registers the learner's next-step timer, which may already be due (catching up on a backlog)
        while (true) {
            timeServiceManager.advanceWatermark(mark);
            if (scorer.isEmpty()) {
                break;
            }
            flush();
        }
        output.emitWatermark(mark);
    }

    private void flush() throws Exception {
        scorer.flush(this::emit);
    }

    private void emit(BatchScorer.Row row, OnnxEmotionModel.Batch batch) throws Exception {
        setCurrentKey(row.key);
        long now = System.currentTimeMillis();
        StepOutputs.Scored s = assembly.assemble(row.step, row.learner, row.index, batch.probabilities, batch.mieWeights,
                batch.stateOut, now);
        long ts = row.step.stepEnd - 1;
        output.collect(new StreamRecord<>(s.prediction, ts));
        output.collect(LearnerOutputs.CONFIDENCE, new StreamRecord<>(s.confidence, ts));
        for (var d : s.dropouts) {
            output.collect(LearnerOutputs.DROPOUT, new StreamRecord<>(d, ts));
        }
        if (s.trainingRow != null) {
            output.collect(LearnerOutputs.ALIGNED_STEPS, new StreamRecord<>(s.trainingRow, ts));
        }
        metrics.scored(s, row.step.closedAt > 0 ? Math.max(0, now - row.step.closedAt) : -1);
        store.update(row.learner);
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, closesAt(row.step.stepStart + info.stepMillis));
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

    LearnerMetrics metrics() {
        return metrics;
    }
}
