package io.eduemotionnet.benchmark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * One run of the job as a user runs it: the KafkaSource reads the learners' events from the benchmark's
 * broker (another JVM), the consent gate joins them with the consent topic (every learner granted
 * beforehand), and every output goes through the exactly-once KafkaSink. Parallelism 2 on one
 * TaskManager with 2 slots, RocksDB with incremental checkpoints every 10 s.
 *
 * <ul>
 *   <li>{@link #replay}: the events are in Kafka before the job starts and are read as fast as possible;
 *   <li>{@link #live}: the producer releases them in real time while the job runs.
 * </ul>
 */
final class KafkaJobRun {
    /** From this global step every synthetic learner is in its first session (sessions start by step 14). */
    static final long FIRST_STEP = 15;
    static final int PARTITIONS = 2;
    static final String CHECKPOINT_INTERVAL = "10 s";

    private final String bootstrap;
    private final ModelInfo model;
    private final Map<String, String> flinkOverrides;

    KafkaJobRun(String bootstrap, ModelInfo model, Map<String, String> flinkOverrides) {
        this.bootstrap = bootstrap;
        this.model = model;
        this.flinkOverrides = flinkOverrides;
    }

    /**
     * Steps [FIRST_STEP, FIRST_STEP + steps) replayed, one more produced so that they all close; the first
     * one's time is not measured (start-up and every learner's first state write).
     */
    Map<String, Object> replay(String run, int learners, int steps) throws Exception {
        KafkaTopics topics = new KafkaTopics(bootstrap, run, PARTITIONS);
        topics.create();
        topics.grantConsent(learners);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "replay: produced into Kafka beforehand, read as fast as possible");
        r.put("learners", learners);
        r.put("steps", steps);
        Map<?, ?> produced = produce(run, topics, learners, steps, r);
        long base = ((Number) produced.get("base")).longValue();
        long limit = base + (FIRST_STEP + steps) * model.stepMillis;
        long heapBefore = Heap.usedAfterGc();
        try (Job job = new Job(topics, run, false)) {
            long running = System.nanoTime();
            r.put("consent_taken_in_seconds_from_running", job.awaitEventsReleased());
            long emitted = measureReplay(job, produced, steps, running, r);
            r.put("onnx_in_job_microseconds_per_row", job.metrics.onnxMicrosecondsPerRow());
            // every learner is live once the last step's events are in: its state, and that open step
            long total = sum((List<?>) produced.get("events_by_step"), 0, steps + 1);
            long deadline = System.currentTimeMillis() + 300_000;
            while (job.metrics.gateRecordsIn() < total + learners && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            r.put("heap_measured_with_events_in", job.metrics.gateRecordsIn() - learners);
            // a first start against a full events topic: the events wait until the consent topic is taken in
            // (README, Legal use), so none should reach the gate before its learner's grant
            r.put("events_before_their_grant_was_read", total - job.metrics.learnerRecordsIn());
            long heapWith = Heap.usedAfterGc();
            r.put("heap_bytes_per_learner", Math.round((double) (heapWith - heapBefore) / learners));
            r.put("heap", Map.of("before_the_job_bytes", heapBefore, "with_every_learner_live_bytes", heapWith));
            String savepoint = job.client.triggerSavepoint(Path.of("target", "benchmark", "savepoints").toAbsolutePath().toUri().toString(),
                    SavepointFormatType.CANONICAL).get(10, TimeUnit.MINUTES);
            Map<String, Object> state = SavepointState.measure(savepoint, job.graph, learners);
            state.put("learner_state_value_bytes", LearnerStateSize.bytes(model));
            state.put("model_state_floats", model.stateSize);
            r.put("state", state);
            List<Prediction> committed = job.committedAfterNextCheckpoint(topics);
            r.put("predictions_committed", committed.size());
            Thread.sleep(6_000); // the RocksDB gauges are refreshed every 5 s
            r.put("rocksdb", RocksDbBytes.perLearner(job.metrics.rocksDbLiveBytes(), learners));
            if (committed.size() != emitted || committed.stream().anyMatch(p -> p.getStepEnd().toEpochMilli() > limit)) {
                throw new IllegalStateException("the predictions topic holds " + committed.size() + " predictions, the job emitted "
                        + emitted + " for the measured steps");
            }
        } finally {
            topics.delete();
        }
        return r;
    }

    /**
     * The {@link FrameworkFloor} on the same stream as {@link #replay}: what Flink, Kafka and RocksDB cost per
     * prediction with nothing of the job's own, measured the same way.
     */
    Map<String, Object> floor(String run, int learners, int steps) throws Exception {
        KafkaTopics topics = new KafkaTopics(bootstrap, run, PARTITIONS);
        topics.create();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "a measurement, not the job (FrameworkFloor): the same events through the job's decoder, one keyBy, "
                + "heap pooling, one carried state of the model's size read and written in RocksDB per step and one Avro "
                + "prediction to the exactly-once KafkaSink; no ONNX, consent gate, spill, other outputs, signals or metrics");
        r.put("learners", learners);
        r.put("steps", steps);
        Map<?, ?> produced = produce(run, topics, learners, steps, r);
        try (Job job = new Job(topics, run, true)) {
            measureReplay(job, produced, steps, System.nanoTime(), r);
        } finally {
            topics.delete();
        }
        return r;
    }

    /** Steps [FIRST_STEP, FIRST_STEP + steps + 1) produced into the events topic; the producer's report, with its "base". */
    private Map<?, ?> produce(String run, KafkaTopics topics, int learners, int steps, Map<String, Object> r) throws Exception {
        Map<String, Object> produced;
        try (ChildJvm producer = producer(run, topics, learners, steps + 1, "replay", System.currentTimeMillis())) {
            long base = Long.parseLong(producer.expect("base "));
            produced = new ObjectMapper().readValue(producer.expect("result "), new TypeReference<Map<String, Object>>() { });
            produced.put("base", base);
        }
        r.put("producer", Map.of("seconds", produced.get("seconds"), "events", sum((List<?>) produced.get("events_by_step"), 0, steps + 1),
                "bytes_per_event", produced.get("bytes_per_event"), "learner_steps_per_s", Math.round((steps + 1.0) * learners / ((Number) produced.get("seconds")).doubleValue())));
        return produced;
    }

    /**
     * Times the replay of every step after the first (start-up and every learner's first state write are not
     * measured) and the job's CPU over it; the predictions emitted by its end.
     */
    private long measureReplay(Job job, Map<?, ?> produced, int steps, long running, Map<String, Object> r) throws Exception {
        long base = ((Number) produced.get("base")).longValue();
        job.awaitPredictionsUntil(base + (FIRST_STEP + 1) * model.stepMillis, Long.MAX_VALUE);
        JobCpu cpu = new JobCpu();
        long t0 = System.nanoTime();
        long before = job.metrics.predictionsEmitted();
        r.put("first_step_seconds_from_running", round((t0 - running) / 1e9));
        job.awaitPredictionsUntil(base + (FIRST_STEP + steps) * model.stepMillis, Long.MAX_VALUE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        JobCpu.Window window = cpu.end();
        long emitted = job.metrics.predictionsEmitted();
        long measured = emitted - before;
        long events = sum((List<?>) produced.get("events_by_step"), 1, steps);
        r.put("measured_steps", steps - 1);
        r.put("seconds", round(seconds));
        r.put("predictions", measured);
        r.put("events", events);
        r.put("predictions_per_s", Math.round(measured / seconds));
        r.put("events_per_s", Math.round(events / seconds));
        r.put("cpu_microseconds_per_prediction", round(window.jobNanos() / 1000.0 / measured));
        r.put("cpu_microseconds_per_prediction_less_jit", round(window.jobNanosLessJit() / 1000.0 / measured));
        r.put("cpu_cores_busy", round(window.jobNanos() / 1e9 / seconds));
        r.put("cpu_by_operator", window.byTask(measured));
        return emitted;
    }

    /**
     * At real-time pace: {@code warmUp} steps not measured, then {@code steps} measured (step end to
     * prediction emitted), and the heap held per live learner. {@code microsPerLearnerStep}: what the
     * producer needs to generate one learner-step, to start the stream once it has generated them all.
     */
    Map<String, Object> live(String run, int learners, int warmUp, int steps, double microsPerLearnerStep) throws Exception {
        KafkaTopics topics = new KafkaTopics(bootstrap, run, PARTITIONS);
        topics.create();
        topics.grantConsent(learners);
        int produced = warmUp + steps + 2; // two more: learners stay live while the heap is measured
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "live: released into Kafka in real time");
        r.put("learners", learners);
        r.put("warm_up_steps", warmUp);
        r.put("steps", steps);
        long heapBefore = Heap.usedAfterGc();
        try (Job job = new Job(topics, run, false)) {
            // a platform runs the job before its learners' clients send: the events start once it reads them
            r.put("consent_taken_in_seconds_from_running", job.awaitEventsReleased());
            long heapIdle = Heap.usedAfterGc();
            long generate = (long) (microsPerLearnerStep * learners * produced / 1000 * 1.5) + 10_000;
            long start = System.currentTimeMillis() + generate;
            try (ChildJvm producer = producer(run, topics, learners, produced, "live", start - FIRST_STEP * model.stepMillis)) {
                long base = Long.parseLong(producer.expect("base "));
                long from = base + (FIRST_STEP + warmUp) * model.stepMillis;
                long limit = from + steps * model.stepMillis;
                boolean keptUp = job.awaitPredictionsUntil(limit, limit + model.stepMillis + 60_000);
                r.put("all_measured_steps_scored_in_time", keptUp);
                long heapLive = Heap.usedAfterGc();
                r.put("heap_bytes_per_learner", Math.round((double) (heapLive - heapIdle) / learners));
                r.put("heap", Map.of("before_the_job_bytes", heapBefore, "idle_job_bytes", heapIdle, "with_learners_bytes", heapLive));
                TreeMap<Long, List<Long>> byStep = new TreeMap<>(); // step start -> its latencies
                for (Prediction p : job.committedAfterNextCheckpoint(topics)) {
                    long begin = p.getStepStart().toEpochMilli();
                    long end = p.getStepEnd().toEpochMilli();
                    if (begin >= from && end <= limit) {
                        byStep.computeIfAbsent(begin, b -> new ArrayList<>()).add(p.getEmitTime().toEpochMilli() - end);
                    }
                }
                List<Long> latencies = byStep.values().stream().flatMap(List::stream).collect(Collectors.toList());
                r.put("predictions", latencies.size());
                r.put("latency_ms_p50", percentile(latencies, 0.50));
                r.put("latency_ms_p99", percentile(latencies, 0.99));
                r.put("latency_ms_max", percentile(latencies, 1.0));
                // per measured step, oldest first: a lag still shrinking after the warm-up shows here
                List<List<Long>> steps50And99 = byStep.values().stream()
                        .map(step -> List.of(percentile(step, 0.5), percentile(step, 0.99))).collect(Collectors.toList());
                r.put("latency_ms_p50_p99_by_measured_step", steps50And99);
                long firstP50 = steps50And99.isEmpty() ? -1 : steps50And99.get(0).get(0);
                long lastP50 = steps50And99.isEmpty() ? -1 : steps50And99.get(steps50And99.size() - 1).get(0);
                r.put("latency_ms_p50_first_and_last_measured_step", List.of(firstP50, lastP50));
                // kept up: every measured step scored, and the lag did not grow by a step over the run
                r.put("kept_up", keptUp && lastP50 >= 0 && lastP50 - firstP50 < model.stepMillis);
                r.put("producer", new ObjectMapper().readValue(producer.expect("result "), Map.class));
            }
        } finally {
            topics.delete();
        }
        return r;
    }

    private ChildJvm producer(String run, KafkaTopics topics, int learners, int steps, String mode, long nowMillis) throws Exception {
        return ChildJvm.start(run + "-producer", "4g", EventProducer.class, List.of(
                "--bootstrap", bootstrap, "--topic", topics.name("events"), "--learners", String.valueOf(learners),
                "--from-step", String.valueOf(FIRST_STEP), "--steps", String.valueOf(steps),
                "--step-millis", String.valueOf(model.stepMillis), "--mode", mode, "--now-millis", String.valueOf(nowMillis)));
    }

    /** The job, submitted and running; cancelled on close. */
    private final class Job implements AutoCloseable {
        final StreamGraph graph;
        final JobClient client;
        final RunMetrics metrics;

        /** {@code floor}: the {@link FrameworkFloor} instead of the job (no consent gate). */
        Job(KafkaTopics topics, String run, boolean floor) throws Exception {
            List<String> args = new ArrayList<>(List.of("--edu.kafka.bootstrap-servers", bootstrap,
                    "--edu.kafka.group-id", run, "--edu.kafka.starting-offsets", "earliest",
                    "--edu.kafka.transaction-timeout", "5 min", "--edu.privacy.consent-required", String.valueOf(!floor)));
            for (String kind : KafkaTopics.KINDS) {
                args.add("--edu.kafka.topic." + kind);
                args.add(topics.name(kind));
            }
            JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), args.toArray(new String[0])));
            Configuration conf = TestClusters.configuration();
            conf.setString("execution.checkpointing.interval", CHECKPOINT_INTERVAL);
            conf.setString("parallelism.default", String.valueOf(PARTITIONS));
            conf.setString("taskmanager.numberOfTaskSlots", String.valueOf(PARTITIONS));
            // RocksDB's share of a 4 GB TaskManager (flink-conf/config.yaml) as Flink's default fraction gives it
            conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1280));
            // as flink-conf/config.yaml: RocksDB reports its live data size (and the benchmark reads it)
            conf.setString("state.backend.rocksdb.metrics.estimate-live-data-size", "true");
            conf.setString("state.backend.rocksdb.metrics.total-sst-files-size", "true");
            flinkOverrides.forEach(conf::setString);
            InMemoryReporter reporter = InMemoryReporter.create();
            reporter.addToConfiguration(conf);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            if (floor) {
                FrameworkFloor.build(env, cfg, model);
            } else { // the job as a cluster runs it (config.yaml's default): events through the consent gate
                EmotionPipeline.writeToKafka(EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model),
                        EmotionPipeline.consentSource(env, cfg), cfg, model), cfg);
            }
            graph = env.getStreamGraph();
            graph.setJobName(run);
            client = env.executeAsync(graph);
            metrics = new RunMetrics(reporter, client.getJobID());
            while (client.getJobStatus().get() != JobStatus.RUNNING) {
                Thread.sleep(10);
            }
        }

        /**
         * Waits until the events source reads (the job has taken in the consent topic, README Legal use);
         * the seconds it took from now.
         */
        double awaitEventsReleased() throws Exception {
            long t0 = System.nanoTime();
            long deadline = System.currentTimeMillis() + 300_000;
            while (metrics.eventsHeldForConsent()) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the events source still waits for the consent topic after 5 min");
                }
                Thread.sleep(50);
            }
            return round((System.nanoTime() - t0) / 1e9);
        }

        /** Waits until every prediction of a step ending by {@code stepEnd} is emitted; false at the deadline. */
        boolean awaitPredictionsUntil(long stepEnd, long deadline) throws Exception {
            while (metrics.predictionsWatermark() < stepEnd - 1) {
                if (System.currentTimeMillis() > deadline) {
                    return false;
                }
                if (client.getJobStatus().get().isGloballyTerminalState()) {
                    throw new IllegalStateException("the job ended: " + client.getJobStatus().get());
                }
                Thread.sleep(50);
            }
            return true;
        }

        /**
         * The committed predictions once a checkpoint begun from now on has completed and the sinks have
         * committed (the committers do it after the checkpoint's completion reaches them): every
         * prediction emitted until now.
         */
        List<Prediction> committedAfterNextCheckpoint(KafkaTopics topics) throws Exception {
            long emitted = metrics.predictionsEmitted();
            // one under way may have begun before now: then the one after it
            long wanted = metrics.completedCheckpoints() + (metrics.checkpointsInProgress() > 0 ? 2 : 1);
            long deadline = System.currentTimeMillis() + 120_000;
            while (metrics.completedCheckpoints() < wanted) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("no checkpoint completed in 2 minutes");
                }
                Thread.sleep(100);
            }
            List<Prediction> committed = topics.committedPredictions();
            while (committed.size() < emitted && System.currentTimeMillis() < deadline) {
                Thread.sleep(1_000);
                committed = topics.committedPredictions();
            }
            return committed;
        }

        /** Cancels the job and waits for its embedded cluster to go, so that the next heap baseline is clean. */
        @Override
        public void close() throws Exception {
            if (!client.getJobStatus().get().isGloballyTerminalState()) {
                client.cancel().get(2, TimeUnit.MINUTES);
            }
            client.getJobExecutionResult().handle((result, failure) -> null).get(2, TimeUnit.MINUTES);
            // the per-job MiniCluster closes asynchronously after the job's end: wait for its RPC threads
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().startsWith("flink-pekko"))) {
                Thread.sleep(200);
            }
        }
    }

    private static long sum(List<?> values, int from, int until) {
        long n = 0;
        for (int i = from; i < until; i++) {
            n += ((Number) values.get(i)).longValue();
        }
        return n;
    }

    static long percentile(List<Long> values, double q) {
        if (values.isEmpty()) {
            return -1;
        }
        long[] a = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return a[(int) Math.min(a.length - 1, Math.floor(q * a.length))];
    }

    private static double round(double v) {
        return InferenceBenchmark.round(v);
    }
}
