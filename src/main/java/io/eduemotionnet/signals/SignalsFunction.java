package io.eduemotionnet.signals;

import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.privacy.ErasureOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The per-learner signals stage, keyed by learner after the learner operator: runs the intervention
 * rules over each prediction, marks the learner's cohort contributions (the first in each cohort-minute
 * counts the learner), and erases everything it keeps for a learner when an erasure order arrives.
 * One keyed value per learner ({@link LearnerSignals}), read and written once per prediction; no timers.
 */
public class SignalsFunction extends KeyedProcessFunction<String, SignalInput, Intervention> {
    private static final long serialVersionUID = 1L;
    static final String STATE = "signals";
    private static final long MINUTE = 60_000L;

    private final InterventionRules rules;
    private final List<String> classes;
    private final Duration stateTtl;
    /**
     * How long an erased learner's predictions that were scored before the erasure are still expected:
     * they come on another channel than the order (the learner operator's main output, not its side
     * output), so an order can overtake them. Such a prediction must not create state again.
     */
    static final long OVERTAKEN_GRACE_MILLIS = 60_000;

    private transient ValueState<LearnerSignals> state;
    private transient Counter[] interventions;
    /** Learners erased in the last minute -> when (heap only: never in a checkpoint or a savepoint). */
    private transient LinkedHashMap<String, Long> erased;

    public SignalsFunction(InterventionRules rules, List<String> classes, Duration stateTtl) {
        this.rules = rules;
        this.classes = List.copyOf(classes);
        this.stateTtl = stateTtl;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<LearnerSignals> desc =
                new ValueStateDescriptor<>(STATE, TypeInformation.of(LearnerSignals.class));
        // the same privacy bound as the learner's model state: nothing outlives edu.state.ttl
        desc.enableTimeToLive(StateTtlConfig.newBuilder(stateTtl).build());
        state = getRuntimeContext().getState(desc);
        erased = new LinkedHashMap<>();
        List<InterventionRule> all = rules.rules();
        interventions = new Counter[all.size()];
        for (int r = 0; r < all.size(); r++) {
            interventions[r] = getRuntimeContext().getMetricGroup().addGroup("rule", all.get(r).name)
                    .counter(SignalMetrics.INTERVENTIONS);
        }
    }

    @Override
    public void processElement(SignalInput in, Context ctx, Collector<Intervention> out) throws Exception {
        if (in.erasure != null) {
            erase(in.erasure, ctx);
            return;
        }
        Prediction p = in.prediction;
        if (scoredBeforeErasure(p)) {
            return;
        }
        LearnerSignals s = state.value();
        if (s == null) {
            s = LearnerSignals.start(rules.rules().size());
        }
        float[] probabilities = new float[classes.size()];
        for (int c = 0; c < probabilities.length; c++) {
            Float v = p.getProbabilities().get(classes.get(c));
            probabilities[c] = v == null ? 0f : v;
        }
        int label = classes.indexOf(p.getLabel());
        long stepEnd = p.getStepEnd().toEpochMilli();
        List<Detection> fired = rules.observe(s, p.getSessionId(), p.getStepStart().toEpochMilli(), stepEnd,
                p.getPresent().size(), label, probabilities);
        for (Detection d : fired) {
            InterventionRule rule = rules.rules().get(d.rule);
            out.collect(new Intervention(p.getLearnerId(), p.getSessionId(), rule.name, rule.state,
                    Instant.ofEpochMilli(d.episodeStart), Instant.ofEpochMilli(d.detectedAt), d.steps,
                    (float) d.meanProbability, p.getModelVersion()));
            interventions[d.rule].inc();
        }
        if (!p.getPresent().isEmpty() && p.getCohortId() != null) {
            long ts = ctx.timestamp() != null ? ctx.timestamp() : stepEnd - 1;
            long minute = ts - Math.floorMod(ts, MINUTE); // the cohort stage's window
            boolean first = minute != s.cohortMinute || !p.getCohortId().equals(s.cohortId);
            s.cohortId = p.getCohortId();
            s.cohortMinute = minute;
            ctx.output(SignalTags.COHORT_CONTRIBUTIONS, new CohortContribution(p.getCohortId(), first ? 1 : 0, label,
                    presentBits(p), weights(p), p.getModelVersion()));
        }
        state.update(s);
    }

    /** Deletes everything this stage keeps for the learner, at once, and passes the order on. */
    private void erase(ErasureOrder order, Context ctx) throws Exception {
        if (state.value() != null) {
            state.clear();
            order.addDeleted(ErasureOrder.Deleted.SIGNAL_STATE, 1);
        }
        forgetOldErasures();
        erased.remove(order.learnerId);
        erased.put(order.learnerId, System.currentTimeMillis());
        ctx.output(SignalTags.ERASURES, order);
    }

    /** A prediction the learner operator emitted before it carried out an erasure that reached us first. */
    private boolean scoredBeforeErasure(Prediction p) {
        if (erased.isEmpty()) {
            return false;
        }
        forgetOldErasures();
        Long at = erased.get(p.getLearnerId());
        return at != null && p.getEmitTime().toEpochMilli() <= at;
    }

    private void forgetOldErasures() {
        long oldest = System.currentTimeMillis() - OVERTAKEN_GRACE_MILLIS;
        Iterator<Map.Entry<String, Long>> it = erased.entrySet().iterator();
        while (it.hasNext() && it.next().getValue() < oldest) {
            it.remove();
        }
    }

    private static int presentBits(Prediction p) {
        int bits = 0;
        for (Modality m : p.getPresent()) {
            bits |= 1 << m.ordinal();
        }
        return bits;
    }

    private static float[] weights(Prediction p) {
        return new float[] {p.getMieWeights().getAudio(), p.getMieWeights().getVisual(), p.getMieWeights().getText()};
    }
}
