package io.eduemotionnet.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.LearnerInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The erasure contract through the wired stages (parallelism 2): an order for a learner who was scored
 * passes the learner operator and then the signals stage, each counting what it deleted, and comes out
 * of the pipeline once; the other learner's order-free stream is untouched.
 */
class SignalsErasurePipelineTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    @Test
    void anOrderIsCarriedOutByTheLearnerOperatorAndThenByTheSignalsStage() throws Exception {
        JobConfig cfg = JobConfig.from(new Configuration());
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        long step = model.stepMillis;
        long t0 = (System.currentTimeMillis() / step - 1000) * step;
        List<LearnerInput> in = new ArrayList<>();
        Random rng = new Random(3);
        for (int t = 0; t < 30; t++) {
            for (String learner : List.of("a", "b")) {
                if (learner.equals("b") || t < 6) {
                    in.add(LearnerInput.of(event(learner, t0 + t * step + 100, model, rng)));
                }
            }
            if (t == 20) { // long after a's steps were scored
                in.add(LearnerInput.erase(new ErasureOrder("a", "req-1", t0 + t * step + 200, "REQUEST")));
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.setBufferTimeout(0); // each prediction leaves the learner operator as it is emitted
        var inputs = env.fromData(in).setParallelism(1).assignTimestampsAndWatermarks(
                WatermarkStrategy.<LearnerInput>forGenerator(ctx -> new EveryRecord())
                        .withTimestampAssigner((x, ts) -> x.event != null ? x.event.eventTime : x.erasure.requestedAt))
                .setParallelism(1);
        SingleOutputStreamOperator<Prediction> predictions = EmotionPipeline.learn(inputs, cfg, model);
        SignalsStage.Outputs signals = EmotionPipeline.signals(predictions, cfg, model);
        List<ErasureOrder> orders = new ArrayList<>();
        try (CloseableIterator<ErasureOrder> it = signals.erasures.collectAsync()) {
            CloseableIterator<Prediction> scored = predictions.collectAsync();
            env.executeAsync("signals-erasure-pipeline");
            it.forEachRemaining(orders::add);
            scored.forEachRemaining(p -> { });
        }
        assertThat(orders).hasSize(1);
        ErasureOrder order = orders.get(0);
        assertThat(order.learnerId).isEqualTo("a");
        assertThat(order.deleted(ErasureOrder.Deleted.LEARNER_STATE)).isPositive();
        assertThat(order.deleted(ErasureOrder.Deleted.SIGNAL_STATE)).isEqualTo(1);
    }

    private static EmbeddingEvent event(String learner, long time, ModelInfo model, Random rng) {
        float[] x = new float[model.dims[1]];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian() * 0.3f;
        }
        return new EmbeddingEvent(learner, learner + "-s1", 1, time, x, Float.NaN, 2);
    }

    /** A watermark just behind every record (the input is in event-time order). */
    static final class EveryRecord implements WatermarkGenerator<LearnerInput> {
        @Override
        public void onEvent(LearnerInput x, long ts, WatermarkOutput out) {
            out.emitWatermark(new Watermark(ts - 1));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {
            // every record already moved it
        }
    }
}
