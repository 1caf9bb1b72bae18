package io.eduemotionnet.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.learner.LearnerOperator;
import io.eduemotionnet.learner.LearnerOutputs;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.privacy.LearnerInput;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.LearnerSimulator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import io.eduemotionnet.TestClusters;

/**
 * The benchmark command (not a test): batched inference vs one ONNX call per learner, at 10 000
 * learners, on the job as it runs (synthetic source, RocksDB, checkpoints). Prints and writes JSON:
 *
 * <ul>
 *   <li>throughput: the stream replayed as fast as possible, predictions/s and events/s;
 *   <li>latency: the stream at real-time pace, window end (step end, wall clock) to prediction emitted,
 *       p50/p99;
 *   <li>RocksDB state bytes per learner: the TFL operator's RocksDB snapshot after one step of every
 *       learner, divided by the learners.
 * </ul>
 *
 * Run: {@code mvn -q test-compile exec:exec@benchmark -Drun.args="--out target/benchmark.json"}; options
 * {@code --learners}, {@code --replay-steps}, {@code --live-steps}, {@code --operator-steps}, and
 * {@code --only replay|operator|state} for one part alone ({@code --batch} sets its maximum batch).
 */
public final class InferenceBenchmark {
    private static final int WARM_UP_STEPS = 3;
    private static final int STATE_STEPS = 6;

    private InferenceBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int learners = Integer.parseInt(opts.getOrDefault("learners", "10000"));
        int replaySteps = Integer.parseInt(opts.getOrDefault("replay-steps", "30"));
        int liveSteps = Integer.parseInt(opts.getOrDefault("live-steps", "20"));
        int operatorSteps = Integer.parseInt(opts.getOrDefault("operator-steps", "10"));
        String out = opts.getOrDefault("out", "target/benchmark.json");

        if ("state".equals(opts.get("only"))) {
            System.out.println(stateBytes(learners));
            return;
        }
        if ("replay".equals(opts.get("only"))) {
            System.out.println(run(learners, replaySteps, 0.0, opts.getOrDefault("batch", "1024")));
            return;
        }
        if ("operator".equals(opts.get("only"))) {
            System.out.println(operatorThroughput(learners, operatorSteps, opts.getOrDefault("batch", "1024")));
            return;
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        report.put("learners", learners);
        report.put("missing_rate", 0.2);
        for (String mode : List.of("batched", "per_learner")) {
            String batch = mode.equals("batched") ? "1024" : "1";
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("max_batch_size", Integer.parseInt(batch));
            m.put("throughput", run(learners, replaySteps, 0.0, batch));
            m.put("inference_operator", operatorThroughput(learners, operatorSteps, batch));
            m.put("onnx_runtime_only", onnxOnly(Integer.parseInt(batch)));
            m.put("latency", run(learners, liveSteps, 1.0, batch));
            report.put(mode, m);
            System.out.println(mode + ": " + m);
        }
        report.put("rocksdb_state", stateBytes(learners));
        Map<?, ?> batched = (Map<?, ?>) ((Map<?, ?>) report.get("batched")).get("throughput");
        Map<?, ?> single = (Map<?, ?>) ((Map<?, ?>) report.get("per_learner")).get("throughput");
        double speedup = ((Number) batched.get("predictions_per_s")).doubleValue()
                / ((Number) single.get("predictions_per_s")).doubleValue();
        report.put("batched_over_per_learner_predictions_per_s", speedup);
        report.put("batched_over_per_learner_inference_operator", ratio(report, "inference_operator", "predictions_per_s"));
        report.put("batched_over_per_learner_inference_operator_cpu", 1.0 / ratio(report, "inference_operator",
                "thread_cpu_microseconds_per_prediction"));
        report.put("batched_over_per_learner_onnx_runtime_only", ratio(report, "onnx_runtime_only", "rows_per_s"));
        report.put("whole_job_ceiling_if_batched_inference_cost_nothing", inferenceFreeCeiling(report));
        File file = new File(out);
        if (file.getParentFile() != null) {
            file.getParentFile().mkdirs();
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file, report);
        print(report);
        System.out.println("wrote " + file);
    }

    /** One run of the job; the predictions of the first {@code steps} global steps are measured. */
    static Map<String, Object> run(int learners, int steps, double speed, String maxBatch) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.inference.max-batch-size", maxBatch, "--edu.synthetic.learners", String.valueOf(learners),
                "--edu.synthetic.missing-rate", "0.2", "--edu.synthetic.invalid-rate", "0", "--edu.synthetic.seed", "5",
                "--edu.synthetic.speed", String.valueOf(speed)}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis()).limitedTo(steps);
        Configuration conf = TestClusters.configuration();
        conf.setString("execution.checkpointing.interval", "10 s");
        conf.setString("parallelism.default", "2");
        conf.setString("taskmanager.numberOfTaskSlots", "2");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        EmotionPipeline.Outputs outputs = EmotionPipeline.build(EmotionPipeline.syntheticSource(env, cfg, model, stream), cfg, model);
        // live: the first steps are released while the job is still starting; they are not measured
        long warmUp = speed == 0 ? 0 : WARM_UP_STEPS;
        Stats.reset(stream.baseMillis + warmUp * stream.stepMillis, stream.baseMillis + steps * stream.stepMillis);
        outputs.predictions.sinkTo(new StatsSink()).name("benchmark-stats");
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long start = System.currentTimeMillis();
        env.execute("benchmark");
        long cpuNanos = os.getProcessCpuTime() - cpu0;
        Stats s = Stats.merged();
        double seconds = (s.lastEmit - start) / 1000.0;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", speed == 0 ? "replay, as fast as possible" : "live, real-time pace");
        r.put("steps", steps);
        r.put("predictions", s.predictions);
        r.put("events", s.events);
        r.put("seconds", round(seconds));
        if (speed == 0) {
            r.put("predictions_per_s", Math.round(s.predictions / seconds));
            r.put("events_per_s", Math.round(s.events / seconds));
            // the whole process (source, windows, state, inference, sinks), start-up and end included
            r.put("cpu_microseconds_per_prediction", Math.round(cpuNanos / 1000.0 / s.predictions));
        } else {
            long[] lat = s.latencies();
            r.put("latency_ms_p50", percentile(lat, 0.50));
            r.put("latency_ms_p99", percentile(lat, 0.99));
            r.put("latency_ms_max", lat.length == 0 ? 0 : lat[lat.length - 1]);
        }
        return r;
    }

    /** A simulated learner's embeddings at its first step in a session (null where missing). */
    static float[][] firstStepInputs(SyntheticStream stream, int learner, SplittableRandom rng) {
        LearnerSimulator sim = stream.simulator(learner);
        LearnerSimulator.Step st = null;
        for (long t = 0; st == null; t++) {
            st = sim.stepTo(t);
        }
        float[][] in = new float[3][];
        for (int m = 0; m < 3; m++) {
            in[m] = st.present[m] ? sim.embedding(m, st, rng) : null;
        }
        return in;
    }

    /** Bytes of one learner's state value as Flink serializes it into RocksDB (before compression). */
    static int serializedSize(ModelInfo info) throws Exception {
        io.eduemotionnet.learner.LearnerState state = new io.eduemotionnet.learner.LearnerState();
        state.sessionId = "synthetic-000001-s000";
        state.modelState = new float[info.stateSize];
        var serializer = org.apache.flink.api.common.typeinfo.TypeInformation.of(io.eduemotionnet.learner.LearnerState.class)
                .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
        var out = new org.apache.flink.core.memory.DataOutputSerializer(8192);
        serializer.serialize(state, out);
        return out.length();
    }

    /**
     * Amdahl's bound for the whole job: the most batching could give if a batched ONNX call cost no CPU
     * at all. The one-call-per-learner job's CPU per prediction over the batched job's, less what ONNX
     * Runtime alone spends on a batched row. On saturated cores predictions/s follow CPU per prediction,
     * so the whole job's predictions/s ratio cannot pass this either.
     */
    static double inferenceFreeCeiling(Map<String, Object> report) {
        double single = number(report, "per_learner", "throughput", "cpu_microseconds_per_prediction");
        double batched = number(report, "batched", "throughput", "cpu_microseconds_per_prediction");
        double onnxRow = number(report, "batched", "onnx_runtime_only", "microseconds_per_row");
        return single / (batched - onnxRow);
    }

    static double number(Map<String, Object> report, String mode, String part, String key) {
        return ((Number) ((Map<?, ?>) ((Map<?, ?>) report.get(mode)).get(part)).get(key)).doubleValue();
    }

    static double ratio(Map<String, Object> report, String part, String key) {
        Map<?, ?> b = (Map<?, ?>) ((Map<?, ?>) report.get("batched")).get(part);
        Map<?, ?> p = (Map<?, ?>) ((Map<?, ?>) report.get("per_learner")).get(part);
        return ((Number) b.get(key)).doubleValue() / ((Number) p.get(key)).doubleValue();
    }

    /**
     * The stage batching changes, alone: the TFL operator (keyed state in RocksDB, timers, the ONNX call,
     * outputs) fed every learner's pooled step, one watermark per step, in a harness. The first
     * {@link #WARM_UP_STEPS} steps (JIT compilation, RocksDB caches, every learner's first state write)
     * are not timed; learner ids and inputs are prepared outside the timed loop.
     */
    static Map<String, Object> operatorThroughput(int learners, int steps, String maxBatch) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {"--edu.inference.max-batch-size", maxBatch}));
        ModelInfo info = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, info.stepMillis, System.currentTimeMillis());
        float[][][] inputs = new float[256][][]; // a pool of real pooled steps, reused across learners
        float[][] quality = new float[256][];
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = firstStepInputs(stream, i, rng);
            quality[i] = new float[] {(float) (6 + 18 * rng.nextDouble()), (float) (0.6 + 0.35 * rng.nextDouble()),
                    (float) (0.5 + 0.4 * rng.nextDouble())};
        }
        String[] ids = new String[learners];
        for (int i = 0; i < learners; i++) {
            ids[i] = SyntheticStream.learnerId(i);
        }
        LearnerOperator op = new LearnerOperator(cfg, info);
        long predictions = 0;
        long start = 0;
        long cpuStart = 0;
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h =
                     new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::learnerId, Types.STRING)) {
            h.setStateBackend(rocksDb());
            h.open();
            for (int t = 0; t < WARM_UP_STEPS + steps; t++) {
                if (t == WARM_UP_STEPS) {
                    predictions = 0;
                    start = System.nanoTime();
                    cpuStart = threads.getCurrentThreadCpuTime();
                }
                for (int i = 0; i < learners; i++) {
                    int pick = (i * 31 + t) % inputs.length;
                    feed(h, ids[i], t * info.stepMillis, inputs[pick], quality[pick]);
                }
                h.processWatermark((t + 1) * info.stepMillis - 1);
                predictions += h.getOutput().stream().filter(o -> o instanceof org.apache.flink.streaming.runtime.streamrecord.StreamRecord).count();
                h.getOutput().clear();
                for (var tag : List.of(LearnerOutputs.CONFIDENCE, LearnerOutputs.DROPOUT)) {
                    if (h.getSideOutput(tag) != null) {
                        h.getSideOutput(tag).clear();
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "TFL operator in a harness on RocksDB: state read/write, timers, ONNX Runtime, outputs; one thread");
        r.put("learners", learners);
        r.put("warm_up_steps", WARM_UP_STEPS);
        r.put("steps", steps);
        r.put("predictions", predictions);
        r.put("seconds", round(seconds));
        r.put("predictions_per_s", Math.round(predictions / seconds));
        // the operator's thread only: steadier than wall time when other processes share the cores
        r.put("thread_cpu_microseconds_per_prediction", round(cpuSeconds * 1e6 / predictions));
        return r;
    }

    /** One learner's step as one event per present modality (the pooled input itself: a mean of one). */
    static void feed(KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h, String learner, long stepStart,
                     float[][] pooled, float[] quality) throws Exception {
        for (int m = 0; m < 3; m++) {
            if (pooled[m] != null) {
                float q = quality == null ? Float.NaN : quality[m];
                h.processElement(LearnerInput.of(new EmbeddingEvent(learner, "s", m, stepStart, pooled[m], q, 1)), stepStart);
            }
        }
    }

    /** ONNX Runtime alone on one thread: rows per second at a batch size. */
    static Map<String, Object> onnxOnly(int batchSize) throws Exception {
        JobConfig cfg = JobConfig.from(new Configuration());
        Map<String, Object> r = new LinkedHashMap<>();
        try (OnnxEmotionModel model = OnnxEmotionModel.open(cfg, () -> { })) {
            SplittableRandom rng = new SplittableRandom(1);
            float[][] pooled = new float[3][];
            for (int m = 0; m < 3; m++) {
                pooled[m] = new float[model.info.dims[m]];
                for (int i = 0; i < pooled[m].length; i++) {
                    pooled[m][i] = (float) rng.nextGaussian() * 0.3f;
                }
            }
            float[] quality = {20f, 0.9f, 0.85f};
            OnnxEmotionModel.Batch batch = model.newBatch(batchSize);
            long rows = 0;
            long start = System.nanoTime();
            while (System.nanoTime() - start < 3_000_000_000L) {
                batch.clear();
                for (int i = 0; i < batchSize; i++) {
                    batch.add(pooled, quality, null);
                }
                model.run(batch);
                rows += batchSize;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            r.put("what", "OnnxEmotionModel.run alone, one thread, " + batchSize + " row(s) per call");
            r.put("rows_per_s", Math.round(rows / seconds));
            r.put("microseconds_per_row", round(seconds * 1e6 / rows));
        }
        return r;
    }

    /**
     * RocksDB state bytes per learner: a canonical savepoint writes each live key and value once (an
     * incremental or native snapshot ships SST files, older versions of a learner's state included).
     */
    static Map<String, Object> stateBytes(int learners) throws Exception {
        JobConfig cfg = JobConfig.from(new Configuration());
        ModelInfo info = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, info.stepMillis, System.currentTimeMillis());
        LearnerOperator op = new LearnerOperator(cfg, info);
        try (KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h =
                     new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::learnerId, Types.STRING)) {
            h.setStateBackend(rocksDb());
            // a file-system checkpoint storage, as a cluster's (the in-memory one caps state at 5 MB)
            h.setCheckpointStorage(new org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage(
                    Path.of(System.getProperty("java.io.tmpdir"), "benchmark-checkpoints").toUri()));
            h.open();
            OperatorSubtaskState empty = h.snapshotWithLocalState(1, 1,
                    org.apache.flink.runtime.checkpoint.SavepointType.savepoint(org.apache.flink.core.execution.SavepointFormatType.CANONICAL))
                    .getJobManagerOwnedState();
            SplittableRandom rng = new SplittableRandom(3);
            // K steps fill the carried history as in a running session
            for (int t = 0; t < STATE_STEPS; t++) {
                for (int i = 0; i < learners; i++) {
                    feed(h, SyntheticStream.learnerId(i), t * info.stepMillis, firstStepInputs(stream, i, rng), null);
                }
                h.processWatermark((t + 1) * info.stepMillis - 1);
                h.getOutput().clear();
                h.getSideOutput(LearnerOutputs.CONFIDENCE).clear();
            }
            OperatorSubtaskState full = h.snapshotWithLocalState(2, 2,
                    org.apache.flink.runtime.checkpoint.SavepointType.savepoint(org.apache.flink.core.execution.SavepointFormatType.CANONICAL))
                    .getJobManagerOwnedState();
            long bytes = full.getStateSize() - empty.getStateSize();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("learners", learners);
            r.put("steps_per_learner", STATE_STEPS);
            r.put("snapshot_bytes", full.getStateSize());
            r.put("bytes_per_learner", Math.round((double) bytes / learners));
            r.put("serialized_learner_state_bytes", serializedSize(info));
            r.put("model_state_floats", info.stateSize);
            r.put("what", "canonical savepoint of the TFL operator's RocksDB state after " + STATE_STEPS
                    + " steps of every learner (live keys and values: learner state with its TTL timestamp, the next-step"
                    + " timer); serialized_learner_state_bytes is one learner's state value alone. A checkpoint's SST"
                    + " files are larger until RocksDB compacts older versions away");
            return r;
        }
    }

    /**
     * RocksDB as a task manager runs it, but outside Flink's memory manager: the harness has almost no
     * managed memory, and RocksDB inside such a budget flushes its memtable on every few writes.
     */
    static EmbeddedRocksDBStateBackend rocksDb() {
        Configuration conf = new Configuration();
        conf.set(org.apache.flink.state.rocksdb.RocksDBOptions.USE_MANAGED_MEMORY, false);
        return new EmbeddedRocksDBStateBackend(true).configure(conf, InferenceBenchmark.class.getClassLoader());
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (Exception e) {
            m.put("cpu", ManagementFactory.getOperatingSystemMXBean().getArch());
        }
        return m;
    }

    static long percentile(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static void print(Map<String, Object> report) throws Exception {
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    }

    /** Collects what the measured predictions say (same JVM as the MiniCluster). */
    static final class Stats {
        static final ConcurrentLinkedQueue<Stats> ALL = new ConcurrentLinkedQueue<>();
        static volatile long measuredFrom;
        static volatile long measuredUntil;
        long predictions;
        long events;
        long lastEmit;
        final List<Long> latency = new ArrayList<>();

        static void reset(long firstStepStart, long stepEndLimit) {
            ALL.clear();
            measuredFrom = firstStepStart;
            measuredUntil = stepEndLimit;
        }

        static Stats merged() {
            Stats m = new Stats();
            for (Stats s : ALL) {
                m.predictions += s.predictions;
                m.events += s.events;
                m.lastEmit = Math.max(m.lastEmit, s.lastEmit);
                m.latency.addAll(s.latency);
            }
            return m;
        }

        long[] latencies() {
            long[] a = latency.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            return a;
        }
    }

    /** Counts predictions of the measured steps, their events, and window end to emission latency. */
    static final class StatsSink implements Sink<Prediction> {
        private static final long serialVersionUID = 1L;

        @Override
        public SinkWriter<Prediction> createWriter(WriterInitContext context) {
            Stats stats = new Stats();
            Stats.ALL.add(stats);
            return new SinkWriter<>() {
                @Override
                public void write(Prediction p, Context context) {
                    long end = p.getStepEnd().toEpochMilli();
                    if (end > Stats.measuredUntil || p.getStepStart().toEpochMilli() < Stats.measuredFrom) {
                        return; // warm-up, or steps after the measured ones (the end-of-stream gap rule, not load)
                    }
                    long emit = p.getEmitTime().toEpochMilli();
                    stats.predictions++;
                    stats.events += p.getPresent().size(); // the synthetic source sends one event per present modality
                    stats.lastEmit = Math.max(stats.lastEmit, emit);
                    stats.latency.add(emit - end);
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
