package io.eduemotionnet.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.synthetic.RawRecords;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the synthetic learners' events into Kafka from its own JVM, as the learners' devices would:
 * Avro single-object encoding, keyed by learner id. Global steps {@code [from, from + steps)} of the
 * synthetic stream (from step 15 every learner is in its first session).
 *
 * <ul>
 *   <li>{@code replay}: everything at once, before the job starts (the stream lies in the past);
 *   <li>{@code live}: every event is generated first, then each learner's records are released at
 *       their slot in the step, in real time (so generating them costs nothing during the run).
 * </ul>
 *
 * Prints {@code base <epoch ms of global step 0>}, then {@code result <json>} when done.
 */
public final class EventProducer {
    private EventProducer() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = InferenceBenchmark.options(args);
        int learners = Integer.parseInt(o.get("learners"));
        long from = Long.parseLong(o.get("from-step"));
        int steps = Integer.parseInt(o.get("steps"));
        long stepMillis = Long.parseLong(o.get("step-millis"));
        boolean live = o.get("mode").equals("live");
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", String.valueOf(learners), "--edu.synthetic.missing-rate", "0.2",
                "--edu.synthetic.invalid-rate", "0", "--edu.synthetic.seed", "5",
                "--edu.synthetic.speed", live ? "1.0" : "0.0"}));
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, stepMillis, Long.parseLong(o.get("now-millis")));
        System.out.println("base " + stream.baseMillis);
        System.out.flush();
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null);
        byte[][] keys = new byte[learners][];
        for (int i = 0; i < learners; i++) {
            keys[i] = SyntheticStream.learnerId(i).getBytes(StandardCharsets.UTF_8);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        long[] eventsByStep = new long[steps];
        long[] bytes = new long[1];
        try (KafkaProducer<byte[], byte[]> producer = producer(o.get("bootstrap"))) {
            String topic = o.get("topic");
            long start = System.nanoTime();
            if (!live) {
                for (int t = 0; t < steps; t++) {
                    for (int i = 0; i < learners; i++) {
                        for (RawRecord r : generator.recordsAt((from + t) * learners + i).records) {
                            producer.send(new ProducerRecord<>(topic, keys[i], r.value));
                            eventsByStep[t]++;
                            bytes[0] += r.value.length;
                        }
                    }
                }
                producer.flush();
            } else {
                RawRecords[][] ahead = new RawRecords[steps][learners];
                for (int t = 0; t < steps; t++) {
                    for (int i = 0; i < learners; i++) {
                        ahead[t][i] = generator.recordsAt((from + t) * learners + i);
                        eventsByStep[t] += ahead[t][i].records.length;
                        for (RawRecord r : ahead[t][i].records) {
                            bytes[0] += r.value.length;
                        }
                    }
                }
                result.put("generated_in_s", InferenceBenchmark.round((System.nanoTime() - start) / 1e9));
                long maxLag = release(producer, topic, ahead, keys, stream, from);
                result.put("max_release_lag_ms", maxLag);
            }
            result.put("seconds", InferenceBenchmark.round((System.nanoTime() - start) / 1e9));
        }
        result.put("events_by_step", eventsByStep);
        result.put("bytes_per_event", Math.round((double) bytes[0] / java.util.Arrays.stream(eventsByStep).sum()));
        System.out.println("result " + new ObjectMapper().writeValueAsString(result));
    }

    /**
     * Real-time pace: learner i's records of global step t leave at base + (t + i / learners) * step,
     * the slot the synthetic stream gives their event times. Returns how late the latest release was.
     */
    private static long release(KafkaProducer<byte[], byte[]> producer, String topic, RawRecords[][] ahead, byte[][] keys,
                                SyntheticStream stream, long from) throws InterruptedException {
        int learners = keys.length;
        long maxLag = 0;
        for (int t = 0; t < ahead.length; t++) {
            for (int i = 0; i < learners; i++) {
                long due = stream.baseMillis + (long) ((from + t + (double) i / learners) * stream.stepMillis);
                long now = System.currentTimeMillis();
                if (due > now) {
                    Thread.sleep(due - now);
                } else {
                    maxLag = Math.max(maxLag, now - due);
                }
                for (RawRecord r : ahead[t][i].records) {
                    producer.send(new ProducerRecord<>(topic, keys[i], r.value));
                }
                ahead[t][i] = null;
            }
        }
        producer.flush();
        return maxLag;
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("linger.ms", "5");
        p.put("batch.size", String.valueOf(512 * 1024));
        p.put("buffer.memory", String.valueOf(256L * 1024 * 1024));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
