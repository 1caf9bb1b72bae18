package io.eduemotionnet.ingest;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Whether the job has taken in the consent topic as it stood when the job started: every partition's
 * end offset then (read committed) is reached by the offsets the job's consent source has committed to
 * its consumer group. The Kafka source commits those offsets when a checkpoint completes, and a checkpoint
 * completes only after every operator, the consent gate included, has processed every record before its
 * barrier: so a caught-up answer means the gate holds every grant that was on the topic at the start.
 *
 * <p>Kafka's source commits the offset after the last record it emitted, so transaction markers at the end
 * of a partition (a transactional producer) stay behind the commit; a partition whose remaining offsets
 * hold no record for a read-committed consumer counts as caught up.
 */
public final class ConsentCatchUp implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Properties client;
    private final String topic;
    private final String groupId;
    public final Duration timeout;

    /**
     * @param client  the job's Kafka client properties, {@code bootstrap.servers} included
     * @param timeout how long the events may wait for the consent topic before they are read anyway
     */
    public ConsentCatchUp(Properties client, String topic, String groupId, Duration timeout) {
        this.client = client;
        this.topic = topic;
        this.groupId = groupId;
        this.timeout = timeout;
    }

    public Probe open() {
        return new Probe();
    }

    /** One job start's question: it fixes the end offsets at its first call. */
    public final class Probe implements AutoCloseable {
        private Admin admin;
        private KafkaConsumer<byte[], byte[]> consumer;
        private Map<TopicPartition, long[]> toRead; // partition -> {earliest, end} at the first call

        public synchronized boolean caughtUp() throws Exception {
            if (admin == null) {
                admin = Admin.create(client);
            }
            if (toRead == null) {
                toRead = partitionsToRead();
            }
            if (toRead.isEmpty()) {
                return true;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            for (Map.Entry<TopicPartition, long[]> p : toRead.entrySet()) {
                OffsetAndMetadata at = committed.get(p.getKey());
                long from = at == null ? p.getValue()[0] : at.offset();
                long end = p.getValue()[1];
                if (from < end && recordsBetween(p.getKey(), from, end)) {
                    return false;
                }
            }
            return true;
        }

        /** The partitions with offsets to read, and their earliest and end offsets now. */
        private Map<TopicPartition, long[]> partitionsToRead() throws Exception {
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> earliest = offsets(partitions, OffsetSpec.earliest());
            Map<TopicPartition, Long> end = offsets(partitions, OffsetSpec.latest());
            Map<TopicPartition, long[]> read = new HashMap<>();
            for (TopicPartition p : partitions) {
                if (earliest.get(p) < end.get(p)) {
                    read.put(p, new long[] {earliest.get(p), end.get(p)});
                }
            }
            return read;
        }

        private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
            return admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> spec)),
                            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }

        /** Whether a read-committed consumer finds a record in [from, end): false if only markers are left. */
        private boolean recordsBetween(TopicPartition partition, long from, long end) {
            if (consumer == null) {
                Properties p = new Properties();
                p.putAll(client);
                p.put("isolation.level", "read_committed");
                p.put("enable.auto.commit", "false");
                p.put("max.poll.records", "1");
                p.remove("group.id");
                consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            }
            consumer.assign(List.of(partition));
            consumer.seek(partition, from);
            long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() < end) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return true; // not known yet: ask again at the next check
                }
            }
            return false;
        }

        /** Closes the clients; a later call opens them again. */
        @Override
        public synchronized void close() {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
                consumer = null;
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
                admin = null;
            }
        }
    }
}
