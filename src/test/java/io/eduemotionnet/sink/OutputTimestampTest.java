package io.eduemotionnet.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.KafkaBroker;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An output record of a valid event with an old event time (a replay, a device clock at 1970) is kept
 * by the broker: its Kafka timestamp is the time it was written, not the event time, which brokers
 * judge by (retention.ms deletes a record whose segment holds nothing newer than the retention,
 * message.timestamp.before.max.ms refuses it). Checked against a real broker whose topic refuses
 * records stamped over a day in the past.
 */
class OutputTimestampTest {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();

    static Prediction predictionOfStepAt(long stepStart) {
        return Prediction.newBuilder()
                .setLearnerId("learner-1")
                .setSessionId("session-1")
                .setStepStart(Instant.ofEpochMilli(stepStart))
                .setStepEnd(Instant.ofEpochMilli(stepStart + 2_000))
                .setProbabilities(Map.of("engaged", 1f))
                .setLabel("engaged")
                .setMieWeights(new ModalityWeights(1f, 0f, 0f))
                .setPresent(List.of(Modality.AUDIO))
                .setModelVersion("v1")
                .setEmitTime(Instant.ofEpochMilli(System.currentTimeMillis()))
                .build();
    }

    @Test
    void aPredictionOfA1970StepIsWrittenAndKept() throws Exception {
        String topic = "old-event-time-predictions";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("message.timestamp.before.max.ms", String.valueOf(Duration.ofDays(1).toMillis()))))).all().get();
        }
        AvroKafkaSerializer<Prediction> serializer = new AvroKafkaSerializer<>(topic, Prediction::getLearnerId);
        Prediction old = predictionOfStepAt(0);
        long before = System.currentTimeMillis();
        // the sink passes the element's timestamp: the step's end - 1, here 1999 ms after the epoch
        ProducerRecord<byte[], byte[]> record = serializer.serialize(old, null, 1_999L);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(record).get(); // refused (InvalidTimestampException) when stamped with the event time
        }
        Properties c = new Properties();
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            ConsumerRecord<byte[], byte[]> read = null;
            while (read == null && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read = r;
                }
            }
            assertThat(read).as("the record of a 1970 step, read back").isNotNull();
            assertThat(Prediction.getDecoder().decode(read.value())).isEqualTo(old);
            assertThat(read.timestamp()).as("Kafka timestamp: the time of writing").isBetween(before, System.currentTimeMillis());
        }
    }
}
