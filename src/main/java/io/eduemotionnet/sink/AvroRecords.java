package io.eduemotionnet.sink;

import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.ErasureCause;
import io.eduemotionnet.avro.ErasureReceipt;
import io.eduemotionnet.ingest.DeadLetterRecord;
import io.eduemotionnet.privacy.ErasureOrder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

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

    /** The receipt of an erasure order that has passed every stage; every kind is listed, 0 if nothing. */
    public static ErasureReceipt erasureReceipt(ErasureOrder o, long completedAt) {
        Map<String, Long> deleted = new LinkedHashMap<>();
        for (ErasureOrder.Deleted kind : ErasureOrder.Deleted.values()) {
            deleted.put(kind.name(), o.deleted(kind));
        }
        return ErasureReceipt.newBuilder()
                .setLearnerId(o.learnerId)
                .setRequestId(o.requestId)
                .setCause(ErasureCause.valueOf(o.cause))
                .setRequestedAt(Instant.ofEpochMilli(o.requestedAt))
                .setCompletedAt(Instant.ofEpochMilli(completedAt))
                .setDeleted(deleted)
                .build();
    }
}
