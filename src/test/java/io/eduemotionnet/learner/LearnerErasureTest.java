package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.LearnerInput;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The erasure contract in the learner operator: an order deletes everything of the learner at once. */
class LearnerErasureTest {

    @Test
    void anErasureOrderDeletesTheLearnersStateOpenStepsAndTimersAtOnce() throws Exception {
        LearnerOperatorTest.inspect();
        long step = LearnerOperatorTest.step;
        LearnerOperator op = new LearnerOperator(LearnerOperatorTest.config(), LearnerOperatorTest.info);
        try (KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h =
                     new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::learnerId, Types.STRING)) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
            h.open();
            for (String learner : List.of("a", "b")) {
                send(h, LearnerOperatorTest.step(learner, "s1", 0, 1));
            }
            h.processWatermark(step - 1); // step 0 scored: both have carried state and a continuation timer
            for (String learner : List.of("a", "b")) {
                send(h, LearnerOperatorTest.step(learner, "s1", 1, 2));
                send(h, LearnerOperatorTest.step(learner, "s1", 2, 3));
            }
            h.snapshot(1, 1); // a's open steps spilled to keyed state as well
            int timersBefore = h.numEventTimeTimers();
            assertThat(keys(op, "learner")).containsExactlyInAnyOrder("a", "b");
            assertThat(keys(op, LearnerOperator.OPEN_STEPS)).containsExactlyInAnyOrder("a", "b");

            ErasureOrder order = new ErasureOrder("a", "req-1", 1_000L, "REQUEST");
            h.processElement(LearnerInput.erase(order), step);

            // emitted at once, before any watermark, with what was deleted
            List<ErasureOrder> done = h.getSideOutput(LearnerOutputs.ERASURES).stream().map(StreamRecord::getValue)
                    .collect(Collectors.toList());
            assertThat(done).hasSize(1);
            assertThat(done.get(0).requestId).isEqualTo("req-1");
            assertThat(done.get(0).deleted(ErasureOrder.Deleted.LEARNER_STATE)).isEqualTo(1);
            assertThat(done.get(0).deleted(ErasureOrder.Deleted.OPEN_STEPS)).isEqualTo(2);
            // steps 1 and 2 close at their timers; the continuation timer of step 0 is step 1's
            assertThat(done.get(0).deleted(ErasureOrder.Deleted.TIMERS)).isEqualTo(2);
            assertThat(h.numEventTimeTimers()).isEqualTo(timersBefore - 2);
            assertThat(keys(op, "learner")).containsExactly("b");
            assertThat(keys(op, LearnerOperator.OPEN_STEPS)).containsExactly("b");

            h.processWatermark(3 * step - 1);
            List<Prediction> after = h.extractOutputValues().subList(2, h.extractOutputValues().size());
            assertThat(after).extractingResultOf("getLearnerId").containsOnly("b").hasSize(2);

            // an order for a learner the operator holds nothing of counts zeros, and is still passed on
            h.processElement(LearnerInput.erase(new ErasureOrder("a", "req-2", 2_000L, "WITHDRAWAL")), 3 * step);
            ErasureOrder second = h.getSideOutput(LearnerOutputs.ERASURES).stream().map(StreamRecord::getValue)
                    .filter(o -> o.requestId.equals("req-2")).findFirst().orElseThrow();
            for (ErasureOrder.Deleted kind : ErasureOrder.Deleted.values()) {
                assertThat(second.deleted(kind)).as(kind.name()).isZero();
            }
        }
    }

    private static void send(KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h, AlignedStep s)
            throws Exception {
        for (LearnerInput e : LearnerOperatorTest.events(s)) {
            h.processElement(e, e.event.eventTime);
        }
    }

    private static List<Object> keys(LearnerOperator op, String state) {
        try (var keys = op.getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
            return keys.distinct().collect(Collectors.toList());
        }
    }
}
