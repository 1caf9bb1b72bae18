package io.eduemotionnet.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.KafkaBroker;
import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input through the real path (Kafka, the job, Kafka): over 10 000 mutated records interleaved
 * with the valid learners' stream. Every input record must end as a dead letter with a reason, a late
 * event or part of a prediction's input (counted, record by record); the job must not restart once;
 * the valid learners' predictions must equal those of the stream without the fuzz.
 *
 * <p>The valid learners are on partitions 0 and 1, the fuzz on 2 and 3: a mutation can be a valid event
 * far ahead in event time (a flipped bit in a timestamp), which moves its partition's watermark; the
 * job's watermark is the least of the partitions', so such an event cannot make the valid learners'
 * events late (in one partition it would, rightly, and the comparison would say nothing).
 */
class BadInputFuzzTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = ReliabilityClusters.twoTaskManagers();

    static final int FUZZ_RECORDS = 12_000;
    static final int LATE_FUZZ = 1_000;
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
    void everyRecordIsAccountedForAndValidLearnersAreUntouched(@InjectMiniCluster MiniCluster cluster) throws Exception {
        ReferenceRun reference = ReferenceRun.get(kafka.bootstrapServers(), model, savepoints.toUri().toString());
        LearnerStream stream = reference.stream;
        String prefix = "fuzz";
        RecordFuzzer fuzzer = new RecordFuzzer(11, stream);
        List<TopicIo.Record> records = new ArrayList<>();
        int fuzzPerPhase = (FUZZ_RECORDS - LATE_FUZZ) / LearnerStream.PHASES;
        for (int phase = 0; phase < LearnerStream.PHASES; phase++) {
            List<TopicIo.Record> valid = stream.phase(phase, 2);
            // interleaved: after each valid record, the bad ones due by then
            int f = 0;
            for (int i = 0; i < valid.size(); i++) {
                records.add(valid.get(i));
                for (; f < (long) (i + 1) * fuzzPerPhase / valid.size(); f++) {
                    int n = phase * fuzzPerPhase + f;
                    records.add(new TopicIo.Record(2 + n % 2, null, fuzzer.mutate(n, FUZZ_RECORDS)));
                }
            }
        }
        // after the stream: mutations of events whose steps are long closed, which are late when valid
        List<TopicIo.Record> afterwards = new ArrayList<>();
        for (int n = FUZZ_RECORDS - LATE_FUZZ; n < FUZZ_RECORDS; n++) {
            afterwards.add(new TopicIo.Record(2 + n % 2, null, fuzzer.mutate(n, FUZZ_RECORDS)));
        }
        try (TopicIo io = new TopicIo(kafka.bootstrapServers())) {
            io.createTopics(4, RunOutputs.topics(prefix));
            List<Long> offsets = new ArrayList<>(io.produce(prefix + "-events", records));
            io.produce(prefix + "-events", stream.sentinels(0, 4, 0, 1));
            JobClient job = JobRuns.start(JobRuns.config(kafka.bootstrapServers(), prefix), model, 2, null);
            Sentinels.await(io, prefix, stream, 0, 0, 1);
            records.addAll(afterwards);
            offsets.addAll(io.produce(prefix + "-events", afterwards));
            io.produce(prefix + "-events", stream.sentinels(1, 4, 0, 1));
            Sentinels.await(io, prefix, stream, 1, 0, 1);
            int restarts = JobRuns.restarts(cluster, job.getJobID());
            // drained: a mutation can be a valid event far ahead of the stream (a flipped bit in its time),
            // whose step no watermark of the stream closes; the end of the input scores it
            JobRuns.drainWithSavepoint(job, savepoints.toUri().toString());
            RunOutputs seen = RunOutputs.read(io, prefix);

            Accounting accounting = new Accounting(stream.step, seen);
            int fuzz = 0;
            for (int i = 0; i < records.size(); i++) {
                TopicIo.Record r = records.get(i);
                accounting.account(r.partition(), offsets.get(i), r.value(), r.partition() >= 2);
                fuzz += r.partition() >= 2 ? 1 : 0;
            }
            Map<String, Integer> expected = validLearners(RunOutputs.counts(reference.outputs.predictions, RunOutputs::key));
            Map<String, Integer> valid = validLearners(RunOutputs.counts(seen.predictions, RunOutputs::key));
            double maxDiff = RunOutputs.maxProbabilityDiff(reference.outputs.predictions, seen.predictions);

            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("fuzz_records", fuzz);
            figures.put("fuzz_dead_letters", accounting.fuzzDeadLetters);
            figures.put("fuzz_dead_letters_by_reason", new TreeMap<>(accounting.reasons));
            figures.put("fuzz_late_events", accounting.fuzzLate);
            figures.put("fuzz_prediction_inputs", accounting.fuzzScored);
            figures.put("fuzz_unaccounted", accounting.unaccounted.size());
            figures.put("fuzz_valid_learners_max_probability_diff", maxDiff);
            figures.put("restarts", restarts);
            ReliabilityReport.put(figures);

            assertThat(fuzz).isGreaterThanOrEqualTo(10_000);
            assertThat(accounting.unaccounted).as("records neither scored, late nor dead letters").isEmpty();
            assertThat(accounting.reasons.keySet()).as("reasons seen").hasSizeGreaterThanOrEqualTo(8);
            assertThat(accounting.fuzzDeadLetters).isGreaterThan(fuzz / 2);
            assertThat(accounting.fuzzLate).as("mutations that were valid but late").isPositive();
            assertThat(accounting.fuzzScored).as("mutations that were valid and scored").isPositive();
            assertThat(seen.deadLetters).as("no dead letter but those of the fuzz").hasSize(accounting.fuzzDeadLetters);
            assertThat(restarts).as("job restarts").isZero();
            assertThat(valid).as("the valid learners' (learner, step) pairs, each once").isEqualTo(expected);
            assertThat(RunOutputs.labelDifferences(reference.outputs.predictions, seen.predictions)).isEmpty();
            assertThat(maxDiff).isLessThanOrEqualTo(1e-6);
        }
    }

    private static Map<String, Integer> validLearners(Map<String, Integer> counts) {
        Map<String, Integer> valid = new HashMap<>();
        counts.forEach((k, v) -> {
            if (k.startsWith("learner-")) {
                valid.put(k, v);
            }
        });
        return valid;
    }

    /**
     * Where each input record went: a dead letter for its partition and offset, else (decoded by Avro's
     * own decoder) a late event of its learner, modality and step, else a prediction of its learner and
     * step with its modality present. Late events are matched by count: a step that reached the
     * inference operator after its slot was scored is one late record per modality with pooled_events = n.
     */
    private static final class Accounting {
        final Map<String, DeadLetter> deadLetters = new HashMap<>();
        final Map<String, Integer> lateCapacity = new HashMap<>();
        final Set<String> scored = new HashSet<>();
        final Map<String, Integer> reasons = new HashMap<>();
        final List<String> unaccounted = new ArrayList<>();
        final long step;
        int fuzzDeadLetters;
        int fuzzLate;
        int fuzzScored;

        Accounting(long step, RunOutputs out) {
            this.step = step;
            out.deadLetters.forEach(d -> deadLetters.put(d.getPartition() + "@" + d.getOffset(), d));
            for (LateEvent l : out.late) {
                ModalityEvent e = l.getEvent();
                int n = l.getPooledEvents() == null ? 1 : l.getPooledEvents();
                lateCapacity.merge(key(e), n, Integer::sum);
            }
            for (Prediction p : out.predictions) {
                p.getPresent().forEach(m -> scored.add(p.getLearnerId() + "@" + p.getStepStart().toEpochMilli() + ":" + m));
            }
        }

        private String key(ModalityEvent e) {
            return e.getLearnerId() + "@" + Math.floorDiv(e.getEventTime().toEpochMilli(), step) * step + ":" + e.getModality();
        }

        void account(int partition, long offset, byte[] value, boolean fuzz) {
            DeadLetter d = deadLetters.get(partition + "@" + offset);
            if (d != null) {
                byte[] raw = new byte[d.getRaw().remaining()];
                d.getRaw().duplicate().get(raw);
                boolean sameBytes = Arrays.equals(raw, Arrays.copyOf(value, raw.length)) && (raw.length == value.length || raw.length == 512 * 1024);
                if (fuzz && sameBytes && !d.getReason().isBlank()) {
                    fuzzDeadLetters++;
                    reasons.merge(d.getReason(), 1, Integer::sum);
                    return;
                }
                unaccounted.add(partition + "@" + offset + ": dead letter " + d.getReason() + (sameBytes ? "" : " with other bytes"));
                return;
            }
            ModalityEvent e;
            try {
                e = ModalityEvent.getDecoder().decode(value);
            } catch (Exception notAvro) {
                unaccounted.add(partition + "@" + offset + ": no dead letter for a record Avro cannot decode");
                return;
            }
            String key = key(e);
            if (lateCapacity.getOrDefault(key, 0) > 0) {
                lateCapacity.merge(key, -1, Integer::sum);
                fuzzLate += fuzz ? 1 : 0;
            } else if (scored.contains(key)) {
                fuzzScored += fuzz ? 1 : 0;
            } else {
                unaccounted.add(partition + "@" + offset + ": a valid event neither scored nor late: " + e.getLearnerId()
                        + " " + e.getModality() + " at " + e.getEventTime() + " (step " + key + ")");
            }
        }
    }
}
