package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.ConsentActor;
import io.eduemotionnet.avro.ConsentChange;
import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.ErasureCause;
import io.eduemotionnet.avro.ErasureReceipt;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.ConsentDecoder;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import io.eduemotionnet.learner.SavepointKeys;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consent, withdrawal and erasure through a real Kafka broker and the whole job: only learners with a grant
 * are scored; an erasure request and a withdrawal erase the learner and come back as receipts (read
 * committed), also for a learner the job never saw; a malformed consent record is a dead letter and grants
 * nothing; events after an erasure are not scored; a savepoint taken afterwards holds no key of the erased
 * learners, in the gate or in the learner operator.
 */
class KafkaConsentEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();
    static final String[] TOPICS = {"events", "consent", "predictions", "dropout", "confidence", "late", "dead-letters", "receipts",
        "interventions", "cohort-affect"};
    static final int EVENT_PARTITIONS = 2; // and every other topic but the compacted consent topic
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @BeforeAll
    static void createTopicsOnce() throws Exception {
        createTopics();
    }

    static void createTopics() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : TOPICS) {
                NewTopic topic = new NewTopic(t, t.equals("consent") ? 1 : EVENT_PARTITIONS, (short) 1);
                topics.add(t.equals("consent") ? topic.configs(Map.of("cleanup.policy", "compact")) : topic);
            }
            admin.createTopics(topics).all().get();
        }
    }

    @Test
    void consentWithdrawalAndErasureThroughKafka(@TempDir Path savepoints) throws Exception {
        JobConfig cfg = config(kafka.bootstrapServers());
        assertThat(cfg.consentRequired).as("the default").isTrue();
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model),
                EmotionPipeline.consentSource(env, cfg), cfg, model);
        EmotionPipeline.writeToKafka(out, cfg);
        JobClient job = env.executeAsync("kafka-consent-end-to-end");
        long step = model.stepMillis;
        long t0 = (System.currentTimeMillis() / step - 100) * step;
        try (KafkaProducer<byte[], byte[]> producer = producer(); Reader reader = new Reader()) {
            // grants of learner-0 (a guardian) and learner-1, from t0; learner-2 never grants
            send(producer, "consent", "learner-0", consent("learner-0", ConsentAction.GRANTED, t0 - step, "g-0", true));
            send(producer, "consent", "learner-1", consent("learner-1", ConsentAction.GRANTED, t0 - step, "g-1", false));
            // a malformed change (no request id) that would otherwise grant learner-2
            byte[] malformed = ConsentDecoder.encode(ConsentChange.newBuilder(
                    change("learner-2", ConsentAction.GRANTED, t0 - step, "x", false)).setRequestId("").build());
            send(producer, "consent", "learner-2", malformed);
            // once its dead letter is committed, the gate has taken the grants before it (same partition, the
            // checkpoint barrier behind them)
            DeadLetter dead = reader.awaitDeadLetter(d -> d.getTopic().equals("consent"));
            assertThat(dead.getReason()).isEqualTo("INVALID_CONSENT");
            assertThat(dead.getDetail()).contains("request_id");

            for (int t = 0; t < 6; t++) {
                for (int l = 0; l < 3; l++) {
                    for (Modality m : Modality.values()) {
                        send(producer, "events", "learner-" + l, EventCodec.encode(
                                TestEvents.event("learner-" + l, m, t0 + t * step + 100 * (m.ordinal() + 1), t * 31L + l)));
                    }
                }
            }
            TestKafka.closeStepsBefore(producer, "events", EVENT_PARTITIONS, t0 + 8 * step, 1);
            reader.awaitPredictions(p -> p.getLearnerId().equals("learner-1") && stepOf(p, t0, step) == 5);
            reader.awaitPredictions(p -> p.getLearnerId().equals("learner-0") && stepOf(p, t0, step) == 5);

            // learner-1 asks for erasure; the job never saw learner-7
            send(producer, "consent", "learner-1", consent("learner-1", ConsentAction.ERASURE_REQUESTED, t0 + 6 * step, "e-1", false));
            send(producer, "consent", "learner-7", consent("learner-7", ConsentAction.WITHDRAWN, t0 + 6 * step, "w-7", false));
            ErasureReceipt r1 = reader.awaitReceipt("learner-1");
            ErasureReceipt r7 = reader.awaitReceipt("learner-7");
            assertThat(r1.getRequestId()).isEqualTo("e-1");
            assertThat(r1.getCause()).isEqualTo(ErasureCause.REQUEST);
            assertThat(r1.getRequestedAt()).isEqualTo(Instant.ofEpochMilli(t0 + 6 * step));
            assertThat(r1.getCompletedAt()).isAfterOrEqualTo(r1.getRequestedAt());
            assertThat(r1.getDeleted()).containsEntry("CONSENT", 1L).containsEntry("LEARNER_STATE", 1L);
            assertThat(r7.getCause()).isEqualTo(ErasureCause.WITHDRAWAL);
            assertThat(r7.getDeleted().values()).as("nothing held for learner-7").containsOnly(0L);

            // after the erasure: learner-1's events are not scored, learner-0's are
            for (int t = 10; t < 13; t++) {
                for (int l = 0; l < 2; l++) {
                    send(producer, "events", "learner-" + l, EventCodec.encode(
                            TestEvents.event("learner-" + l, Modality.AUDIO, t0 + t * step + 300, t * 7L + l)));
                }
            }
            TestKafka.closeStepsBefore(producer, "events", EVENT_PARTITIONS, t0 + 15 * step, 2);
            reader.awaitPredictions(p -> p.getLearnerId().equals("learner-0") && stepOf(p, t0, step) == 12);

            Set<String> scored = new TreeSet<>();
            for (Prediction p : reader.predictions) {
                scored.add(p.getLearnerId());
                if (p.getLearnerId().equals("learner-1")) {
                    assertThat(stepOf(p, t0, step)).as("nothing of learner-1 after the erasure").isLessThan(10);
                }
            }
            assertThat(scored).as("learner-2 never granted, nor did the closers").containsExactly("learner-0", "learner-1");

            String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
            job.getJobExecutionResult().get(); // ended: its Kafka clients are closed before the broker is
            assertThat(SavepointKeys.gate(savepoint)).as("grants in the savepoint").containsExactly("learner-0");
            assertThat(SavepointKeys.learner(savepoint)).as("learner state in the savepoint").contains("learner-0")
                    .doesNotContain("learner-1", "learner-2", "learner-7");
        } finally {
            if (!job.getJobStatus().get().isTerminalState()) {
                job.cancel().get();
            }
        }
    }

    /**
     * The gated job on this test's topics (the consent gate with its defaults), from the earliest offsets. No
     * partition may count as idle: the tests close steps with {@link TestKafka#closeStepsBefore}.
     */
    static JobConfig config(String bootstrap) {
        return JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.kafka.bootstrap-servers", bootstrap,
                "--edu.kafka.topic.events", "events", "--edu.kafka.topic.consent", "consent",
                "--edu.kafka.topic.predictions", "predictions", "--edu.kafka.topic.dropout", "dropout",
                "--edu.kafka.topic.confidence", "confidence", "--edu.kafka.topic.late", "late",
                "--edu.kafka.topic.dead-letters", "dead-letters", "--edu.kafka.topic.erasure-receipts", "receipts",
                // the exactly-once sinks look their topics up at start: every output topic exists
                "--edu.kafka.topic.interventions", "interventions", "--edu.kafka.topic.cohort-affect", "cohort-affect",
                "--edu.kafka.starting-offsets", "earliest", "--edu.ingest.idleness", "10 min",
                "--edu.kafka.transaction-timeout", "1 min"}));
    }

    static long stepOf(Prediction p, long t0, long step) {
        return (p.getStepStart().toEpochMilli() - t0) / step;
    }

    static byte[] consent(String learner, ConsentAction action, long at, String request, boolean guardian) {
        return ConsentDecoder.encode(change(learner, action, at, request, guardian));
    }

    static ConsentChange change(String learner, ConsentAction action, long at, String request, boolean guardian) {
        return ConsentChange.newBuilder()
                .setLearnerId(learner).setAction(action)
                .setPurposes(action == ConsentAction.GRANTED ? List.of("emotion-recognition") : List.of())
                .setChangedAt(Instant.ofEpochMilli(at))
                .setActorRole(guardian ? ConsentActor.GUARDIAN : ConsentActor.LEARNER)
                .setActorId(guardian ? "guardian-" + learner : learner)
                .setRequestId(request).build();
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Reads predictions, receipts and dead letters committed by the job (read_committed). */
    static final class Reader implements AutoCloseable {
        final KafkaConsumer<byte[], byte[]> consumer;
        final List<Prediction> predictions = new ArrayList<>();
        final List<ErasureReceipt> receipts = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();

        Reader() {
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put("group.id", "consent-test-reader");
            p.put("auto.offset.reset", "earliest");
            p.put("isolation.level", "read_committed");
            consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of("predictions", "receipts", "dead-letters"));
        }

        private <T> T await(List<T> list, Predicate<T> wanted, String what) {
            long deadline = System.currentTimeMillis() + 180_000;
            while (System.currentTimeMillis() < deadline) {
                for (T t : list) {
                    if (wanted.test(t)) {
                        return t;
                    }
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        switch (r.topic()) {
                            case "predictions": predictions.add(Prediction.getDecoder().decode(r.value())); break;
                            case "receipts": receipts.add(ErasureReceipt.getDecoder().decode(r.value())); break;
                            default: deadLetters.add(DeadLetter.getDecoder().decode(r.value()));
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
            throw new AssertionError("not found in time: " + what);
        }

        Prediction awaitPredictions(Predicate<Prediction> wanted) {
            return await(predictions, wanted, "a prediction");
        }

        ErasureReceipt awaitReceipt(String learner) {
            return await(receipts, r -> r.getLearnerId().equals(learner), "the receipt of " + learner);
        }

        DeadLetter awaitDeadLetter(Predicate<DeadLetter> wanted) {
            return await(deadLetters, wanted, "a dead letter");
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
