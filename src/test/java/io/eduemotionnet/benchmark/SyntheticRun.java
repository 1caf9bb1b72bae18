package io.eduemotionnet.benchmark;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The second row: the job fed by its built-in synthetic source in the same JVM (no Kafka), replayed
 * as fast as possible, measured as the earlier benchmark did (global steps 0 to {@code steps}, learners
 * joining over the first 15 steps; the job's start and end in the time and CPU) so that its figures
 * compare with the earlier ones. (No CPU by task here: the bounded job's threads have ended when it is read.)
 */
final class SyntheticRun {
    private SyntheticRun() {}

    static Map<String, Object> replay(int learners, int steps) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", String.valueOf(learners), "--edu.synthetic.missing-rate", "0.2",
                "--edu.synthetic.invalid-rate", "0", "--edu.synthetic.seed", "5", "--edu.synthetic.speed", "0"}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis()).limitedTo(steps);
        Configuration conf = TestClusters.configuration();
        conf.setString("execution.checkpointing.interval", KafkaJobRun.CHECKPOINT_INTERVAL);
        conf.setString("parallelism.default", "2");
        conf.setString("taskmanager.numberOfTaskSlots", "2");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        EmotionPipeline.Outputs outputs = EmotionPipeline.build(EmotionPipeline.syntheticSource(env, cfg, model, stream), cfg, model);
        Counts.reset(stream.baseMillis + steps * stream.stepMillis);
        outputs.predictions.sinkTo(new CountingSink()).name("benchmark-counts");
        JobCpu cpu = new JobCpu();
        long start = System.currentTimeMillis();
        env.execute("benchmark-synthetic");
        JobCpu.Window window = cpu.end();
        double seconds = (Counts.LAST_EMIT.get() - start) / 1000.0;
        long predictions = Counts.PREDICTIONS.get();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "replay: built-in synthetic source in the job's JVM, as fast as possible");
        r.put("learners", learners);
        r.put("steps", steps);
        r.put("seconds", InferenceBenchmark.round(seconds));
        r.put("predictions", predictions);
        r.put("events", Counts.EVENTS.get());
        r.put("predictions_per_s", Math.round(predictions / seconds));
        r.put("events_per_s", Math.round(Counts.EVENTS.get() / seconds));
        // the whole process (source, ingest, state, inference), the job's start and end included
        r.put("cpu_microseconds_per_prediction", InferenceBenchmark.round(window.jobNanos() / 1000.0 / predictions));
        return r;
    }

    /** What the measured predictions say (the sink runs in this JVM). */
    static final class Counts {
        static final AtomicLong PREDICTIONS = new AtomicLong();
        static final AtomicLong EVENTS = new AtomicLong();
        static final AtomicLong LAST_EMIT = new AtomicLong();
        static volatile long measuredUntil;

        static void reset(long stepEndLimit) {
            PREDICTIONS.set(0);
            EVENTS.set(0);
            LAST_EMIT.set(0);
            measuredUntil = stepEndLimit;
        }
    }

    /** Counts the predictions of the measured steps and their events. */
    static final class CountingSink implements Sink<Prediction> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<Prediction> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Prediction p, Context context) {
                    if (p.getStepEnd().toEpochMilli() > Counts.measuredUntil) {
                        return; // after the measured steps (the end-of-stream gap rule, not load)
                    }
                    Counts.PREDICTIONS.incrementAndGet();
                    Counts.EVENTS.addAndGet(p.getPresent().size()); // one event per present modality
                    Counts.LAST_EMIT.accumulateAndGet(p.getEmitTime().toEpochMilli(), Math::max);
                }

                @Override
                public void flush(boolean endOfInput) {
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
