package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.ingest.ConsentUpdate;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.privacy.ConsentGate;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.LearnerInput;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The consent rules through the consent gate and the learner operator together (harnesses on RocksDB; the
 * gate's output fed to the learner operator as the job forwards it): no grant, no state and no output; a
 * grant later, scored from then; a withdrawal in the middle of a step, nothing of that step scored, the
 * learner's state gone everywhere, and the order (the receipt's content) with what was deleted.
 */
class ConsentThroughLearnerTest {
    static final KeySelector<IngestResult, String> KEY = r -> r.event != null ? r.event.learnerId : r.consent.learnerId;
    KeyedTwoInputStreamOperatorTestHarness<String, IngestResult, IngestResult, LearnerInput> gate;
    KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> learner;
    LearnerOperator operator;
    ConsentGate gateOperator;
    long step;
    int forwarded;

    @BeforeEach
    void open() throws Exception {
        LearnerOperatorTest.inspect();
        step = LearnerOperatorTest.step;
        gateOperator = new ConsentGate(true);
        gate = new KeyedTwoInputStreamOperatorTestHarness<>(gateOperator, KEY, KEY, Types.STRING);
        gate.setStateBackend(new EmbeddedRocksDBStateBackend());
        gate.open();
        operator = new LearnerOperator(LearnerOperatorTest.config(), LearnerOperatorTest.info);
        learner = new KeyedOneInputStreamOperatorTestHarness<>(operator, LearnerInput::learnerId, Types.STRING);
        learner.setStateBackend(new EmbeddedRocksDBStateBackend());
        learner.open();
    }

    @AfterEach
    void close() throws Exception {
        gate.close();
        learner.close();
    }

    /** Whatever the gate emitted since the last call goes to the learner operator, in order. */
    private void forward() throws Exception {
        List<Object> out = List.copyOf(gate.getOutput());
        for (Object o : out.subList(forwarded, out.size())) {
            if (o instanceof StreamRecord) {
                @SuppressWarnings("unchecked")
                StreamRecord<LearnerInput> r = (StreamRecord<LearnerInput>) o;
                learner.processElement(r.getValue(), r.getTimestamp());
            } else if (o instanceof Watermark) {
                learner.processWatermark((Watermark) o);
            }
        }
        forwarded = out.size();
    }

    private void stepEvents(String who, long index, long offset) throws Exception {
        for (LearnerInput in : LearnerOperatorTest.events(LearnerOperatorTest.step(who, who + "-s1", index, index * 7 + who.length()))) {
            in.event.eventTime += offset;
            gate.processElement1(new StreamRecord<>(IngestResult.valid(in.event), in.event.eventTime));
        }
        forward();
    }

    private void change(String who, ConsentAction action, long at, String request) throws Exception {
        gate.processElement2(new StreamRecord<>(IngestResult.consent(
                new ConsentUpdate(who, action, action == ConsentAction.GRANTED, at, request))));
        forward();
    }

    private void watermark(long time) throws Exception {
        gate.processWatermark1(new Watermark(time));
        forward();
    }

    private Set<String> scored(String who) {
        Set<String> steps = new TreeSet<>();
        for (Prediction p : learner.extractOutputValues()) {
            if (p.getLearnerId().equals(who)) {
                steps.add(Long.toString(p.getStepStart().toEpochMilli() / step));
            }
        }
        return steps;
    }

    private Set<Object> learnerKeys() {
        Set<Object> all = new TreeSet<>();
        for (String state : List.of(LearnerStore.LEARNER, LearnerStore.OPEN_STEPS)) {
            try (var keys = operator.getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
                keys.forEach(all::add);
            }
        }
        return all;
    }

    private Set<Object> gateKeys() {
        try (var keys = gateOperator.getKeyedStateBackend().getKeys("consent-granted-from", VoidNamespace.INSTANCE)) {
            return keys.collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void noGrantNoStateAndNoOutput() throws Exception {
        for (long t = 0; t < 3; t++) {
            stepEvents("nobody", t, 0);
        }
        watermark(4 * step);
        assertThat(learner.extractOutputValues()).isEmpty();
        assertThat(gateKeys()).isEmpty();
        assertThat(learnerKeys()).as("nothing kept in the learner operator either").isEmpty();
        assertThat(learner.numEventTimeTimers()).isZero();
    }

    @Test
    void aGrantLaterIsScoredFromThen() throws Exception {
        stepEvents("late", 0, 0);
        stepEvents("late", 1, 0);
        change("late", ConsentAction.GRANTED, 2 * step, "g");
        stepEvents("late", 2, 0);
        stepEvents("late", 3, 0);
        watermark(4 * step - 1);
        assertThat(scored("late")).containsExactly("2", "3");
    }

    @Test
    void aWithdrawalMidStepScoresNothingOfThatStepAndErasesEverything() throws Exception {
        change("w", ConsentAction.GRANTED, 0, "g");
        change("keep", ConsentAction.GRANTED, 0, "g2");
        stepEvents("w", 0, 0);
        stepEvents("keep", 0, 0);
        watermark(step - 1); // step 0 scored for both
        stepEvents("w", 1, 0); // the first half of step 1 ...
        stepEvents("keep", 1, 0);
        change("w", ConsentAction.WITHDRAWN, step + step / 2, "w-1"); // ... then the withdrawal, mid-step
        stepEvents("w", 1, step / 2 + 10); // the second half: after the withdrawal
        stepEvents("w", 2, 0);
        stepEvents("keep", 2, 0);
        watermark(3 * step - 1);

        assertThat(scored("w")).as("nothing of the withdrawal's step or after").containsExactly("0");
        assertThat(scored("keep")).containsExactly("0", "1", "2");
        List<ErasureOrder> orders = learner.getSideOutput(LearnerOutputs.ERASURES).stream().map(StreamRecord::getValue)
                .collect(Collectors.toList());
        assertThat(orders).singleElement().satisfies(o -> {
            assertThat(o.learnerId).isEqualTo("w");
            assertThat(o.requestId).isEqualTo("w-1");
            assertThat(o.cause).isEqualTo("WITHDRAWAL");
            assertThat(o.deleted(ErasureOrder.Deleted.CONSENT)).isEqualTo(1);
            assertThat(o.deleted(ErasureOrder.Deleted.LEARNER_STATE)).isEqualTo(1);
            assertThat(o.deleted(ErasureOrder.Deleted.OPEN_STEPS)).as("step 1's first half").isEqualTo(1);
            assertThat(o.deleted(ErasureOrder.Deleted.TIMERS)).isPositive();
        });
        assertThat(learnerKeys()).containsExactly("keep");
        assertThat(gateKeys()).as("keep's grant only").containsExactly("keep");
    }
}
