package io.eduemotionnet.sink;

import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.ingest.DeadLetterRecord;
import io.eduemotionnet.ingest.EmbeddingEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Conversions from the job's internal POJOs to the Avro records of the output topics. */
public final class AvroRecords {
    private AvroRecords() {}

    public static ModalityEvent modalityEvent(EmbeddingEvent e) {
        List<Float> values = new ArrayList<>(e.embedding.length);
        for (float v : e.embedding) {
            values.add(v);
        }
        return ModalityEvent.newBuilder()
                .setSchemaVersion(e.schemaVersion)
                .setLearnerId(e.learnerId)
                .setSessionId(e.sessionId)
                .setModality(Modality.values()[e.modality])
                .setEventTime(Instant.ofEpochMilli(e.eventTime))
                .setEmbedding(values)
                .setQuality(Float.isNaN(e.quality) ? null : e.quality)
                .build();
    }

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
