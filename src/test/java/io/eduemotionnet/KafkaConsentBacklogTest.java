package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.privacy.PrivacyMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first start against topics that already hold data, through a real Kafka broker: the consent topic holds
 * 20 000 grants of other learners before the two grants that matter, the events topic 40 steps of three
 * learners. The events wait until the gate has taken in the consent topic, so every step of the two
 * granted learners is scored and only the events without a grant are discarded (counted). Without the
 * wait the gate saw most events before their grants and scored none of them.
 */
class KafkaConsentBacklogTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();
    static final int STEPS = 40;
    static final int OTHER_GRANTS = 20_000;
    static final int PARTITIONS = 2;
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    @Test
    void eventsWaitingBeforeTheFirstStartAreScoredOnceTheirGrantsAreTakenIn(@TempDir Path savepoints) throws Exception {
        JobConfig cfg = KafkaConsentEndToEndTest.config(kafka.bootstrapServers()); // its topic names, on this broker
        assertThat(cfg.waitsForConsent()).as("the default with Kafka").isTrue();
        TestKafka.createTopics(kafka.bootstrapServers(), cfg, PARTITIONS);
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        long step = model.stepMillis;
        long t0 = (System.currentTimeMillis() / step - 200) * step;

        // everything is on the topics before the job starts: the grants that matter last
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer(kafka.bootstrapServers())) {
            for (int i = 0; i < OTHER_GRANTS; i++) {
                send(producer, "consent", "other-" + i,
                        KafkaConsentEndToEndTest.consent("other-" + i, ConsentAction.GRANTED, t0 - step, "o-" + i, false));
            }
            for (int l = 0; l < 2; l++) { // learner-2 never grants
                send(producer, "consent", "learner-" + l,
                        KafkaConsentEndToEndTest.consent("learner-" + l, ConsentAction.GRANTED, t0 - step, "g-" + l, false));
            }
            for (int t = 0; t < STEPS; t++) {
                for (int l = 0; l < 3; l++) {
                    for (Modality m : Modality.values()) {
                        send(producer, "events", "learner-" + l, EventCodec.encode(
                                TestEvents.event("learner-" + l, m, t0 + t * step + 100 * (m.ordinal() + 1), t * 31L + l)));
                    }
                }
            }
            TestKafka.closeStepsBefore(producer, "events", PARTITIONS, t0 + (STEPS + 5) * step, 1);
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model),
                EmotionPipeline.consentSource(env, cfg), cfg, model);
        EmotionPipeline.writeToKafka(out, cfg);
        JobClient job = env.executeAsync("kafka-consent-backlog");
        Map<String, Set<Long>> scoredSteps = new TreeMap<>();
        try {
            awaitLastSteps(scoredSteps, t0, step);
            String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
            assertThat(savepoint).isNotBlank();
            JobExecutionResult result = job.getJobExecutionResult().get();
            assertThat(scoredSteps).containsOnlyKeys("learner-0", "learner-1");
            // steps after the last event are scored from the carried state too (the gap rule): count those with input
            assertThat(scoredSteps.get("learner-0").stream().filter(t -> t < STEPS)).as("every step of learner-0").hasSize(STEPS);
            assertThat(scoredSteps.get("learner-1").stream().filter(t -> t < STEPS)).as("every step of learner-1").hasSize(STEPS);
            assertThat(result.<Long>getAccumulatorResult(PrivacyMetrics.EVENTS_WITHOUT_CONSENT))
                    .as("discarded: learner-2's events and the closing ones, none of the granted learners'")
                    .isEqualTo(STEPS * 3L + PARTITIONS);
        } finally {
            if (!job.getJobStatus().get().isTerminalState()) {
                job.cancel().get();
            }
        }
    }

    /** Reads committed predictions until both granted learners' last step is in (or three minutes pass). */
    private static void awaitLastSteps(Map<String, Set<Long>> scoredSteps, long t0, long step) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", "backlog-test-reader");
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        long deadline = System.currentTimeMillis() + 180_000;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("predictions"));
            while (!(last(scoredSteps, "learner-0") && last(scoredSteps, "learner-1"))) {
                assertThat(System.currentTimeMillis()).as("the last steps in time; scored so far: " + scoredSteps).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Prediction pr = Prediction.getDecoder().decode(r.value());
                    scoredSteps.computeIfAbsent(pr.getLearnerId(), k -> new TreeSet<>())
                            .add((pr.getStepStart().toEpochMilli() - t0) / step);
                }
            }
        }
    }

    private static boolean last(Map<String, Set<Long>> scoredSteps, String learner) {
        return scoredSteps.getOrDefault(learner, Set.of()).contains((long) STEPS - 1);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value));
    }
}
