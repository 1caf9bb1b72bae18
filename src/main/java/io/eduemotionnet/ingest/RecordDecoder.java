package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.model.ModelInfo;
import java.io.Serializable;
import java.time.Clock;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * Turns one raw record into a valid event or a dead letter with a reason. Never throws on a record:
 * whatever is wrong with it ends in a {@link DeadLetterRecord} (nothing is dropped silently).
 * Messages never contain the embedding or the learner id.
 */
public final class RecordDecoder implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The most bytes of a bad record's value a dead letter carries. */
    public static final int MAX_RAW_BYTES = 512 * 1024;

    private final int[] dims;
    private final String idPattern;
    private final long maxFutureMillis;
    private final Clock clock;
    private transient BinaryMessageDecoder<ModalityEvent> decoder;
    private transient CurrentSchemaReader fast;
    private transient Pattern ids;

    public RecordDecoder(ModelInfo model, String idPattern, long maxFutureMillis, Clock clock) {
        this.dims = model.dims.clone();
        this.idPattern = idPattern;
        this.maxFutureMillis = maxFutureMillis;
        this.clock = clock;
    }

    public IngestResult decode(byte[] value, String topic, int partition, long offset, Long kafkaTimestamp) {
        if (decoder == null) {
            decoder = EventCodec.decoder();
            fast = new CurrentSchemaReader();
            ids = Pattern.compile(idPattern);
        }
        if (value == null || value.length == 0) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNDECODABLE, "empty record value");
        }
        ModalityEvent e;
        try {
            e = CurrentSchemaReader.claims(value) ? fast.read(value) : decoder.decode(value);
        } catch (MissingSchemaException ex) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNKNOWN_SCHEMA,
                    "written with a schema this job does not know (fingerprint not in avro/history): " + ex.getMessage());
        } catch (BadHeaderException ex) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNDECODABLE,
                    "not Avro single-object encoding: " + ex.getMessage());
        } catch (Exception | StackOverflowError ex) { // IOException, AvroRuntimeException, bad lengths, ...
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNDECODABLE,
                    "cannot decode the Avro body: " + ex.getClass().getSimpleName());
        }
        String problem;
        DeadLetterReason reason;
        String learner = e.getLearnerId();
        String session = e.getSessionId();
        int modality = e.getModality().ordinal();
        // the current schema's reader hands over its float[] as is; older schemas' lists are unboxed once
        float[] values = e.getEmbedding() == null ? null : CurrentSchemaReader.Floats.toArray(e.getEmbedding());
        if (learner == null || learner.isBlank()) {
            reason = DeadLetterReason.MISSING_LEARNER_ID;
            problem = "learner_id is empty";
        } else if (!ids.matcher(learner).matches()) {
            reason = DeadLetterReason.MALFORMED_LEARNER_ID;
            problem = "learner_id (" + learner.length() + " characters) does not match edu.ingest.id-pattern";
        } else if (session == null || session.isBlank()) {
            reason = DeadLetterReason.MISSING_SESSION_ID;
            problem = "session_id is empty";
        } else if (!ids.matcher(session).matches()) {
            reason = DeadLetterReason.MALFORMED_SESSION_ID;
            problem = "session_id does not match edu.ingest.id-pattern";
        } else if (values == null || values.length != dims[modality]) {
            reason = DeadLetterReason.WRONG_EMBEDDING_SIZE;
            problem = ModelInfo.MODALITIES.get(modality) + " embedding has " + (values == null ? 0 : values.length)
                    + " values, the model takes " + dims[modality];
        } else if (!allFinite(values)) {
            reason = DeadLetterReason.NON_FINITE_VALUE;
            problem = ModelInfo.MODALITIES.get(modality) + " embedding contains NaN or infinity";
        } else if (e.getQuality() != null && !Float.isFinite(e.getQuality())) {
            reason = DeadLetterReason.INVALID_QUALITY;
            problem = "quality is NaN or infinite";
        } else if (e.getCohortId() != null && !ids.matcher(e.getCohortId()).matches()) {
            reason = DeadLetterReason.MALFORMED_COHORT_ID;
            problem = "cohort_id does not match edu.ingest.id-pattern";
        } else if (e.getEventTime() == null || e.getEventTime().toEpochMilli() <= 0) {
            reason = DeadLetterReason.INVALID_EVENT_TIME;
            problem = "event_time is not after 1970-01-01";
        } else if (e.getEventTime().toEpochMilli() > clock.millis() + maxFutureMillis) {
            reason = DeadLetterReason.FUTURE_EVENT_TIME;
            problem = "event_time is " + (e.getEventTime().toEpochMilli() - clock.millis()) / 1000
                    + " s ahead of the wall clock (edu.ingest.max-future allows " + maxFutureMillis / 1000 + " s)";
        } else {
            float quality = e.getQuality() == null ? Float.NaN : e.getQuality();
            EmbeddingEvent event = new EmbeddingEvent(learner, session, modality, e.getEventTime().toEpochMilli(),
                    values, quality, e.getSchemaVersion());
            event.cohortId = e.getCohortId();
            return IngestResult.valid(event);
        }
        return dead(value, topic, partition, offset, kafkaTimestamp, reason, problem);
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private IngestResult dead(byte[] value, String topic, int partition, long offset, Long kafkaTimestamp,
                              DeadLetterReason reason, String detail) {
        byte[] raw = value == null ? new byte[0] : value;
        if (raw.length > MAX_RAW_BYTES) {
            // a dead letter must fit in one Kafka request (max.request.size, 1 MiB by default), or the sink would
            // fail on it and restart into it forever; topic/partition/offset still point at the whole record
            detail = detail + " (raw truncated to its first " + MAX_RAW_BYTES + " of " + raw.length + " bytes)";
            raw = Arrays.copyOf(raw, MAX_RAW_BYTES);
        }
        return IngestResult.invalid(new DeadLetterRecord(raw, topic, partition, offset, kafkaTimestamp, reason.name(),
                detail, clock.millis()));
    }
}
