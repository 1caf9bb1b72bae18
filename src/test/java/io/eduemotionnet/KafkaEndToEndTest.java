package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kafka in -> Flink -> Kafka out through a real broker (KRaft, in-process): Avro events, including bad
 * ones, are produced; predictions are read back with read_committed from the exactly-once sink, and
 * every bad record is found in the dead-letter topic with its reason.
 */
class KafkaEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();
    static final int PARTITIONS = 2;

    @Test
    void eventsInPredictionsOutBadRecordsDeadLettered() throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--edu.kafka.topic.events", "events", "--edu.kafka.topic.predictions", "predictions",
                "--edu.kafka.topic.dropout", "dropout", "--edu.kafka.topic.confidence", "confidence",
                "--edu.kafka.topic.late", "late", "--edu.kafka.topic.dead-letters", "dead-letters",
                "--edu.kafka.starting-offsets", "earliest", "--edu.ingest.idleness", "10 min", // no partition idle: see TestKafka.closeStepsBefore
                "--edu.kafka.transaction-timeout", "1 min"}));
        TestKafka.createTopics(kafka.bootstrapServers(), cfg, PARTITIONS);
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000); // the exactly-once sinks commit at checkpoints
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model), cfg, model);
        EmotionPipeline.writeToKafka(out, cfg);
        JobClient job = env.executeAsync("kafka-end-to-end");
        try {
            long step = model.stepMillis;
            long t0 = (System.currentTimeMillis() / step - 100) * step; // 100 steps ago, on a step boundary
            int learners = 3;
            int steps = 6;
            List<byte[]> bad = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = producer()) {
                for (int t = 0; t < steps; t++) {
                    for (int l = 0; l < learners; l++) {
                        for (Modality m : Modality.values()) {
                            if (m == Modality.TEXT && t % 2 == 1) {
                                continue; // text is sparse
                            }
                            ModalityEvent e = TestEvents.event("learner-" + l, m, t0 + t * step + 100 * (m.ordinal() + 1), t * 31L + l);
                            send(producer, "learner-" + l, EventCodec.encode(e));
                        }
                    }
                }
                // bad records of every kind
                ModalityEvent base = TestEvents.event("learner-0", Modality.AUDIO, t0 + 50, 99);
                bad.add("not avro at all".getBytes());
                byte[] good = EventCodec.encode(base);
                bad.add(Arrays.copyOf(good, good.length / 2));
                bad.add(EventCodec.encode(ModalityEvent.newBuilder(base).setEmbedding(base.getEmbedding().subList(0, 10)).build()));
                List<Float> nan = new ArrayList<>(base.getEmbedding());
                nan.set(0, Float.NaN);
                bad.add(EventCodec.encode(ModalityEvent.newBuilder(base).setEmbedding(nan).build()));
                bad.add(EventCodec.encode(ModalityEvent.newBuilder(base).setLearnerId("").build()));
                bad.add(EventCodec.encode(ModalityEvent.newBuilder(base).setLearnerId("has spaces and @").build()));
                bad.add(EventCodec.encode(ModalityEvent.newBuilder(base).setEventTime(Instant.now().plus(Duration.ofDays(2))).build()));
                for (byte[] b : bad) {
                    send(producer, "learner-0", b);
                }
                // later events move event time past the last step on every partition, so its window closes
                TestKafka.closeStepsBefore(producer, "events", PARTITIONS, t0 + (steps + 3) * step, 1);
                producer.flush();
            }

            List<Prediction> predictions = new ArrayList<>();
            BinaryMessageDecoder<Prediction> pd = Prediction.getDecoder();
            BinaryMessageDecoder<DeadLetter> dd = DeadLetter.getDecoder();
            List<DeadLetter> deadLetters = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 120_000;
            try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
                consumer.subscribe(List.of("predictions", "dead-letters"));
                // until every learner's steps are scored (gap steps of others do not count) and every bad record is back
                while (System.currentTimeMillis() < deadline
                        && (!everyLearnerScored(predictions, learners, steps, t0, step) || deadLetters.size() < bad.size())) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.topic().equals("predictions")) {
                            predictions.add(pd.decode(r.value()));
                        } else {
                            deadLetters.add(dd.decode(r.value()));
                        }
                    }
                }
            }
            Map<String, Integer> perLearner = new HashMap<>();
            for (Prediction p : predictions) {
                if (!p.getLearnerId().startsWith("closer-")) {
                    perLearner.merge(p.getLearnerId(), 1, Integer::sum);
                }
                assertThat(p.getProbabilities().values().stream().mapToDouble(Float::doubleValue).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
            assertThat(perLearner).containsOnlyKeys("learner-0", "learner-1", "learner-2");
            assertThat(perLearner.values()).allMatch(n -> n >= steps);
            assertThat(everyLearnerScored(predictions, learners, steps, t0, step)).as("a prediction for every step with input").isTrue();
            Set<String> found = new HashSet<>();
            for (DeadLetter d : deadLetters) {
                byte[] raw = new byte[d.getRaw().remaining()];
                d.getRaw().duplicate().get(raw);
                for (int i = 0; i < bad.size(); i++) {
                    if (Arrays.equals(raw, bad.get(i))) {
                        found.add(i + ":" + d.getReason());
                    }
                }
                assertThat(d.getTopic()).isEqualTo("events");
                assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
            }
            assertThat(found).containsExactlyInAnyOrder("0:UNDECODABLE", "1:UNDECODABLE", "2:WRONG_EMBEDDING_SIZE",
                    "3:NON_FINITE_VALUE", "4:MISSING_LEARNER_ID", "5:MALFORMED_LEARNER_ID", "6:FUTURE_EVENT_TIME");
        } finally {
            job.cancel().get();
        }
    }

    /** Every learner has a prediction for each of its steps with input. */
    private static boolean everyLearnerScored(List<Prediction> predictions, int learners, int steps, long t0, long step) {
        Set<String> scored = new HashSet<>();
        for (Prediction p : predictions) {
            long index = (p.getStepStart().toEpochMilli() - t0) / step;
            if (index >= 0 && index < steps) {
                scored.add(p.getLearnerId() + "@" + index);
            }
        }
        return scored.size() == learners * steps;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>("events", key.getBytes(), value)).get();
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return TestKafka.producer(kafka.bootstrapServers());
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", "test-reader");
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
