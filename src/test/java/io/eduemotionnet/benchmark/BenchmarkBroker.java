package io.eduemotionnet.benchmark;

import io.eduemotionnet.TestKafka;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * The benchmark's Kafka broker in its own JVM (the same single-node KRaft test kit as the end-to-end
 * test), so that its CPU stays out of the job's. Prints {@code bootstrap <servers>}, then runs until its
 * stdin is closed.
 */
public final class BenchmarkBroker {
    private BenchmarkBroker() {}

    public static void main(String[] args) throws Exception {
        KafkaClusterTestKit kafka = TestKafka.start();
        try {
            System.out.println("bootstrap " + kafka.bootstrapServers());
            System.out.flush();
            while (System.in.read() >= 0) {
                // runs until the benchmark closes our stdin
            }
        } finally {
            kafka.close();
        }
    }
}
