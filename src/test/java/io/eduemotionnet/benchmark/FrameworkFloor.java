package io.eduemotionnet.benchmark;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.learner.LearnerState;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.sink.KafkaOutputs;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * A measurement, not a job: what Flink, Kafka and RocksDB cost per prediction before the job does
 * anything of its own, to tell how far the job's CPU per prediction can fall on these cores.
 *
 * <p>It keeps what any job with the shape must do for a prediction: the same events from the same
 * topic through the job's own decoder, validation and watermarks; one keyBy on the learner (the events
 * serialized across it); each modality's embedding summed into the learner's open step on the heap; an
 * event-time timer per step; one read and one write of a carried state of the model's size in RocksDB
 * (the job's {@link LearnerState} and its serializer, with the same TTL); one Avro {@link Prediction}
 * through the exactly-once KafkaSink; incremental checkpoints as the job's.
 *
 * <p>It leaves out: ONNX Runtime (measured on its own), the consent gate, the open steps' spill at
 * checkpoints, the confidence, dropout and late-event outputs, the signals and cohort stages, and the
 * job's metrics. Its "prediction" is the mean of the step's inputs, with no meaning.
 */
final class FrameworkFloor extends KeyedProcessFunction<String, IngestResult, Prediction> {
    private static final long serialVersionUID = 1L;
    static final String NAME = "floor-learner";
    private static final Modality[] MODALITIES = Modality.values();

    private final ModelInfo model;
    private final long lateness;
    private final Duration ttl;

    private transient ValueState<LearnerState> learners;
    /** Per learner its open steps (usually one), as the job pools them on the heap. */
    private transient Map<String, Pool> open;

    private FrameworkFloor(ModelInfo model, JobConfig cfg) {
        this.model = model;
        this.lateness = cfg.allowedLateness.toMillis();
        this.ttl = cfg.stateTtl;
    }

    /** Events topic -> decode, validate -> keyBy learner -> this -> predictions topic (exactly once). */
    static void build(StreamExecutionEnvironment env, JobConfig cfg, ModelInfo model) {
        DataStream<Prediction> predictions = EmotionPipeline.validate(EmotionPipeline.kafkaSource(env, cfg, model))
                .keyBy(r -> r.event.learnerId)
                .process(new FrameworkFloor(model, cfg)).name(NAME).uid(NAME);
        KafkaOutputs.write(predictions, cfg, cfg.topicPredictions, "predictions", Prediction::getLearnerId);
    }

    /** One learner's open step: each modality's running sum and count. */
    private static final class Pool {
        final long stepStart;
        final float[][] sums = new float[3][];
        final int[] counts = new int[3];
        String sessionId;
        Pool next;

        Pool(long stepStart) {
            this.stepStart = stepStart;
        }
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<LearnerState> desc = new ValueStateDescriptor<>("learner", TypeInformation.of(LearnerState.class));
        desc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build());
        learners = getRuntimeContext().getState(desc);
        open = new HashMap<>();
    }

    private long closesAt(long stepStart) {
        return stepStart + model.stepMillis - 1 + lateness;
    }

    @Override
    public void processElement(IngestResult r, Context ctx, Collector<Prediction> out) {
        EmbeddingEvent e = r.event;
        long stepStart = e.eventTime - Math.floorMod(e.eventTime, model.stepMillis);
        if (closesAt(stepStart) <= ctx.timerService().currentWatermark()) {
            return; // late (the job reports it; the benchmark's stream has none)
        }
        String key = ctx.getCurrentKey();
        Pool head = open.get(key);
        Pool p = head;
        while (p != null && p.stepStart != stepStart) {
            p = p.next;
        }
        if (p == null) {
            p = new Pool(stepStart);
            p.next = head;
            open.put(key, p);
            ctx.timerService().registerEventTimeTimer(closesAt(stepStart));
        }
        float[] sum = p.sums[e.modality];
        if (sum == null) {
            sum = new float[e.embedding.length];
            p.sums[e.modality] = sum;
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += e.embedding[i];
        }
        p.counts[e.modality]++;
        p.sessionId = e.sessionId;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Prediction> out) throws Exception {
        String key = ctx.getCurrentKey();
        long stepStart = timestamp - lateness - model.stepMillis + 1;
        Pool p = take(key, stepStart);
        if (p == null) {
            return;
        }
        LearnerState learner = learners.value();
        if (learner == null) {
            learner = LearnerState.start(p.sessionId, stepStart);
            learner.modelState = new float[model.stateSize];
        }
        // a carried state that depends on the step's means (each modality's over its own part of the state),
        // so that no part of the work can be skipped
        float[] state = learner.modelState;
        List<Modality> present = new ArrayList<>(3);
        float[] level = new float[3];
        int part = state.length / 3;
        for (int m = 0; m < 3; m++) {
            if (p.counts[m] == 0) {
                continue;
            }
            present.add(MODALITIES[m]);
            float inv = 1f / p.counts[m];
            float[] sum = p.sums[m];
            int n = Math.min(sum.length, part);
            int off = m * part;
            float total = 0;
            for (int i = 0; i < n; i++) {
                float mean = sum[i] * inv;
                total += mean;
                state[off + i] = 0.5f * state[off + i] + 0.5f * mean;
            }
            level[m] = total;
        }
        learner.lastStepStart = stepStart;
        learners.update(learner);
        Map<String, Float> byClass = new HashMap<>();
        for (int k = 0; k < model.classes.size(); k++) {
            byClass.put(model.classes.get(k), state[k]);
        }
        out.collect(new Prediction(key, p.sessionId, Instant.ofEpochMilli(stepStart), Instant.ofEpochMilli(stepStart + model.stepMillis),
                byClass, model.classes.get(0), new ModalityWeights(level[0], level[1], level[2]), present, model.version,
                Instant.ofEpochMilli(System.currentTimeMillis()), null));
    }

    private Pool take(String key, long stepStart) {
        Pool prev = null;
        for (Pool p = open.get(key); p != null; prev = p, p = p.next) {
            if (p.stepStart == stepStart) {
                if (prev != null) {
                    prev.next = p.next;
                } else if (p.next != null) {
                    open.put(key, p.next);
                } else {
                    open.remove(key);
                }
                return p;
            }
        }
        return null;
    }
}
