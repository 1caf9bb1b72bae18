package io.eduemotionnet.sink;

import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.ingest.DeadLetterRecord;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Conversions from the job's internal POJOs to the Avro records of the output topics. */
public final class AvroRecords {
    private AvroRecords() {}

    public static DeadLetter deadLetter(DeadLetterRecord d) {
        return DeadLetter.newBuilder()
                .setRaw(ByteBuffer.wrap(d.raw))
                .setTopic(d.topic)
                .setPartition(d.partition)
                .setOffset(d.offset)
                .setKafkaTimestamp(d.kafkaTimestamp == null ? null : Instant.ofEpochMilli(d.kafkaTimestamp))
                .setReason(d.reason)
                .setDetail(d.detail)
                .setDetectedAt(Instant.ofEpochMilli(d.detectedAt))
                .build();
    }
}
