package io.eduemotionnet.reliability;

import io.eduemotionnet.avro.Prediction;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Waits for the sentinel learners' predictions (LearnerStream#sentinels): the stream before them is scored. */
final class Sentinels {
    private Sentinels() {}

    static void await(TopicIo io, String prefix, LearnerStream stream, int round, int... partitions) throws Exception {
        Set<String> waiting = new HashSet<>();
        for (int p : partitions) {
            waiting.add(LearnerStream.sentinel(p));
        }
        String topic = prefix + "-predictions";
        try (KafkaConsumer<byte[], byte[]> consumer = io.consumer()) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map((PartitionInfo i) -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            JobRuns.await("the sentinels' predictions in " + topic, Duration.ofSeconds(120), () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Prediction p = Prediction.getDecoder().decode(r.value());
                    if (p.getStepStart().toEpochMilli() == stream.sentinelStep(round)) {
                        waiting.remove(p.getLearnerId());
                    }
                }
                return waiting.isEmpty();
            });
        }
    }
}
