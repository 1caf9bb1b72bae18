package io.eduemotionnet.learner;

import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.DropoutStatus;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.privacy.LearnerInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoField;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The learner operator in a keyed harness on the real RocksDB backend with the shipped ONNX model. Each
 * step is sent as one event per present modality (its pooled input is then that event itself).
 */
class LearnerOperatorTest {
    static final String MODEL = "classpath:model/edu_emotionnet.onnx";
    static ModelInfo info;
    static long step;
    private KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness;
    private LearnerOperator operator;

    @BeforeAll
    static void inspect() {
        info = OnnxEmotionModel.inspect(MODEL);
        step = info.stepMillis;
    }

    static JobConfig config(String... args) {
        return JobConfig.from(JobConfig.merge(new Configuration(), args));
    }

    private void open(JobConfig cfg) throws Exception {
        operator = new LearnerOperator(cfg, info);
        harness = new KeyedOneInputStreamOperatorTestHarness<>(operator, LearnerInput::learnerId, Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    static AlignedStep step(String learner, String session, long index, long seed, boolean... present) {
        Random r = new Random(seed);
        AlignedStep s = AlignedStep.empty(learner, session, index * step, (index + 1) * step);
        for (int m = 0; m < 3; m++) {
            if (present.length == 0 || present[m]) {
                float[] v = new float[info.dims[m]];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian() * 0.3f;
                }
                s.setEmbedding(m, v);
                s.counts[m] = 1;
                if (seed % 3 != 0) { // some steps carry producers' quality scores, others none (NaN)
                    s.meanQuality[m] = m == 0 ? 5f + r.nextInt(20) : 0.5f + 0.4f * r.nextFloat();
                }
            }
        }
        s.closedAt = System.currentTimeMillis();
        return s;
    }

    private void send(AlignedStep s) throws Exception {
        for (LearnerInput e : events(s)) {
            harness.processElement(e, e.event.eventTime);
        }
    }

    /** The step's inputs as events: one per present modality, at the step's start. */
    static List<LearnerInput> events(AlignedStep s) {
        List<LearnerInput> out = new ArrayList<>();
        for (int m = 0; m < 3; m++) {
            if (s.present(m)) {
                out.add(LearnerInput.of(new EmbeddingEvent(s.learnerId, s.sessionId, m, s.stepStart + m, s.embedding(m),
                        s.meanQuality[m], 1)));
            }
        }
        return out;
    }

    private void watermarkAfter(long index) throws Exception {
        harness.processWatermark((index + 1) * step - 1);
    }

    private List<Prediction> predictions() {
        return harness.extractOutputValues();
    }

    /** The same steps run straight through the model, carrying the state by hand. */
    private static List<float[]> direct(List<AlignedStep> steps) throws Exception {
        List<float[]> out = new ArrayList<>();
        try (OnnxEmotionModel model = OnnxEmotionModel.open(config(), () -> { })) {
            OnnxEmotionModel.Batch batch = model.newBatch(1);
            float[] state = null;
            for (AlignedStep s : steps) {
                batch.clear();
                batch.add(s.embeddings(), s.meanQuality, state);
                model.run(batch);
                state = batch.stateOut.clone();
                out.add(java.util.Arrays.copyOf(batch.probabilities, info.classes.size()));
            }
        }
        return out;
    }

    private static float[] probabilities(Prediction p) {
        float[] out = new float[info.classes.size()];
        for (int c = 0; c < out.length; c++) {
            out[c] = p.getProbabilities().get(info.classes.get(c));
        }
        return out;
    }

    @Test
    void carriesEachLearnersStateFromStepToStep() throws Exception {
        open(config());
        List<AlignedStep> steps = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            steps.add(step("learner-a", "s1", t, t, t != 2, true, t % 2 == 0));
        }
        for (int t = 0; t < 4; t++) {
            send(steps.get(t));
            watermarkAfter(t);
        }
        List<Prediction> out = predictions();
        assertThat(out).hasSize(4);
        List<float[]> expected = direct(steps);
        for (int t = 0; t < 4; t++) {
            assertThat(probabilities(out.get(t))).containsExactly(expected.get(t), org.assertj.core.data.Offset.offset(1e-5f));
        }
        // and the carried state matters: the last step alone gives another answer
        float[] alone = direct(List.of(steps.get(3))).get(0);
        assertThat(probabilities(out.get(3))).isNotEqualTo(alone);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(1);
    }

    @Test
    void scoresEveryLearnerOfAWatermarkInOneCall() throws Exception {
        open(config());
        for (int i = 0; i < 50; i++) {
            send(step("learner-" + i, "s", 0, i));
        }
        assertThat(predictions()).isEmpty(); // nothing before the watermark
        watermarkAfter(0);
        assertThat(predictions()).hasSize(50);
        assertThat(operator.metrics().inferenceCalls.getCount()).isEqualTo(1);
        // the watermark is forwarded after the predictions it covers
        Object last = harness.getOutput().stream().reduce((a, b) -> b).orElseThrow();
        assertThat(last).isInstanceOf(Watermark.class);
    }

    @Test
    void boundsTheBatchAndKeepsALearnersStepsInOrder() throws Exception {
        open(config("--edu.inference.max-batch-size", "16"));
        for (int i = 0; i < 40; i++) {
            send(step("learner-" + i, "s", 0, i));
            send(step("learner-" + i, "s", 1, 100 + i));
        }
        watermarkAfter(1); // one watermark completes two steps of 40 learners
        List<Prediction> out = predictions();
        assertThat(out).hasSize(80);
        assertThat(operator.metrics().inferenceCalls.getCount()).isBetween(5L, 6L); // 80 rows / 16, by step
        for (int i = 0; i < 40; i++) {
            String id = "learner-" + i;
            List<Long> starts = out.stream().filter(p -> p.getLearnerId().equals(id))
                    .map(p -> p.getStepStart().toEpochMilli()).collect(Collectors.toList());
            assertThat(starts).containsExactly(0L, step);
        }
    }

    @Test
    void scoresStepsWithoutInputFromTheCarriedStateThenExpiresTheLearner() throws Exception {
        open(config("--edu.state.max-gap-steps", "2"));
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        watermarkAfter(1);
        watermarkAfter(2);
        List<Prediction> out = predictions();
        assertThat(out).hasSize(3);
        assertThat(out.get(1).getPresent()).isEmpty();
        assertThat(out.get(1).getMieWeights().getVisual()).isZero();
        assertThat(out.get(2).getPresent()).isEmpty();
        watermarkAfter(3); // the third empty step: over the limit, the state is deleted
        assertThat(predictions()).hasSize(3);
        assertThat(operator.metrics().expirations.getCount()).isEqualTo(1);
        send(step("learner-a", "s1", 10, 2));
        watermarkAfter(10);
        assertThat(predictions()).hasSize(4);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(2); // started afresh
    }

    /**
     * One watermark covering many steps (catching up on a backlog, a replay): the gap rule deletes the
     * state at the empty step, and the steps already buffered for later slots start the learner afresh
     * rather than being dropped with it.
     */
    @Test
    void stepsBufferedBeyondAnExpiryStartTheLearnerAfresh() throws Exception {
        open(config("--edu.state.max-gap-steps", "0", "--edu.output.aligned-steps.path", "file:///tmp/unused"));
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        send(step("learner-a", "s1", 2, 2));
        send(step("learner-a", "s1", 3, 3));
        watermarkAfter(3); // step 1 (empty) expires the state; steps 2 and 3 are already buffered
        assertThat(predictions()).extracting(p -> p.getStepStart().toEpochMilli()).containsExactly(0L, 2 * step, 3 * step);
        assertThat(operator.metrics().expirations.getCount()).isEqualTo(1);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(2);
        assertThat(trainingRows()).extracting(r -> r.sessionId + " " + r.sessionStep)
                .containsExactly("s1#0 0", "s1#" + 2 * step + " 0", "s1#" + 2 * step + " 1");
        assertThat(pendingKeys(operator)).isZero();
    }

    @Test
    void aShortGapContinuesTheSessionAndANewSessionIdResetsIt() throws Exception {
        open(config("--edu.state.max-gap-steps", "5"));
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        send(step("learner-a", "s1", 2, 2));
        watermarkAfter(2); // step 1 (empty) and step 2 in one watermark
        assertThat(predictions()).extracting(p -> p.getStepStart().toEpochMilli()).containsExactly(0L, step, 2 * step);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(1);
        send(step("learner-a", "s2", 3, 3));
        watermarkAfter(3);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(2);
    }

    /**
     * Catching up: one watermark covers a learner's step, a step without input and the next step. The
     * result must be the live run's: the empty step scored from the carried state, the session going on.
     */
    @Test
    void aGapInsideOneWatermarkIsScoredAsALiveRunWouldScoreIt() throws Exception {
        List<AlignedStep> steps = List.of(step("learner-a", "s1", 0, 1), step("learner-a", "s1", 2, 2),
                step("learner-a", "s1", 3, 3));
        open(config("--edu.state.max-gap-steps", "5"));
        for (AlignedStep s : steps) {
            send(s);
            watermarkAfter(s.stepStart / step);
        }
        List<float[]> live = predictions().stream().map(LearnerOperatorTest::probabilities).toList();
        harness.close();

        open(config("--edu.state.max-gap-steps", "5"));
        for (AlignedStep s : steps) {
            send(s);
        }
        watermarkAfter(3);
        List<Prediction> caughtUp = predictions();
        assertThat(caughtUp).extracting(p -> p.getStepStart().toEpochMilli()).containsExactly(0L, step, 2 * step, 3 * step);
        assertThat(caughtUp.get(1).getPresent()).isEmpty();
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(1);
        assertThat(live).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(probabilities(caughtUp.get(i))).containsExactly(live.get(i), org.assertj.core.data.Offset.offset(1e-6f));
        }
        harness.close();

        // the same backlog with a gap over the limit: the gap rule deletes the state, the next step starts afresh
        open(config("--edu.state.max-gap-steps", "0"));
        for (AlignedStep s : steps) {
            send(s);
        }
        watermarkAfter(3);
        assertThat(predictions()).extracting(p -> p.getStepStart().toEpochMilli()).containsExactly(0L, 2 * step, 3 * step);
        assertThat(operator.metrics().expirations.getCount()).isEqualTo(1);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(2);
        harness.close();
        harness = null;
    }

    @Test
    void stateTtlRemovesInactiveLearners() throws Exception {
        open(config("--edu.state.ttl", "10 min", "--edu.state.max-gap-steps", "0"));
        harness.setStateTtlProcessingTime(0);
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        harness.setStateTtlProcessingTime(11 * 60_000);
        send(step("learner-a", "s1", 1, 2));
        watermarkAfter(1);
        // the state written at t=0 had expired: step 1 starts the session again
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(2);
    }

    @Test
    void reportsDropoutTransitionsAndConfidence() throws Exception {
        open(config("--edu.output.aligned-steps.path", "file:///tmp/unused"));
        send(step("learner-a", "s1", 0, 1, true, true, true));
        watermarkAfter(0);
        send(step("learner-a", "s1", 1, 2, true, false, true));
        watermarkAfter(1);
        send(step("learner-a", "s1", 2, 3, true, false, true));
        watermarkAfter(2);
        send(step("learner-a", "s1", 3, 4, true, true, true));
        watermarkAfter(3);
        List<DropoutReport> dropouts = harness.getSideOutput(LearnerOutputs.DROPOUT).stream()
                .map(StreamRecord::getValue).collect(Collectors.toList());
        assertThat(dropouts).extracting(DropoutReport::getStatus).containsExactly(DropoutStatus.DROPPED, DropoutStatus.RESTORED);
        assertThat(dropouts).allMatch(d -> d.getModality() == Modality.VISUAL);
        assertThat(dropouts.get(1).getMissingSteps()).isEqualTo(2);
        List<ConfidenceReport> confidence = harness.getSideOutput(LearnerOutputs.CONFIDENCE).stream()
                .map(StreamRecord::getValue).collect(Collectors.toList());
        assertThat(confidence).hasSize(4);
        ConfidenceReport second = confidence.get(1);
        assertThat(second.getMieWeights().getVisual()).isZero();
        // a present modality's weight is its own reliability in (0, 1), not a share of 1
        assertThat(second.getMieWeights().getAudio()).isStrictlyBetween(0f, 1f);
        assertThat(second.getMieWeights().getText()).isStrictlyBetween(0f, 1f);
        assertThat(second.getTopProbability()).isBetween(0.25f, 1f);
        assertThat(harness.getSideOutput(LearnerOutputs.ALIGNED_STEPS)).hasSize(4)
                .extracting(r -> r.getValue().sessionStep).containsExactly(0, 1, 2, 3);
        assertThat(harness.getSideOutput(LearnerOutputs.ALIGNED_STEPS)).allMatch(r -> r.getValue().sessionId.equals("s1#0"));
    }

    private List<AlignedStep> trainingRows() {
        return harness.getSideOutput(LearnerOutputs.ALIGNED_STEPS).stream().map(StreamRecord::getValue).collect(Collectors.toList());
    }

    /**
     * Each fresh start of the carried state under the same session id (the gap rule, state TTL) is
     * written as a training sequence of its own, numbered from its first step: no step number of a
     * written session appears twice, and a reset is not glued to the run before it.
     */
    @Test
    void eachFreshStartOfASessionIsItsOwnTrainingSequence() throws Exception {
        open(config("--edu.state.max-gap-steps", "0", "--edu.state.ttl", "10 min",
                "--edu.output.aligned-steps.path", "file:///tmp/unused"));
        harness.setStateTtlProcessingTime(0);
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        send(step("learner-a", "s1", 1, 2, true, false, true));
        watermarkAfter(1);
        watermarkAfter(2); // a step without input: over the gap limit (0), the state is deleted
        send(step("learner-a", "s1", 3, 3));
        watermarkAfter(3);
        send(step("learner-a", "s1", 4, 4));
        watermarkAfter(4);
        harness.setStateTtlProcessingTime(11 * 60_000); // the state written at step 4 expires
        send(step("learner-a", "s1", 5, 5));
        watermarkAfter(5);
        assertThat(operator.metrics().expirations.getCount()).isEqualTo(1);
        assertThat(operator.metrics().sessionStarts.getCount()).isEqualTo(3);

        List<AlignedStep> rows = trainingRows();
        assertThat(rows).extracting(r -> r.sessionId)
                .containsExactly("s1#0", "s1#0", "s1#" + 3 * step, "s1#" + 3 * step, "s1#" + 5 * step);
        assertThat(rows).extracting(r -> r.sessionStep).containsExactly(0, 1, 0, 1, 0);
        assertThat(rows).extracting(r -> r.stepStart).containsExactly(0L, step, 3 * step, 4 * step, 5 * step);
        // the predictions keep the producer's session id; the training rows share the inputs
        assertThat(predictions()).allMatch(p -> p.getSessionId().equals("s1"));
        assertThat(rows.get(1).visual).isNull();
        assertThat(rows.get(1).counts).containsExactly(1, 0, 1);
    }

    /** An event whose step has closed is reported late at once, with the watermark it missed, and counted. */
    @Test
    void eventsArrivingAfterTheirStepClosedAreReportedLateAtOnce() throws Exception {
        open(config());
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        watermarkAfter(1); // step 1 scored without input (its events were held up, say)
        AlignedStep late = step("learner-a", "s1", 1, 2, true, false, true);
        send(late); // ... then its events arrive after all: late, before any further watermark
        List<LateEvent> reported = harness.getSideOutput(LearnerOutputs.LATE_EVENTS).stream().map(StreamRecord::getValue).toList();
        assertThat(reported).extracting(l -> l.getEvent().getModality()).containsExactly(Modality.AUDIO, Modality.TEXT);
        assertThat(reported).allMatch(l -> l.getWatermark().toEpochMilli() == 2 * step - 1 && l.getPooledEvents() == null);
        assertThat(reported.get(0).getEvent().getEmbedding()).hasSize(late.audio.length);
        assertThat(operator.metrics().lateEvents.getCount()).isEqualTo(2);
        watermarkAfter(2);
        assertThat(predictions()).extracting(p -> p.getPresent().size()).containsExactly(3, 0, 0);
    }

    /** Events of one step are pooled per modality: the mean embedding, the count, the mean quality. */
    @Test
    void poolsEachModalityOfAStepToItsMean() throws Exception {
        open(config("--edu.output.aligned-steps.path", "file:///tmp/unused"));
        float[] a = new float[info.dims[0]];
        float[] b = new float[info.dims[0]];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 0.5f);
        harness.processElement(LearnerInput.of(new EmbeddingEvent("learner-a", "s1", 0, 10, a, 10f, 1)), 10);
        harness.processElement(LearnerInput.of(new EmbeddingEvent("learner-a", "s1", 0, 900, b, Float.NaN, 1)), 900);
        harness.processElement(LearnerInput.of(new EmbeddingEvent("learner-a", "s1", 0, 1500, b, 20f, 1)), 1500);
        watermarkAfter(0);
        AlignedStep row = trainingRows().get(0);
        assertThat(row.counts).containsExactly(3, 0, 0);
        assertThat(row.audio[0]).isCloseTo(2f / 3, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(row.meanQuality[0]).isEqualTo(15f);
        assertThat(row.visual).isNull();
        assertThat(Float.isNaN(row.meanQuality[1])).isTrue();
        assertThat(predictions().get(0).getPresent()).containsExactly(Modality.AUDIO);
    }

    /** Allowed lateness: a step closes that much later, and takes the events that come in the meantime. */
    @Test
    void allowedLatenessKeepsAStepOpenThatMuchLonger() throws Exception {
        open(config("--edu.align.allowed-lateness", "1 s"));
        AlignedStep s = step("learner-a", "s1", 0, 1, true, false, false);
        send(s);
        watermarkAfter(0);
        assertThat(predictions()).isEmpty();
        send(step("learner-a", "s1", 0, 2, false, true, false)); // behind the watermark, within the lateness
        harness.processWatermark(step - 1 + 1000);
        assertThat(predictions()).extracting(p -> p.getPresent().size()).containsExactly(2);
        assertThat(harness.getSideOutput(LearnerOutputs.LATE_EVENTS)).isNull();
    }

    /** A step spanning a session switch belongs to the new session (the latest event's). */
    @Test
    void aStepSpanningASessionSwitchBelongsToTheNewSession() throws Exception {
        open(config());
        AlignedStep s = step("learner-a", "s1", 0, 1);
        harness.processElement(LearnerInput.of(new EmbeddingEvent("learner-a", "s2", 1, 1500, s.visual, Float.NaN, 1)), 1500);
        harness.processElement(LearnerInput.of(new EmbeddingEvent("learner-a", "s1", 0, 100, s.audio, Float.NaN, 1)), 100);
        watermarkAfter(0);
        assertThat(predictions()).extracting(Prediction::getSessionId).containsExactly("s2");
    }

    /**
     * The CPU fallback of edu.inference.cuda.fallback: cpu. CI runs it with the CUDA build (-Pcuda) on a
     * machine without a GPU; where a GPU is visible, ONNX Runtime's CUDA provider may start, and the
     * fallback cannot be exercised: the test is skipped then (cudaOnAGpuRunsOnItAndMatchesTheCpu runs).
     */
    @Test
    void cudaWithoutAGpuFallsBackToCpuAndCountsIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(gpuVisible(),
                "a GPU is visible (/dev/nvidia0): the CUDA provider may start, so the CPU fallback cannot be tested here");
        open(config("--edu.inference.device", "cuda", "--edu.inference.cuda.fallback", "cpu"));
        assertThat(operator.metrics().cudaFallbacks.getCount()).isEqualTo(1);
        send(step("learner-a", "s1", 0, 1));
        watermarkAfter(0);
        assertThat(predictions()).hasSize(1);
    }

    /** With the CUDA build on a machine with a GPU: the operator runs on it, and scores as the CPU does. */
    @Test
    void cudaOnAGpuRunsOnItAndMatchesTheCpu() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(gpuVisible() && ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                .contains(ai.onnxruntime.OrtProvider.CUDA), "needs a GPU and the CUDA build (-Pcuda)");
        List<AlignedStep> steps = List.of(step("learner-a", "s1", 0, 1), step("learner-a", "s1", 1, 2, true, false, true));
        open(config("--edu.inference.device", "cuda", "--edu.inference.cuda.fallback", "fail"));
        assertThat(operator.metrics().cudaFallbacks.getCount()).isZero();
        for (AlignedStep s : steps) {
            send(s);
            watermarkAfter(s.stepStart / step);
        }
        List<float[]> cpu = direct(steps);
        assertThat(predictions()).hasSize(2);
        for (int t = 0; t < 2; t++) {
            assertThat(probabilities(predictions().get(t))).containsExactly(cpu.get(t), org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    static boolean gpuVisible() {
        return java.nio.file.Files.exists(java.nio.file.Path.of("/dev/nvidia0"));
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness(
            LearnerOperator op, int parallelism, int subtask) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::learnerId, Types.STRING, 128,
                parallelism, subtask);
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        return h;
    }

    static long pendingKeys(LearnerOperator op) {
        try (var keys = op.getKeyedStateBackend().getKeys(LearnerOperator.OPEN_STEPS, VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }

    @Test
    void stepsBufferedAtACheckpointAreRestoredAlsoRescaled() throws Exception {
        operator = new LearnerOperator(config(), info);
        harness = harness(operator, 1, 0);
        harness.open();
        List<AlignedStep> second = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            send(step("learner-" + i, "s", 0, i));
        }
        watermarkAfter(0);
        for (int i = 0; i < 20; i++) {
            AlignedStep s = step("learner-" + i, "s", 1, 100 + i, true, i % 2 == 0, true);
            second.add(s);
            send(s);
        }
        OperatorSubtaskState snapshot = harness.snapshot(1, 1); // step 1 is buffered, not yet scored
        assertThat(pendingKeys(operator)).isEqualTo(20);
        watermarkAfter(1);
        List<Prediction> expected = predictions().subList(20, 40);
        assertThat(pendingKeys(operator)).isZero(); // the spilled copies are deleted once scored

        // restored at parallelism 2: each subtask scores its own learners' buffered step, once
        List<Prediction> restored = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            LearnerOperator op = new LearnerOperator(config(), info);
            try (var h = harness(op, 2, subtask)) {
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, 128, 1, 2, subtask));
                h.open();
                h.processWatermark((1 + 1) * step - 1);
                List<Prediction> out = h.extractOutputValues();
                assertThat(out).isNotEmpty();
                restored.addAll(out);
                assertThat(op.metrics().sessionStarts.getCount()).isZero(); // continued from the restored state
                assertThat(pendingKeys(op)).isZero();
            }
        }
        assertThat(restored).hasSize(20);
        for (Prediction e : expected) {
            Prediction r = restored.stream().filter(p -> p.getLearnerId().equals(e.getLearnerId())).findFirst().orElseThrow();
            assertThat(r.getStepStart()).isEqualTo(e.getStepStart());
            assertThat(r.getPresent()).isEqualTo(e.getPresent());
            assertThat(probabilities(r)).containsExactly(probabilities(e), org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    /** Events added to an open step after a checkpoint spill it again at the next one: a restore is not stale. */
    @Test
    void anOpenStepChangedAfterACheckpointIsNotRestoredStale() throws Exception {
        operator = new LearnerOperator(config(), info);
        harness = harness(operator, 1, 0);
        harness.open();
        send(step("learner-a", "s1", 0, 1, true, false, false));
        harness.snapshot(1, 1);
        send(step("learner-a", "s1", 0, 2, false, true, false)); // the same step, another modality
        OperatorSubtaskState snapshot = harness.snapshot(2, 2);
        watermarkAfter(0);
        assertThat(predictions()).extracting(p -> p.getPresent().size()).containsExactly(2);
        assertThat(pendingKeys(operator)).isZero();
        harness.close();
        operator = new LearnerOperator(config(), info);
        harness = harness(operator, 1, 0);
        harness.initializeState(snapshot);
        harness.open();
        watermarkAfter(0);
        assertThat(predictions()).extracting(p -> p.getPresent().size()).containsExactly(2);
    }

    /**
     * Learner state in Flink's POJO format (this job before its own serializer) is migrated on
     * restore and continued when it was written by the same model.
     */
    @Test
    void learnerStateInThePojoFormatIsMigrated() throws Exception {
        AlignedStep first = step("learner-a", "s1", 0, 1);
        AlignedStep second = step("learner-a", "s1", 1, 2, true, false, true);
        restoreFrom(pojoSnapshot(first, info.modelId), config("--edu.output.aligned-steps.path", "file:///tmp/unused"));
        send(second);
        watermarkAfter(1);
        assertThat(predictions()).hasSize(1);
        assertThat(operator.metrics().sessionStarts.getCount()).isZero();
        assertThat(probabilities(predictions().get(0)))
                .containsExactly(direct(List.of(first, second)).get(1), org.assertj.core.data.Offset.offset(1e-5f));
        // the restored run goes on as the same training sequence (named by its first step, kept in the state)
        assertThat(trainingRows()).extracting(r -> r.sessionId + " " + r.sessionStep).containsExactly("s1#0 1");
    }

    /** State in this serializer's format, restored: the run and its training sequence go on. */
    @Test
    void restoredStateContinuesTheTrainingSequence() throws Exception {
        JobConfig cfg = config("--edu.output.aligned-steps.path", "file:///tmp/unused");
        operator = new LearnerOperator(cfg, info);
        harness = harness(operator, 1, 0);
        harness.open();
        send(step("learner-a", "s1", 2, 1));
        watermarkAfter(2);
        send(step("learner-a", "s1", 3, 2));
        watermarkAfter(3);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();
        restoreFrom(snapshot, cfg);
        send(step("learner-a", "s1", 4, 3));
        watermarkAfter(4);
        assertThat(operator.metrics().sessionStarts.getCount()).isZero();
        assertThat(trainingRows()).extracting(r -> r.sessionId + " " + r.sessionStep).containsExactly("s1#" + 2 * step + " 2");
    }

    /**
     * State written by another model (a model upgrade over a savepoint; earlier job versions did not
     * record the model at all) has the right size but other encoder weights: the learner starts afresh.
     */
    @Test
    void stateWrittenByAnotherModelStartsAfresh() throws Exception {
        AlignedStep first = step("learner-a", "s1", 0, 1);
        AlignedStep second = step("learner-a", "s1", 1, 2, true, false, true);
        for (String otherModel : java.util.Arrays.asList("0123456789abcdef", null)) {
            restoreFrom(pojoSnapshot(first, otherModel));
            send(second);
            watermarkAfter(1);
            assertThat(predictions()).hasSize(1);
            assertThat(operator.metrics().sessionStarts.getCount()).as("model %s", otherModel).isEqualTo(1);
            assertThat(probabilities(predictions().get(0)))
                    .containsExactly(direct(List.of(second)).get(0), org.assertj.core.data.Offset.offset(1e-5f));
            harness.close();
        }
        harness = null;
    }

    private void restoreFrom(OperatorSubtaskState snapshot) throws Exception {
        restoreFrom(snapshot, config());
    }

    private void restoreFrom(OperatorSubtaskState snapshot, JobConfig cfg) throws Exception {
        operator = new LearnerOperator(cfg, info);
        harness = harness(operator, 1, 0);
        harness.initializeState(snapshot);
        harness.open();
    }

    /** A snapshot holding the state after {@code first}, as the POJO serializer wrote it, from the model {@code modelId}. */
    private static OperatorSubtaskState pojoSnapshot(AlignedStep first, String modelId) throws Exception {
        float[] carried;
        try (OnnxEmotionModel model = OnnxEmotionModel.open(config(), () -> { })) {
            OnnxEmotionModel.Batch batch = model.newBatch(1);
            batch.add(first.embeddings(), first.meanQuality, null);
            model.run(batch);
            carried = batch.stateOut.clone();
        }
        LearnerState legacy = LearnerState.start("s1", 0);
        legacy.modelState = carried;
        legacy.modelId = modelId;
        legacy.lastStepStart = 0;
        legacy.presentBits = 7;
        legacy.seenBits = 7;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new PojoStateWriter(legacy), (AlignedStep s) -> s.learnerId,
                Types.STRING, 128, 1, 0)) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
            h.open();
            h.processElement(first, first.stepEnd - 1);
            return h.snapshot(1, 1);
        }
    }

    /** Writes one LearnerState per key in the POJO format, under the operator's state name and TTL. */
    static final class PojoStateWriter extends AbstractStreamOperator<Prediction> implements OneInputStreamOperator<AlignedStep, Prediction> {
        private final LearnerState value;
        private transient ValueState<LearnerState> state;

        PojoStateWriter(LearnerState value) {
            this.value = value;
        }

        @Override
        public void initializeState(StateInitializationContext context) throws Exception {
            super.initializeState(context);
            List<PojoField> fields = new ArrayList<>();
            for (String name : List.of("sessionId", "modelId", "modelState", "sessionStart", "lastStepStart", "emptySteps",
                    "presentBits", "seenBits", "missingRun")) {
                var f = LearnerState.class.getField(name);
                org.apache.flink.api.common.typeinfo.TypeInformation<?> t = f.getType() == String.class ? Types.STRING
                        : f.getType() == float[].class ? PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO
                        : f.getType() == int[].class ? PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO
                        : f.getType() == long.class ? Types.LONG : Types.INT;
                fields.add(new PojoField(f, t));
            }
            var desc = new ValueStateDescriptor<>("learner", new PojoTypeInfo<>(LearnerState.class, fields));
            desc.enableTimeToLive(StateTtlConfig.newBuilder(config().stateTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
            state = context.getKeyedStateStore().getState(desc);
        }

        @Override
        public void processElement(StreamRecord<AlignedStep> element) throws Exception {
            state.update(value);
        }
    }
}
