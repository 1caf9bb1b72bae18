package io.eduemotionnet.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.KafkaBroker;
import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exactly once through failures: the job (Kafka in, Kafka out, RocksDB, checkpoints every second) on
 * two TaskManagers, fed a multi-learner stream in phases while TaskManagers are terminated at three
 * different moments, then stopped with a savepoint and restored at parallelism 1, and again at 2.
 * Every output topic, read with read_committed, must equal the uninterrupted run's: each (learner,
 * step) once, none missing, the same labels and probabilities, every dead letter once. The sinks name
 * their transactions from a pool, so the broker's transactional ids stay few however many checkpoints.
 */
class ExactlyOnceUnderFailuresTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = ReliabilityClusters.twoTaskManagers();

    private static final int PARTITIONS = 4;
    private static final int SINKS = 5;
    private static final int MORE_CHECKPOINTS = 25;
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();
    static ModelInfo model;
    static Path savepoints;

    @BeforeAll
    static void start() throws Exception {
        model = OnnxEmotionModel.inspect(JobConfig.from(new Configuration()).modelPath);
        savepoints = Files.createTempDirectory("savepoints");
    }

    @Test
    void killedTaskManagersAndRescalingLoseAndRepeatNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        ReferenceRun reference = ReferenceRun.get(kafka.bootstrapServers(), model, savepoints.toUri().toString());
        LearnerStream stream = reference.stream;
        String prefix = "failures";
        String events = prefix + "-events";
        JobConfig cfg = JobRuns.config(kafka.bootstrapServers(), prefix);
        List<byte[]> bad = new ArrayList<>();
        int[] killed = {0};
        long checkpoints = 0;
        try (TopicIo io = new TopicIo(kafka.bootstrapServers())) {
            io.createTopics(PARTITIONS, RunOutputs.topics(prefix));

            JobClient job = JobRuns.start(cfg, model, 2, null);
            JobID id = job.getJobID();
            io.produce(events, withBadRecords(stream.phase(0, PARTITIONS), 0, bad));
            JobRuns.awaitRunning(cluster, id);
            JobRuns.awaitCheckpoints(cluster, id, 2);

            // 1: while the next phase is being read, after checkpoints whose transactions committed
            io.produce(events, withBadRecords(stream.phase(1, PARTITIONS), 1, bad));
            killTaskManager(cluster, killed);
            JobRuns.awaitRunning(cluster, id);
            // 2: as soon as the job runs again, before its first checkpoint after the restore
            killTaskManager(cluster, killed);
            JobRuns.awaitRunning(cluster, id);
            JobRuns.awaitCheckpoints(cluster, id, 1);
            // 3: in the middle of a phase, between checkpoints
            io.produce(events, withBadRecords(stream.phase(2, PARTITIONS), 2, bad));
            Thread.sleep(JobRuns.CHECKPOINT_INTERVAL_MS / 2);
            killTaskManager(cluster, killed);
            JobRuns.awaitRunning(cluster, id);
            JobRuns.awaitCheckpoints(cluster, id, 2);
            int restarts = JobRuns.restarts(cluster, id);
            checkpoints += JobRuns.completedCheckpoints(cluster, id);
            String savepoint = JobRuns.stopWithSavepoint(job, savepoints.toUri().toString());

            // rescaled: 2 -> 1 -> 2, each from a savepoint, with a phase of the stream in between
            job = JobRuns.start(cfg, model, 1, savepoint);
            io.produce(events, withBadRecords(stream.phase(3, PARTITIONS), 3, bad));
            JobRuns.awaitRunning(cluster, job.getJobID());
            JobRuns.awaitCheckpoints(cluster, job.getJobID(), 2);
            checkpoints += JobRuns.completedCheckpoints(cluster, job.getJobID());
            savepoint = JobRuns.stopWithSavepoint(job, savepoints.toUri().toString());

            job = JobRuns.start(cfg, model, 2, savepoint);
            io.produce(events, withBadRecords(stream.phase(4, PARTITIONS), 4, bad));
            io.produce(events, stream.sentinels(0, PARTITIONS, 0, 1, 2, 3));
            Sentinels.await(io, prefix, stream, 0, 0, 1, 2, 3);
            // many more checkpoints: with the default naming each would leave 14 new transactional ids (7 sinks x 2 subtasks)
            JobRuns.awaitCheckpoints(cluster, job.getJobID(), MORE_CHECKPOINTS);
            checkpoints += JobRuns.completedCheckpoints(cluster, job.getJobID());
            JobRuns.stopWithSavepoint(job, savepoints.toUri().toString());

            RunOutputs expected = reference.outputs;
            RunOutputs seen = RunOutputs.read(io, prefix);
            Map<String, Integer> expectedSteps = RunOutputs.counts(expected.predictions, RunOutputs::key);
            Map<String, Integer> seenSteps = RunOutputs.counts(seen.predictions, RunOutputs::key);
            int duplicates = RunOutputs.duplicates(seenSteps);
            var missing = RunOutputs.missing(expectedSteps, seenSteps);
            double maxDiff = RunOutputs.maxProbabilityDiff(expected.predictions, seen.predictions);
            List<String> transactionalIds = io.transactionalIds(prefix);

            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("failures_injected", killed[0]);
            figures.put("restarts_after_failures", restarts);
            figures.put("savepoint_restores", List.of("2 -> 1", "1 -> 2"));
            figures.put("expected", expectedSteps.size());
            figures.put("seen", seen.predictions.size());
            figures.put("duplicates", duplicates);
            figures.put("missing", missing.size());
            figures.put("max_probability_diff", maxDiff);
            figures.put("dead_letters_expected", bad.size());
            figures.put("dead_letters_seen", seen.deadLetters.size());
            figures.put("checkpoints_completed", checkpoints);
            figures.put("transactional_ids_after_checkpoints", transactionalIds.size());
            ReliabilityReport.put(figures);

            assertThat(expectedSteps).as("the reference scores every learner").hasSizeGreaterThan(
                    LearnerStream.LEARNERS * LearnerStream.PHASES * LearnerStream.STEPS_PER_PHASE);
            assertThat(RunOutputs.duplicates(expectedSteps)).isZero();
            assertThat(restarts).as("one restart per terminated TaskManager").isEqualTo(killed[0]);
            assertThat(duplicates).as("predictions seen twice").isZero();
            assertThat(missing).as("predictions missing").isEmpty();
            assertThat(seenSteps.keySet()).as("the same (learner, step) pairs").isEqualTo(expectedSteps.keySet());
            assertThat(RunOutputs.labelDifferences(expected.predictions, seen.predictions)).isEmpty();
            assertThat(maxDiff).isLessThanOrEqualTo(1e-6);
            assertThat(RunOutputs.counts(seen.confidence, RunOutputs::key))
                    .isEqualTo(RunOutputs.counts(expected.confidence, RunOutputs::key));
            assertThat(RunOutputs.counts(seen.dropout, RunOutputs::key))
                    .isEqualTo(RunOutputs.counts(expected.dropout, RunOutputs::key));
            assertThat(expected.late).as("the stream has no late event").isEmpty();
            assertThat(seen.late).as("nor after restarts").isEmpty();
            assertEveryBadRecordOnce(bad, seen.deadLetters);
            // default naming: one id per checkpoint, sink and subtask; the pool: a few per sink and subtask
            // the default naming: one id per checkpoint, sink and subtask (over 300 here); the pool: a few
            // per sink and subtask (the open transaction and those awaiting their commit)
            assertThat(checkpoints).isGreaterThan(MORE_CHECKPOINTS);
            assertThat(transactionalIds).as("transactional ids at the broker after %d checkpoints", checkpoints)
                    .hasSizeLessThanOrEqualTo(SINKS * 2 * 3);
        }
    }

    /** Terminates a TaskManager that runs a task of the job and starts a fresh one in its place. */
    private static void killTaskManager(MiniCluster cluster, int[] killed) throws Exception {
        // indices of terminated TaskManagers stay taken; fresh ones are appended: 0, 1 at the start, then 2, 3, ...
        cluster.terminateTaskManager(killed[0]).get();
        killed[0]++;
        cluster.startTaskManager();
    }

    /** The phase's events and three bad records, each unique, on the phase's partition. */
    private static List<TopicIo.Record> withBadRecords(List<TopicIo.Record> phase, int index, List<byte[]> bad) {
        List<TopicIo.Record> records = new ArrayList<>(phase);
        ModalityEvent base = TestEvents.event("learner-" + index, Modality.VISUAL, 1_000_000L + index, index);
        byte[] encoded = EventCodec.encode(base);
        List<byte[]> phaseBad = List.of(
                ("not an event, phase " + index).getBytes(StandardCharsets.UTF_8),
                Arrays.copyOf(encoded, encoded.length - 7 - index),
                EventCodec.encode(ModalityEvent.newBuilder(base).setEmbedding(base.getEmbedding().subList(0, 7 + index)).build()));
        for (byte[] b : phaseBad) {
            records.add(records.size() / 2, new TopicIo.Record(index % PARTITIONS, null, b));
            bad.add(b);
        }
        return records;
    }

    private static void assertEveryBadRecordOnce(List<byte[]> bad, List<DeadLetter> deadLetters) {
        Map<Integer, Integer> times = new HashMap<>();
        for (DeadLetter d : deadLetters) {
            byte[] raw = new byte[d.getRaw().remaining()];
            d.getRaw().duplicate().get(raw);
            boolean known = false;
            for (int i = 0; i < bad.size(); i++) {
                if (Arrays.equals(raw, bad.get(i))) {
                    times.merge(i, 1, Integer::sum);
                    known = true;
                }
            }
            assertThat(known).as("a dead letter of a record the test sent").isTrue();
            assertThat(d.getReason()).isNotBlank();
        }
        for (int i = 0; i < bad.size(); i++) {
            assertThat(times.getOrDefault(i, 0)).as("dead letters of bad record %d", i).isEqualTo(1);
        }
    }
}
