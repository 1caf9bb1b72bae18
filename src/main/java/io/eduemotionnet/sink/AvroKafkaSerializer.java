package io.eduemotionnet.sink;

import io.eduemotionnet.ingest.SingleObjectEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes an Avro record as Avro single-object encoding (the same wire format the job reads), keyed
 * by the learner id so each learner's records keep their order within one partition. It names its
 * topic to the sink (a dataset facet), which the pooled transaction naming needs.
 */
public class AvroKafkaSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T>,
        KafkaDatasetFacetProvider {
    private static final long serialVersionUID = 1L;
    private final String topic;
    private final SerializableFunction<T, String> key;
    private transient SingleObjectEncoder<T> encoder;

    public AvroKafkaSerializer(String topic, SerializableFunction<T, String> key) {
        this.topic = topic;
        this.key = key;
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        if (encoder == null) {
            // the generated class's own model: it carries the logical-type conversions (Instant)
            encoder = new SingleObjectEncoder<>(SpecificData.getForClass(element.getClass()), element.getSchema());
        }
        byte[] value = encoder.encode(element);
        String k = key.apply(element);
        // no event time as the Kafka timestamp (the producer stamps the time of writing): the broker's
        // retention (retention.ms, default 7 days) and timestamp checks (message.timestamp.before.max.ms)
        // go by it, and a valid event with an old time (a replay, a device clock at 1970) would make its
        // prediction or late-event record expire, or be refused, as soon as it is written; the event
        // time is in the record itself (step_start, event_time)
        return new ProducerRecord<>(topic, null, null, k == null ? null : k.getBytes(StandardCharsets.UTF_8), value);
    }
}
