package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.privacy.LearnerInput;
import io.eduemotionnet.testing.ChannelValve;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 1, the rule in the README: a step is scored, or reported late, within one watermark
 * advance of its end (+ allowed lateness), whatever the idleness of the input channels. Two input channels
 * combined by Flink's own watermark valve, the pattern seen on a cluster: events on both, both idle, a late
 * burst on one, then new events, one channel moving the watermark while the other is idle. (The operator
 * before issue 10 failed the first test: the step arriving behind the watermark was neither scored nor
 * reported until an unrelated watermark advance.)
 */
class WithheldStepsTest {
    static long step;
    static final long T = 1_000_000 * 2_000L;

    @BeforeAll
    static void inspect() {
        LearnerOperatorTest.inspect();
        step = LearnerOperatorTest.step;
    }

    @Test
    void anEventArrivingBehindTheWatermarkOnAChannelThatWasIdleIsReportedLateAtOnce() throws Exception {
        LearnerOperator op = new LearnerOperator(LearnerOperatorTest.config(), LearnerOperatorTest.info);
        try (var h = harness(op)) {
            ChannelValve<LearnerInput> in = new ChannelValve<>(h, 2);
            long w = T + 50 * step - 501;
            in.element(event("a", T), T); // channel 0
            in.idle(1);
            in.watermark(0, w); // channel 0 alone moves the watermark: channel 1 is idle
            in.active(1);
            in.element(event("b", T), T); // channel 1, behind the combined watermark
            in.watermark(1, w); // channel 1 catches up: the combined watermark does not move
            assertThat(scored(h)).contains("a");
            assertThat(op.metrics().lateEvents.getCount()).as("b's event reported late without a further watermark").isEqualTo(1);
            assertThat(h.getSideOutput(LearnerOutputs.LATE_EVENTS)).hasSize(1);
        }
    }

    @Test
    void idleChannelsALateBurstThenNewEventsWithholdNoStep() throws Exception {
        LearnerOperator op = new LearnerOperator(LearnerOperatorTest.config(), LearnerOperatorTest.info);
        List<String> learners = List.of("l0", "l1", "l2", "l3", "l4", "l5");
        try (var h = harness(op)) {
            ChannelValve<LearnerInput> in = new ChannelValve<>(h, 2);
            // (1) one event per learner at T, learners split over the two channels
            for (int i = 0; i < learners.size(); i++) {
                in.element(event(learners.get(i), T), T);
                in.watermark(i % 2, T - 501);
            }
            // (2) both channels idle
            in.idle(0);
            in.idle(1);
            // (3) a late burst on channel 1 for four learners (event time long past)
            in.active(1);
            for (int i = 0; i < 4; i++) {
                in.element(event(learners.get(i), T - 60_000), T - 60_000);
            }
            in.idle(1);
            // (5) new events at T + 100 s: channel 0 first, moving the watermark alone, then channel 1
            in.active(0);
            for (int i = 0; i < learners.size(); i += 2) {
                in.element(event(learners.get(i), T + 100_000), T + 100_000);
            }
            in.watermark(0, T + 100_000 - 501);
            in.active(1);
            for (int i = 1; i < learners.size(); i += 2) {
                in.element(event(learners.get(i), T + 100_000), T + 100_000);
            }
            in.watermark(1, T + 100_000 - 501);
            // every learner's step at T is scored, the burst is reported late; nothing waits for another advance
            Set<String> scoredAtT = h.extractOutputValues().stream().filter(p -> p.getStepStart().toEpochMilli() == T)
                    .map(Prediction::getLearnerId).collect(Collectors.toSet());
            assertThat(scoredAtT).containsExactlyInAnyOrderElementsOf(learners);
            assertThat(op.metrics().lateEvents.getCount()).isEqualTo(4);
            // and the steps at T + 100 s close with the next watermark advance past their end
            in.watermark(0, T + 100_000 + step);
            in.watermark(1, T + 100_000 + step);
            Set<String> scoredLater = h.extractOutputValues().stream()
                    .filter(p -> p.getStepStart().toEpochMilli() == T + 100_000 - Math.floorMod(T + 100_000, step))
                    .map(Prediction::getLearnerId).collect(Collectors.toSet());
            assertThat(scoredLater).containsExactlyInAnyOrderElementsOf(learners);
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness(LearnerOperator op)
            throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::learnerId, Types.STRING);
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        h.open();
        return h;
    }

    private static LearnerInput event(String learner, long time) {
        AlignedStep s = LearnerOperatorTest.step(learner, "s1", 0, time, true, false, false);
        return LearnerInput.of(new EmbeddingEvent(learner, "s1", 0, time, s.audio, Float.NaN, 1));
    }

    private static List<String> scored(KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h) {
        return h.extractOutputValues().stream().map(Prediction::getLearnerId).distinct().collect(Collectors.toList());
    }
}
