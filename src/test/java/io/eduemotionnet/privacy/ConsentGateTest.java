package io.eduemotionnet.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.ingest.ConsentUpdate;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.ingest.IngestResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The consent gate's rules, one test each, on Flink's keyed operator harness (heap state). */
class ConsentGateTest {
    static final KeySelector<IngestResult, String> KEY = ConsentGateTest::learnerOf;
    private KeyedTwoInputStreamOperatorTestHarness<String, IngestResult, IngestResult, LearnerInput> harness;

    static String learnerOf(IngestResult r) {
        return r.event != null ? r.event.learnerId : r.consent.learnerId;
    }

    private KeyedTwoInputStreamOperatorTestHarness<String, IngestResult, IngestResult, LearnerInput> gate(boolean required)
            throws Exception {
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(new ConsentGate(required), KEY, KEY, Types.STRING);
        harness.open();
        return harness;
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    static IngestResult event(String learner, long time) {
        return IngestResult.valid(new EmbeddingEvent(learner, learner + "-s1", 0, time, new float[] {0.5f, -0.25f}, 0.9f, 1));
    }

    static IngestResult change(String learner, ConsentAction action, long at, String request) {
        return IngestResult.consent(new ConsentUpdate(learner, action, action == ConsentAction.GRANTED, at, request));
    }

    private List<LearnerInput> outputs() {
        List<LearnerInput> out = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord) {
                out.add((LearnerInput) ((StreamRecord<?>) o).getValue());
            }
        }
        return out;
    }

    private List<Long> passedEventTimes() {
        List<Long> times = new ArrayList<>();
        for (LearnerInput in : outputs()) {
            if (in.event != null) {
                times.add(in.event.eventTime);
            }
        }
        return times;
    }

    private List<ErasureOrder> orders() {
        List<ErasureOrder> orders = new ArrayList<>();
        for (LearnerInput in : outputs()) {
            if (in.erasure != null) {
                orders.add(in.erasure);
            }
        }
        return orders;
    }

    @Test
    void noGrantMeansNoOutputAndNoState() throws Exception {
        gate(true);
        for (long t = 1_000; t <= 5_000; t += 1_000) {
            harness.processElement1(new StreamRecord<>(event("l1", t), t));
        }
        assertThat(outputs()).isEmpty();
        assertThat(harness.numKeyedStateEntries()).as("nothing is kept about the learner").isZero();
    }

    @Test
    void aGrantCoversEventsFromItsTimeOnOnly() throws Exception {
        gate(true);
        harness.processElement1(new StreamRecord<>(event("l1", 1_000), 1_000)); // before any grant arrived
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 5_000, "r1"), 5_000));
        harness.processElement1(new StreamRecord<>(event("l1", 4_999), 4_999)); // arrived after the grant, happened before it
        harness.processElement1(new StreamRecord<>(event("l1", 5_000), 5_000));
        harness.processElement1(new StreamRecord<>(event("l1", 7_000), 7_000));
        harness.processElement1(new StreamRecord<>(event("l2", 7_000), 7_000)); // another learner: no grant
        assertThat(passedEventTimes()).containsExactly(5_000L, 7_000L);
        assertThat(outputs()).allMatch(in -> in.learnerId().equals("l1"));
        assertThat(harness.numKeyedStateEntries()).as("one entry: l1's grant").isEqualTo(1);
    }

    @Test
    void aSecondGrantKeepsTheFirstGrantsStart() throws Exception {
        gate(true);
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 5_000, "r1")));
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 9_000, "r2")));
        harness.processElement1(new StreamRecord<>(event("l1", 6_000), 6_000));
        assertThat(passedEventTimes()).containsExactly(6_000L);
    }

    @Test
    void aWithdrawalErasesTheLearnerAndClosesTheGate() throws Exception {
        gate(true);
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 1_000, "g1")));
        harness.processElement1(new StreamRecord<>(event("l1", 2_000), 2_000));
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.WITHDRAWN, 10_000, "w1"), 10_000));
        // after the withdrawal nothing passes, also events from before its time that arrive late
        harness.processElement1(new StreamRecord<>(event("l1", 9_000), 9_000));
        harness.processElement1(new StreamRecord<>(event("l1", 11_000), 11_000));
        assertThat(passedEventTimes()).containsExactly(2_000L);
        assertThat(orders()).singleElement().satisfies(o -> {
            assertThat(o.learnerId).isEqualTo("l1");
            assertThat(o.requestId).isEqualTo("w1");
            assertThat(o.requestedAt).isEqualTo(10_000L);
            assertThat(o.cause).isEqualTo("WITHDRAWAL");
            assertThat(o.deleted(ErasureOrder.Deleted.CONSENT)).isEqualTo(1);
        });
        assertThat(harness.numKeyedStateEntries()).as("the gate's record of l1 is gone").isZero();
        // the order comes right after the last event that passed: the learner's stages see it in this order
        assertThat(outputs().get(1).erasure).isNotNull();
    }

    @Test
    void aNewGrantAfterAWithdrawalScoresFromTheNewGrant() throws Exception {
        gate(true);
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 1_000, "g1")));
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.WITHDRAWN, 3_000, "w1")));
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 8_000, "g2")));
        harness.processElement1(new StreamRecord<>(event("l1", 2_000), 2_000));
        harness.processElement1(new StreamRecord<>(event("l1", 8_500), 8_500));
        assertThat(passedEventTimes()).containsExactly(8_500L);
    }

    @Test
    void anErasureRequestErasesAndAnUnknownLearnerStillGetsAnOrder() throws Exception {
        gate(true);
        harness.processElement2(new StreamRecord<>(change("stranger", ConsentAction.ERASURE_REQUESTED, 4_000, "e1")));
        assertThat(orders()).singleElement().satisfies(o -> {
            assertThat(o.learnerId).isEqualTo("stranger");
            assertThat(o.cause).isEqualTo("REQUEST");
            assertThat(o.deleted).containsOnly(0L);
        });
        assertThat(harness.numKeyedStateEntries()).isZero();
    }

    @Test
    void aGrantThatDropsThePurposeEndsTheGrant() throws Exception {
        gate(true);
        harness.processElement2(new StreamRecord<>(IngestResult.consent(
                new ConsentUpdate("l2", ConsentAction.GRANTED, false, 1_000, "other-purpose"))));
        assertThat(outputs()).as("no grant of ours was standing: nothing to end").isEmpty();
        harness.processElement1(new StreamRecord<>(event("l2", 2_000), 2_000));
        assertThat(passedEventTimes()).as("a grant of other purposes does not cover this job").isEmpty();

        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 1_000, "g1")));
        harness.processElement2(new StreamRecord<>(IngestResult.consent(
                new ConsentUpdate("l1", ConsentAction.GRANTED, false, 5_000, "narrowed"))));
        assertThat(orders()).singleElement().satisfies(o -> {
            assertThat(o.requestId).isEqualTo("narrowed");
            assertThat(o.cause).isEqualTo("WITHDRAWAL");
            assertThat(o.deleted(ErasureOrder.Deleted.CONSENT)).isEqualTo(1);
        });
        harness.processElement1(new StreamRecord<>(event("l1", 6_000), 6_000));
        assertThat(passedEventTimes()).isEmpty();
    }

    @Test
    void onlyTheEventsWatermarkMovesEventTime() throws Exception {
        gate(true);
        harness.processWatermark2(new Watermark(50_000));
        assertThat(harness.getOutput()).as("the consent topic never moves event time").isEmpty();
        harness.processWatermark1(new Watermark(3_000));
        assertThat(harness.getOutput()).containsExactly(new Watermark(3_000));
    }

    @Test
    void withoutTheRequirementEventsPassButErasuresStillHappen() throws Exception {
        gate(false);
        harness.processElement1(new StreamRecord<>(event("l1", 1_000), 1_000));
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 500, "g1")));
        assertThat(harness.numKeyedStateEntries()).as("no grants kept when none is required").isZero();
        harness.processElement2(new StreamRecord<>(change("l1", ConsentAction.ERASURE_REQUESTED, 2_000, "e1")));
        assertThat(passedEventTimes()).containsExactly(1_000L);
        assertThat(orders()).singleElement().satisfies(o -> assertThat(o.requestId).isEqualTo("e1"));
    }

    /** The synthetic source sends consent changes in line with the events, on one input, in order. */
    @Test
    void consentInLineWithTheEventsOnOneInput() throws Exception {
        try (KeyedOneInputStreamOperatorTestHarness<String, IngestResult, LearnerInput> one =
                     new KeyedOneInputStreamOperatorTestHarness<>(new ConsentGate(true), KEY, Types.STRING)) {
            one.open();
            one.processElement(new StreamRecord<>(change("l1", ConsentAction.GRANTED, 1_000, "g1")));
            one.processElement(new StreamRecord<>(event("l1", 1_500), 1_500));
            one.processElement(new StreamRecord<>(change("l1", ConsentAction.WITHDRAWN, 2_000, "w1")));
            one.processElement(new StreamRecord<>(event("l1", 2_500), 2_500));
            one.processWatermark(new Watermark(2_400));
            List<Object> out = new ArrayList<>(one.getOutput());
            assertThat(out).hasSize(3);
            assertThat(((LearnerInput) ((StreamRecord<?>) out.get(0)).getValue()).event.eventTime).isEqualTo(1_500L);
            assertThat(((LearnerInput) ((StreamRecord<?>) out.get(1)).getValue()).erasure.requestId).isEqualTo("w1");
            assertThat(out.get(2)).isEqualTo(new Watermark(2_400));
            assertThat(one.numKeyedStateEntries()).isZero();
        }
    }
}
