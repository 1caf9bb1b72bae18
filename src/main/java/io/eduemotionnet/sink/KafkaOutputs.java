package io.eduemotionnet.sink;

import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.JobOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.function.SerializableFunction;

/** Exactly-once Kafka sinks for every output topic (transactions commit at checkpoints). */
public final class KafkaOutputs {
    private KafkaOutputs() {}

    /** Extra client properties (security) from edu.kafka.properties-file, e.g. a mounted Secret. */
    public static Properties clientProperties(JobConfig cfg) {
        Properties props = new Properties();
        if (cfg.kafkaPropertiesFile != null && !cfg.kafkaPropertiesFile.isBlank()) {
            try (InputStream in = Files.newInputStream(Path.of(cfg.kafkaPropertiesFile))) {
                props.load(in);
            } catch (IOException e) {
                throw new ConfigException(JobOptions.KAFKA_SECURITY_PROPERTIES.key(),
                        "cannot read '" + cfg.kafkaPropertiesFile + "': " + e.getMessage());
            }
        }
        return props;
    }

    public static <T extends SpecificRecord> void write(DataStream<T> stream, JobConfig cfg, String topic, String name,
                                                        SerializableFunction<T, String> key) {
        Properties props = clientProperties(cfg);
        props.setProperty("transaction.timeout.ms", String.valueOf(cfg.kafkaTransactionTimeout.toMillis()));
        KafkaSink<T> sink = KafkaSink.<T>builder()
                .setBootstrapServers(cfg.kafkaBootstrap)
                .setKafkaProducerConfig(props)
                .setRecordSerializer(new AvroKafkaSerializer<>(topic, key))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(cfg.kafkaGroupId + "-" + name)
                // reuse a bounded pool of transactional ids: the default names a new one per checkpoint,
                // subtask and sink, and brokers keep each for transactional.id.expiration.ms (7 days)
                .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                .build();
        stream.sinkTo(sink).name(name + "-kafka-sink").uid(name + "-kafka-sink");
    }
}
