package io.eduemotionnet.benchmark;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.ConsentActor;
import io.eduemotionnet.avro.ConsentChange;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobOptions;
import io.eduemotionnet.ingest.ConsentDecoder;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** One run's topics on the benchmark broker: created fresh, read back, deleted (they take disk). */
final class KafkaTopics {
    static final List<String> KINDS = List.of("events", "consent", "predictions", "dropout", "confidence", "late", "dead-letters",
            "erasure-receipts", "interventions", "cohort-affect");

    private final String bootstrap;
    private final String run;
    private final int partitions;

    KafkaTopics(String bootstrap, String run, int partitions) {
        this.bootstrap = bootstrap;
        this.run = run;
        this.partitions = partitions;
    }

    String name(String kind) {
        return run + "-" + kind;
    }

    void create() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(KINDS.stream().map(k -> new NewTopic(name(k), partitions, (short) 1)
                            .configs(k.equals("consent") ? Map.of("cleanup.policy", "compact") : Map.of()))
                    .collect(Collectors.toList())).all().get();
        }
    }

    /**
     * A grant of the job's default purpose for each of the synthetic learners 0..learners-1 on the consent topic,
     * a day before their events: the job runs with the consent gate, as on a cluster (its default), and
     * scores every learner.
     */
    void grantConsent(int learners) throws Exception {
        String purpose = JobOptions.CONSENT_PURPOSE.defaultValue(); // the job's, as the benchmark configures it
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "5");
        Instant at = Instant.now().minus(Duration.ofDays(1));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < learners; i++) {
                String id = SyntheticStream.learnerId(i);
                byte[] grant = ConsentDecoder.encode(ConsentChange.newBuilder()
                        .setLearnerId(id).setAction(ConsentAction.GRANTED).setPurposes(List.of(purpose))
                        .setChangedAt(at).setActorRole(ConsentActor.LEARNER).setActorId(id).setRequestId("benchmark-" + i)
                        .build());
                producer.send(new ProducerRecord<>(name("consent"), id.getBytes(StandardCharsets.UTF_8), grant));
            }
            producer.flush();
        }
    }

    void delete() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.deleteTopics(KINDS.stream().map(this::name).collect(Collectors.toList())).all().get();
        }
    }

    /** Every committed prediction (read_committed), up to the last stable offsets as of now. */
    List<Prediction> committedPredictions() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("isolation.level", "read_committed");
        p.put("max.poll.records", "5000");
        BinaryMessageDecoder<Prediction> decoder = Prediction.getDecoder();
        List<Prediction> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                parts.add(new TopicPartition(name("predictions"), i));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts); // the last stable offsets
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        out.add(decoder.decode(r.value()));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException("undecodable prediction at offset " + r.offset(), e);
                    }
                }
            }
        }
        return out;
    }
}
