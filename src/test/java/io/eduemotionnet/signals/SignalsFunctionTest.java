package io.eduemotionnet.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.InterventionRuleSpec;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.privacy.ErasureOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The per-learner signals operator in a harness on RocksDB: each default rule, cooldown, gaps, restore, erasure. */
class SignalsFunctionTest {
    static final List<String> CLASSES = List.of("confusion", "curiosity", "boredom", "frustration");
    static final long STEP = 2_000;
    static final long T0 = 1_700_000_000_000L;
    static final JobConfig CFG = JobConfig.from(new Configuration());
    static final List<InterventionRule> RULES = InterventionRule.bind(CFG.interventionRules, CLASSES, STEP);
    /** A probability above every default rule's minimums (mean and latest). */
    static final float CONFIDENT = 0.96f;

    private KeyedOneInputStreamOperatorTestHarness<String, SignalInput, Intervention> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    static KeyedOneInputStreamOperatorTestHarness<String, SignalInput, Intervention> harness(
            List<InterventionRule> rules, long cooldownMillis, int parallelism, int subtask) throws Exception {
        SignalsFunction f = new SignalsFunction(new InterventionRules(rules, cooldownMillis), CLASSES, Duration.ofHours(1));
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f), SignalInput::learnerId,
                Types.STRING, 128, parallelism, subtask);
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        return h;
    }

    /** A prediction of {@code label} (probability {@code p}) at step t; no modality present when {@code input} is false. */
    static Prediction prediction(String learner, String session, int t, String label, float p, boolean input, String cohort) {
        Map<String, Float> probs = new HashMap<>();
        for (String c : CLASSES) {
            probs.put(c, c.equals(label) ? p : (1 - p) / 3);
        }
        return new Prediction(learner, session, Instant.ofEpochMilli(T0 + t * STEP), Instant.ofEpochMilli(T0 + (t + 1) * STEP),
                probs, label, new ModalityWeights(0.2f, 0.5f, 0.3f),
                input ? List.of(Modality.AUDIO, Modality.VISUAL) : List.of(), "test", Instant.now(), cohort);
    }

    void send(KeyedOneInputStreamOperatorTestHarness<String, SignalInput, Intervention> h, Prediction p) throws Exception {
        h.processElement(new StreamRecord<>(SignalInput.of(p), p.getStepEnd().toEpochMilli() - 1));
    }

    /** Sends steps [from, to) of one learner, all predicting {@code label}. */
    void run(String learner, int from, int to, String label) throws Exception {
        for (int t = from; t < to; t++) {
            send(harness, prediction(learner, "s1", t, label, CONFIDENT, true, null));
        }
    }

    static InterventionRule rule(String name) {
        return RULES.stream().filter(r -> r.name.equals(name)).findFirst().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sustained-confusion", "sustained-frustration", "sustained-boredom"})
    void eachRuleFiresOnceAnEpisodeAtItsDuration(String name) throws Exception {
        InterventionRule rule = rule(name);
        harness = harness(RULES, 0, 1, 0);
        harness.open();
        run("learner-a", 0, rule.minSteps - 1, rule.state);
        assertThat(events(name)).as("one step short of the duration").isEmpty();
        run("learner-a", rule.minSteps - 1, 3 * rule.minSteps, rule.state); // the episode goes on: still one event
        List<Intervention> fired = events(name);
        assertThat(fired).hasSize(1);
        Intervention i = fired.get(0);
        assertThat(i.getState()).isEqualTo(rule.state);
        assertThat(i.getEpisodeStart().toEpochMilli()).isEqualTo(T0);
        assertThat(i.getDetectedAt().toEpochMilli()).isEqualTo(T0 + rule.minSteps * STEP);
        assertThat(i.getSteps()).isEqualTo(rule.minSteps);
        assertThat(i.getMeanProbability()).isEqualTo(CONFIDENT);
        assertThat(i.getModelVersion()).isEqualTo("test");
        // another state breaks the episode; a new one fires again (no cooldown here)
        run("learner-a", 3 * rule.minSteps, 3 * rule.minSteps + 1, "curiosity");
        run("learner-a", 3 * rule.minSteps + 1, 4 * rule.minSteps + 1, rule.state);
        assertThat(events(name)).hasSize(2);
    }

    @Test
    void theMeanProbabilityMustReachTheRulesMinimum() throws Exception {
        InterventionRule rule = rule("sustained-confusion");
        assertThat(rule.minMeanProbability).isGreaterThan(0.5);
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        for (int t = 0; t < 3 * rule.minSteps; t++) {
            send(harness, prediction("learner-a", "s1", t, "confusion", 0.5f, true, null));
        }
        assertThat(harness.extractOutputValues()).isEmpty();
        // confident steps raise the mean over the whole run: it fires once the mean reaches the minimum
        int t = 3 * rule.minSteps;
        while (harness.extractOutputValues().isEmpty() && t < 20 * rule.minSteps) {
            send(harness, prediction("learner-a", "s1", t++, "confusion", 0.99f, true, null));
        }
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.extractOutputValues().get(0).getMeanProbability()).isGreaterThanOrEqualTo((float) rule.minMeanProbability);
    }

    @Test
    void theStateMustStillBeConfidentAtTheFiringStep() throws Exception {
        InterventionRule rule = rule("sustained-confusion");
        assertThat(rule.minLatestProbability).isGreaterThan(0.9);
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        for (int t = 0; t < rule.minSteps - 1; t++) {
            send(harness, prediction("learner-a", "s1", t, "confusion", 0.99f, true, null));
        }
        // the run is long enough and its mean high, but the latest step's confidence has fallen: not yet
        send(harness, prediction("learner-a", "s1", rule.minSteps - 1, "confusion", 0.9f, true, null));
        assertThat(harness.extractOutputValues()).isEmpty();
        send(harness, prediction("learner-a", "s1", rule.minSteps, "confusion", 0.99f, true, null));
        assertThat(harness.extractOutputValues()).singleElement()
                .satisfies(i -> assertThat(i.getSteps()).isEqualTo(rule.minSteps + 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sustained-confusion", "sustained-frustration", "sustained-boredom"})
    void theCooldownHoldsBackTheSameRuleForTheSameLearnerOnly(String name) throws Exception {
        InterventionRule rule = rule(name);
        int n = rule.minSteps;
        long cooldown = 4L * n * STEP;
        harness = harness(List.of(rule), cooldown, 1, 0);
        harness.open();
        run("learner-a", 0, n, rule.state); // fires at the end of step n-1
        run("learner-a", n, n + 1, "curiosity");
        run("learner-a", n + 1, 2 * n + 1, rule.state); // a second episode within the cooldown: silent
        run("learner-b", 0, n, rule.state); // another learner is not held back
        assertThat(harness.extractOutputValues()).extracting(Intervention::getLearnerId).containsExactly("learner-a", "learner-b");
        // the second episode of learner-a goes on past the cooldown: it fires then, once
        run("learner-a", 2 * n + 1, 8 * n, rule.state);
        List<Intervention> out = harness.extractOutputValues();
        assertThat(out).hasSize(3);
        assertThat(out.get(2).getDetectedAt().toEpochMilli() - out.get(0).getDetectedAt().toEpochMilli()).isEqualTo(cooldown);
        assertThat(out.get(2).getEpisodeStart().toEpochMilli()).isEqualTo(T0 + (n + 1) * STEP);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sustained-confusion", "sustained-frustration", "sustained-boredom"})
    void stepsWithoutInputNeitherCountNorBreakAnEpisode(String name) throws Exception {
        InterventionRule rule = rule(name);
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        int t = 0;
        for (int k = 0; k < rule.minSteps - 1; k++) {
            send(harness, prediction("learner-a", "s1", t++, rule.state, CONFIDENT, true, null));
            // carried-state steps (the TFL's prior) predicting the state are not evidence for it
            send(harness, prediction("learner-a", "s1", t++, rule.state, CONFIDENT, false, null));
            send(harness, prediction("learner-a", "s1", t++, "curiosity", CONFIDENT, false, null));
        }
        assertThat(harness.extractOutputValues()).isEmpty();
        send(harness, prediction("learner-a", "s1", t, rule.state, CONFIDENT, true, null));
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.extractOutputValues().get(0).getSteps()).isEqualTo(rule.minSteps);
        assertThat(harness.extractOutputValues().get(0).getEpisodeStart().toEpochMilli()).isEqualTo(T0);
    }

    @Test
    void aNewSessionOrAMissingStepStartsTheEpisodeOver() throws Exception {
        InterventionRule rule = rule("sustained-frustration");
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        int n = rule.minSteps;
        run("learner-a", 0, n - 1, "frustration");
        send(harness, prediction("learner-a", "s2", n - 1, "frustration", CONFIDENT, true, null)); // new session
        run("learner-a", n + 5, n + 5 + n - 1, "frustration"); // a hole: the learner's state had been deleted
        assertThat(harness.extractOutputValues()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sustained-confusion", "sustained-frustration", "sustained-boredom"})
    void aRunSurvivesACheckpointAndRestore(String name) throws Exception {
        InterventionRule rule = rule(name);
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        run("learner-a", 0, rule.minSteps - 1, rule.state);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = harness(List.of(rule), 0, 1, 0);
        harness.initializeState(snapshot);
        harness.open();
        run("learner-a", rule.minSteps - 1, rule.minSteps, rule.state);
        run("learner-a", rule.minSteps, 2 * rule.minSteps, rule.state); // and still once per episode
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.extractOutputValues().get(0).getEpisodeStart().toEpochMilli()).isEqualTo(T0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sustained-confusion", "sustained-frustration", "sustained-boredom"})
    void runsAreRestoredRescaledEachLearnerFiringOnceOnItsSubtask(String name) throws Exception {
        InterventionRule rule = rule(name);
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        for (int i = 0; i < 20; i++) {
            for (int t = 0; t < rule.minSteps - 1; t++) {
                send(harness, prediction("learner-" + i, "s1", t, rule.state, CONFIDENT, true, null));
            }
        }
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        List<String> fired = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            try (var h = harness(List.of(rule), 0, 2, subtask)) {
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, 128, 1, 2, subtask));
                h.open();
                int mine = 0;
                for (int i = 0; i < 20; i++) {
                    String learner = "learner-" + i;
                    if (owns(subtask, learner)) {
                        mine++;
                        send(h, prediction(learner, "s1", rule.minSteps - 1, rule.state, CONFIDENT, true, null));
                    }
                }
                assertThat(mine).isBetween(1, 19);
                List<Intervention> out = h.extractOutputValues();
                assertThat(out).hasSize(mine).allSatisfy(i -> assertThat(i.getEpisodeStart().toEpochMilli()).isEqualTo(T0));
                out.forEach(i -> fired.add(i.getLearnerId()));
            }
        }
        assertThat(fired).hasSize(20).doesNotHaveDuplicates();
    }

    private static boolean owns(int subtask, String key) {
        int group = KeyGroupRangeAssignment.assignToKeyGroup(key, 128);
        return KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(128, 2, subtask).contains(group);
    }

    @Test
    void anErasureOrderDeletesTheLearnersRunsAndIsPassedOnCounted() throws Exception {
        InterventionRule rule = rule("sustained-frustration");
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        run("learner-a", 0, rule.minSteps - 1, "frustration");
        run("learner-b", 0, rule.minSteps - 1, "frustration");
        ErasureOrder order = new ErasureOrder("learner-a", "req-1", T0, "REQUEST");
        harness.processElement(new StreamRecord<>(SignalInput.erase(order), Long.MIN_VALUE));
        var passed = new ArrayList<>(harness.getSideOutput(SignalTags.ERASURES));
        assertThat(passed).hasSize(1);
        assertThat(passed.get(0).getValue().deleted(ErasureOrder.Deleted.SIGNAL_STATE)).isEqualTo(1);
        // the erased learner's run is gone: its next step starts a new one; the other learner's is kept
        run("learner-a", rule.minSteps - 1, rule.minSteps, "frustration");
        run("learner-b", rule.minSteps - 1, rule.minSteps, "frustration");
        assertThat(harness.extractOutputValues()).extracting(Intervention::getLearnerId).containsExactly("learner-b");
        // an order for a learner this stage holds nothing of still goes on, with nothing counted
        harness.processElement(new StreamRecord<>(SignalInput.erase(new ErasureOrder("learner-z", "req-2", T0, "REQUEST")), Long.MIN_VALUE));
        var all = new ArrayList<>(harness.getSideOutput(SignalTags.ERASURES));
        assertThat(all).hasSize(2);
        assertThat(all.get(1).getValue().deleted(ErasureOrder.Deleted.SIGNAL_STATE)).isZero();
    }

    @Test
    void aPredictionScoredBeforeTheErasureButArrivingAfterItCreatesNoState() throws Exception {
        InterventionRule rule = rule("sustained-frustration");
        harness = harness(List.of(rule), 0, 1, 0);
        harness.open();
        run("learner-a", 0, 2, "frustration");
        Prediction inFlight = prediction("learner-a", "s1", 2, "frustration", CONFIDENT, true, null);
        inFlight.setEmitTime(Instant.ofEpochMilli(System.currentTimeMillis() - 5));
        harness.processElement(new StreamRecord<>(SignalInput.erase(new ErasureOrder("learner-a", "req-1", T0, "REQUEST")), Long.MIN_VALUE));
        assertThat(signalKeys()).isZero();
        // the learner operator's main output can lag its side output: the order overtook this prediction
        send(harness, inFlight);
        assertThat(signalKeys()).as("no state for the erased learner again").isZero();
        // a prediction scored after the erasure (a new grant) is taken as usual
        Prediction later = prediction("learner-a", "s2", 0, "frustration", CONFIDENT, true, null);
        later.setEmitTime(Instant.ofEpochMilli(System.currentTimeMillis() + 1_000));
        send(harness, later);
        assertThat(signalKeys()).isEqualTo(1);
    }

    @Test
    void aLearnerIsCountedOnceInEachCohortMinuteAndStepsWithoutInputNotAtAll() throws Exception {
        harness = harness(RULES, 0, 1, 0);
        harness.open();
        // steps 0..59 span two minutes of event time past T0's minute boundary
        for (int t = 0; t < 60; t++) {
            send(harness, prediction("learner-a", "s1", t, "curiosity", CONFIDENT, t % 4 != 3, "cohort-1"));
        }
        send(harness, prediction("learner-a", "s1", 60, "curiosity", CONFIDENT, true, null)); // no cohort: not counted
        List<CohortContribution> out = new ArrayList<>();
        harness.getSideOutput(SignalTags.COHORT_CONTRIBUTIONS).forEach(r -> out.add(r.getValue()));
        assertThat(out).hasSize(45).allSatisfy(c -> assertThat(c.cohortId).isEqualTo("cohort-1"));
        long minutes = (T0 + 60 * STEP - 1) / 60_000 - T0 / 60_000 + 1;
        assertThat(out.stream().mapToInt(c -> c.newLearner).sum()).isEqualTo((int) minutes);
    }

    @Test
    void rulesAreCheckedAgainstTheModelsClasses() {
        var spec = new InterventionRuleSpec("sustained-joy", "joy", Duration.ofSeconds(10), 0.5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> InterventionRule.bind(List.of(spec), CLASSES, STEP))
                .hasMessageContaining("edu.interventions.rules").hasMessageContaining("'joy'");
        // durations round up to whole steps
        assertThat(InterventionRule.bind(List.of(new InterventionRuleSpec("r", "boredom", Duration.ofSeconds(5), 0)), CLASSES, STEP)
                .get(0).minSteps).isEqualTo(3);
    }

    private long signalKeys() throws Exception {
        var op = (KeyedProcessOperator<?, ?, ?>) harness.getOperator();
        try (var keys = op.getKeyedStateBackend().getKeys(SignalsFunction.STATE, VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }

    private List<Intervention> events(String rule) {
        return harness.extractOutputValues().stream().filter(i -> i.getRule().equals(rule)).toList();
    }
}
