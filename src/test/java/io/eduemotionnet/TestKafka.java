package io.eduemotionnet;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/** A real single-node Kafka (KRaft, broker and controller combined) started in-process for tests. */
public final class TestKafka {
    private TestKafka() {}

    public static KafkaClusterTestKit start() throws Exception {
        KafkaClusterTestKit kafka = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                // the default is an unreleased metadata version (../shared/STACK.md, trap 3)
                .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                .build())
                // one broker: the internal topics cannot have the default three replicas
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build();
        try {
            kafka.format();
            kafka.startup();
            kafka.waitForReadyBrokers();
            return kafka;
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
    }

    /** Creates every topic the job of {@code cfg} reads or writes (the consent topic compacted, as in production). */
    public static void createTopics(String bootstrapServers, JobConfig cfg, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            List<NewTopic> topics = cfg.kafkaTopics().stream().map(t -> {
                NewTopic topic = new NewTopic(t, partitions, (short) 1);
                return t.equals(cfg.topicConsent) ? topic.configs(Map.of("cleanup.policy", "compact")) : topic;
            }).toList();
            admin.createTopics(topics).all().get();
        }
    }

    /**
     * A producer for test input that keeps each partition's order without idempotence: on a topic just
     * created, the idempotent producer's retries against a partition that has only just got its leader
     * can fail for good with OutOfOrderSequenceException (seen here), so one request in flight instead.
     */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        p.put("enable.idempotence", "false");
        p.put("max.in.flight.requests.per.connection", "1");
        p.put("acks", "all");
        p.put("max.request.size", "4194304");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Closes every step before {@code at}: one event at {@code at} on each partition of the events topic, of
     * learner {@code closer-<partition>}. Tests close steps this way with a long source idleness rather than
     * with one event and a short idleness: on a loaded machine a partition reader starved for that long was
     * taken as idle, the watermark jumped to the other partition's events and the steps still to be read
     * arrived late (seen in fresh-clone runs).
     */
    public static void closeStepsBefore(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, long at, long seed)
            throws Exception {
        for (int partition = 0; partition < partitions; partition++) {
            String closer = "closer-" + partition;
            producer.send(new ProducerRecord<>(topic, partition, closer.getBytes(StandardCharsets.UTF_8),
                    EventCodec.encode(TestEvents.event(closer, Modality.VISUAL, at, seed)))).get();
        }
    }
}
