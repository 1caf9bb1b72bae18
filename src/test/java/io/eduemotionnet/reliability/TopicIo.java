package io.eduemotionnet.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Plain Kafka clients against the test broker: topics, records in, every committed record out. */
final class TopicIo implements AutoCloseable {
    /** One record to produce: its partition is chosen by the test, so that it knows which reader gets it. */
    record Record(int partition, byte[] key, byte[] value) {}

    private final String bootstrap;
    private final KafkaProducer<byte[], byte[]> producer;

    TopicIo(String bootstrap) {
        this.bootstrap = bootstrap;
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "5");
        // one request in flight keeps the order without idempotence, whose sequence numbers a retry
        // against a partition that has just got its leader can confuse (OutOfOrderSequenceException)
        p.put("enable.idempotence", "false");
        p.put("max.in.flight.requests.per.connection", "1");
        p.put("acks", "all");
        p.put("max.request.size", String.valueOf(8 << 20));
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void createTopics(int partitions, List<String> topics) throws ExecutionException, InterruptedException {
        try (Admin admin = admin()) {
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList()).all().get();
        }
        // every partition has its leader before the first record is sent
        for (String topic : topics) {
            try {
                JobRuns.await("leaders of " + topic, java.time.Duration.ofSeconds(60), () -> {
                    List<PartitionInfo> infos = producer.partitionsFor(topic);
                    return infos.size() == partitions && infos.stream().allMatch(i -> i.leader() != null && !i.leader().isEmpty());
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Offsets of the records as written, in order. */
    List<Long> produce(String topic, List<Record> records) throws ExecutionException, InterruptedException {
        List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
        for (Record r : records) {
            sent.add(producer.send(new ProducerRecord<>(topic, r.partition(), r.key(), r.value())));
        }
        producer.flush();
        List<Long> offsets = new ArrayList<>();
        for (var f : sent) {
            offsets.add(f.get().offset());
        }
        return offsets;
    }

    /** Every committed record of a topic, read with read_committed up to the last stable offset. */
    List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // the LSO under read_committed
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offsets " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", "false");
        p.put("max.partition.fetch.bytes", String.valueOf(8 << 20));
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Transactional ids the broker's transaction coordinator keeps, with this prefix. */
    List<String> transactionalIds(String prefix) throws ExecutionException, InterruptedException {
        try (Admin admin = admin()) {
            return admin.listTransactions().all().get().stream().map(TransactionListing::transactionalId)
                    .filter(id -> id.startsWith(prefix)).sorted().toList();
        }
    }

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrap));
    }

    @Override
    public void close() {
        producer.close();
    }
}
