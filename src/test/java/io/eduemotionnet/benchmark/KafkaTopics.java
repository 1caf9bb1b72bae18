package io.eduemotionnet.benchmark;

import io.eduemotionnet.avro.Prediction;
import java.time.Duration;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** One run's topics on the benchmark broker: created fresh, read back, deleted (they take disk). */
final class KafkaTopics {
    static final List<String> KINDS = List.of("events", "predictions", "dropout", "confidence", "late", "dead-letters",
            "interventions", "cohort-affect");

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
            admin.createTopics(KINDS.stream().map(k -> new NewTopic(name(k), partitions, (short) 1))
                    .collect(Collectors.toList())).all().get();
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
