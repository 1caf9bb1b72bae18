package io.eduemotionnet.ingest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Decodes and validates the consent topic's records in the source: one result per record. */
public class KafkaConsentDeserializer implements KafkaRecordDeserializationSchema<IngestResult> {
    private static final long serialVersionUID = 1L;
    private final ConsentDecoder decoder;

    public KafkaConsentDeserializer(ConsentDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<IngestResult> out) {
        Long ts = record.timestamp() >= 0 ? record.timestamp() : null;
        out.collect(decoder.decode(record.key(), record.value(), record.topic(), record.partition(), record.offset(), ts));
    }

    @Override
    public TypeInformation<IngestResult> getProducedType() {
        return TypeInformation.of(IngestResult.class);
    }
}
