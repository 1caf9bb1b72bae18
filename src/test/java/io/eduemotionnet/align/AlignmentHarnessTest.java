package io.eduemotionnet.align;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.metrics.EmotionMetrics;
import io.eduemotionnet.sideoutput.OutputTags;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups.UnregisteredTaskMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The job's alignment operator (as EmotionPipeline.align builds it) in a keyed harness on RocksDB. */
class AlignmentHarnessTest {
    static ModelInfo model;
    static long step;
    private KeyedOneInputStreamOperatorTestHarness<String, EmbeddingEvent, AlignedStep> harness;

    @BeforeAll
    static void model() {
        model = OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx");
        step = model.stepMillis;
    }

    @SuppressWarnings("unchecked")
    private void open(String... args) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), args));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<EmbeddingEvent> events = env.fromData(TypeInformation.of(EmbeddingEvent.class), new EmbeddingEvent());
        SingleOutputStreamOperator<AlignedStep> aligned = EmotionPipeline.align(events, cfg, model);
        Transformation<AlignedStep> t = aligned.getTransformation();
        OneInputTransformation<EmbeddingEvent, AlignedStep> window = (OneInputTransformation<EmbeddingEvent, AlignedStep>) t;
        KeySelector<EmbeddingEvent, String> key = (KeySelector<EmbeddingEvent, String>) window.getStateKeySelector();
        harness = new KeyedOneInputStreamOperatorTestHarness<>(window.getOperatorFactory(), key, TypeInformation.of(String.class));
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static EmbeddingEvent event(String learner, String session, int modality, long time, float value, float quality) {
        float[] v = new float[model.dims[modality]];
        java.util.Arrays.fill(v, value);
        return new EmbeddingEvent(learner, session, modality, time, v, quality, 1);
    }

    private void send(EmbeddingEvent e) throws Exception {
        harness.processElement(e, e.eventTime);
    }

    @Test
    void poolsEachModalityOfAStepToItsMeanAndMarksTheMissingOnes() throws Exception {
        open();
        send(event("a", "s1", 0, 100, 1f, 10f));
        send(event("a", "s1", 0, 900, 3f, 20f));
        send(event("a", "s1", 2, 1500, 5f, Float.NaN));
        send(event("b", "s9", 1, 1999, 7f, 0.5f));
        send(event("a", "s1", 0, step + 10, 9f, 1f)); // next step
        harness.processWatermark(step - 1);
        List<AlignedStep> out = harness.extractOutputValues();
        assertThat(out).hasSize(2);
        AlignedStep a = out.stream().filter(s -> s.learnerId.equals("a")).findFirst().orElseThrow();
        assertThat(a.stepStart).isZero();
        assertThat(a.stepEnd).isEqualTo(step);
        assertThat(a.audio).hasSize(128).containsOnly(2f);
        assertThat(a.visual).isNull();
        assertThat(a.text).containsOnly(5f);
        assertThat(a.counts).containsExactly(2, 0, 1);
        assertThat(a.meanQuality[0]).isEqualTo(15f);
        assertThat(a.meanQuality[2]).isNaN();
        assertThat(a.sessionId).isEqualTo("s1");
        AlignedStep b = out.stream().filter(s -> s.learnerId.equals("b")).findFirst().orElseThrow();
        assertThat(b.visual).containsOnly(7f);
        assertThat(b.audio).isNull();
    }

    @Test
    void lateEventsGoToTheSideOutput() throws Exception {
        open();
        send(event("a", "s1", 0, 100, 1f, 1f));
        harness.processWatermark(step - 1);
        send(event("a", "s1", 1, 200, 2f, 1f)); // its step is closed
        assertThat(harness.extractOutputValues()).hasSize(1);
        assertThat(harness.getSideOutput(OutputTags.LATE_EVENTS)).hasSize(1);
    }

    /**
     * The window's late events, through the job's late-events function (EmotionPipeline.build puts it
     * after the window's and the inference operator's late outputs): each is counted in eduLateEvents,
     * read from the operator's metric group; a record pooling n events (a step that came after it was
     * scored) counts n and is marked so.
     */
    @Test
    void lateEventsAreCountedInTheLateEventsMetric() throws Exception {
        open();
        send(event("a", "s1", 0, 100, 1f, 1f));
        harness.processWatermark(step - 1);
        send(event("a", "s1", 1, 200, 2f, 1f)); // its step is closed
        send(event("a", "s1", 2, step - 1, 3f, Float.NaN)); // so is this one's
        send(event("a", "s1", 2, step, 4f, 1f)); // the next step: on time
        List<EmbeddingEvent> late = harness.getSideOutput(OutputTags.LATE_EVENTS).stream()
                .map(StreamRecord::getValue).collect(Collectors.toList());
        assertThat(late).hasSize(2);

        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        try (MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(new UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> variables) {
                        return metrics;
                    }
                }).build();
             var lateEvents = new OneInputStreamOperatorTestHarness<EmbeddingEvent, LateEvent>(
                     new ProcessOperator<>(new LateEvents()), env)) {
            lateEvents.open();
            lateEvents.processWatermark(step - 1);
            for (EmbeddingEvent e : late) {
                lateEvents.processElement(e, e.eventTime);
            }
            Counter counter = (Counter) metrics.get(EmotionMetrics.LATE_EVENTS);
            assertThat(counter.getCount()).isEqualTo(2);
            assertThat(lateEvents.extractOutputValues()).allMatch(r -> r.getPooledEvents() == null)
                    .extracting(r -> r.getWatermark().toEpochMilli()).containsOnly(step - 1);

            EmbeddingEvent pooled = event("a", "s1", 0, step, 5f, 1f);
            pooled.pooledEvents = 4;
            lateEvents.processElement(pooled, pooled.eventTime);
            assertThat(counter.getCount()).isEqualTo(6);
            assertThat(lateEvents.extractOutputValues()).extracting(LateEvent::getPooledEvents).containsExactly(null, null, 4);
        }
    }

    @Test
    void allowedLatenessStillTakesAnEventAndFiresTheStepAgain() throws Exception {
        open("--edu.align.allowed-lateness", "4 s");
        send(event("a", "s1", 0, 100, 1f, 1f));
        harness.processWatermark(step - 1);
        send(event("a", "s1", 1, 200, 2f, 1f)); // late, but within the allowed lateness
        List<AlignedStep> out = harness.extractOutputValues();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).visual).containsOnly(2f);
        assertThat(out.get(1).audio).containsOnly(1f);
        assertThat(harness.getSideOutput(OutputTags.LATE_EVENTS)).isNull();
    }

    @Test
    void aStepSpanningASessionSwitchBelongsToTheNewSession() throws Exception {
        open();
        send(event("a", "old", 0, 100, 1f, 1f));
        send(event("a", "new", 1, 1500, 1f, 1f));
        harness.processWatermark(step - 1);
        assertThat(harness.extractOutputValues().get(0).sessionId).isEqualTo("new");
    }
}
