package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.KafkaBroker;
import io.eduemotionnet.TestKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * When the consent topic counts as taken in, asked of a real Kafka broker: the group's committed offsets
 * against the end offsets at the first question, transaction markers and aborted records not counted.
 */
class ConsentCatchUpTest {
    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();
    static Admin admin;

    @BeforeAll
    static void openAdmin() throws Exception {
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    @AfterAll
    static void closeAdmin() throws Exception {
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void anEmptyTopicIsTakenInAtOnce() throws Exception {
        topic("empty", 2);
        try (ConsentCatchUp.Probe probe = catchUp("empty", "g-empty").open()) {
            assertThat(probe.caughtUp()).isTrue();
        }
    }

    @Test
    void takenInWhenTheCommittedOffsetsReachTheEndsAtTheFirstQuestion() throws Exception {
        topic("plain", 2);
        try (KafkaProducer<byte[], byte[]> producer = TestKafka.producer(kafka.bootstrapServers())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>("plain", 0, key(i), new byte[] {(byte) i})).get();
            }
            producer.send(new ProducerRecord<>("plain", 1, key(9), new byte[] {9})).get();
            try (ConsentCatchUp.Probe probe = catchUp("plain", "g-plain").open()) {
                assertThat(probe.caughtUp()).as("nothing committed").isFalse();
                commit("g-plain", "plain", 0, 3);
                assertThat(probe.caughtUp()).as("partition 1 not read").isFalse();
                commit("g-plain", "plain", 1, 0);
                assertThat(probe.caughtUp()).as("partition 1 at its start").isFalse();
                // records written after the first question are the gate's usual business, not the start's
                producer.send(new ProducerRecord<>("plain", 1, key(10), new byte[] {10})).get();
                commit("g-plain", "plain", 1, 1);
                assertThat(probe.caughtUp()).isTrue();
            }
        }
    }

    @Test
    void transactionMarkersAndAbortedRecordsAfterTheCommitDoNotCount() throws Exception {
        topic("txn", 1);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("transactional.id", "consent-writer");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn", 0, key(1), new byte[] {1}));
            producer.send(new ProducerRecord<>("txn", 0, key(2), new byte[] {2}));
            producer.commitTransaction(); // offsets 0, 1 and the commit marker at 2
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn", 0, key(3), new byte[] {3}));
            producer.abortTransaction(); // offset 3 aborted, its marker at 4
        }
        try (ConsentCatchUp.Probe probe = catchUp("txn", "g-txn").open()) {
            commit("g-txn", "txn", 0, 1);
            assertThat(probe.caughtUp()).as("the record at offset 1 is still to read").isFalse();
            // what Flink's Kafka source commits after the last record it emitted: markers and aborted data remain
            commit("g-txn", "txn", 0, 2);
            assertThat(probe.caughtUp()).isTrue();
        }
    }

    static byte[] key(int i) {
        return ("learner-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    static ConsentCatchUp catchUp(String topic, String group) {
        Properties client = new Properties();
        client.put("bootstrap.servers", kafka.bootstrapServers());
        return new ConsentCatchUp(client, topic, group, Duration.ofMinutes(1));
    }

    static void topic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)
                .configs(Map.of("cleanup.policy", "compact")))).all().get();
    }

    static void commit(String group, String topic, int partition, long offset) throws Exception {
        admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, partition), new OffsetAndMetadata(offset)))
                .all().get();
    }
}
