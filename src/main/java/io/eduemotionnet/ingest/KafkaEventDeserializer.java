package io.eduemotionnet.ingest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes and validates in the source, so that the watermark is derived from valid event times only
 * (a record with a broken or far-future time must not move event time). Emits one result per record.
 */
public class KafkaEventDeserializer implements KafkaRecordDeserializationSchema<IngestResult> {
    private static final long serialVersionUID = 1L;
    private final RecordDecoder decoder;

    public KafkaEventDeserializer(RecordDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<IngestResult> out) {
        Long ts = record.timestamp() >= 0 ? record.timestamp() : null;
        out.collect(decoder.decode(record.value(), record.topic(), record.partition(), record.offset(), ts));
    }

    @Override
    public TypeInformation<IngestResult> getProducedType() {
        return TypeInformation.of(IngestResult.class);
    }
}
