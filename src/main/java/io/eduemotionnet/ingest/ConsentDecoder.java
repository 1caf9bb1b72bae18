package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.ConsentChange;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.regex.Pattern;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * Turns one record of the consent topic into a valid {@link ConsentUpdate} or a dead letter with a reason.
 * A bad record never grants anything. A tombstone (key, no value: the platform deleted the learner's
 * consent record) is read as an erasure request, so nothing is kept for a learner whose consent is gone.
 * Messages never contain a learner id.
 */
public final class ConsentDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String idPattern;
    private final String purpose;
    private final long maxFutureMillis;
    private final Clock clock;
    private transient BinaryMessageDecoder<ConsentChange> decoder;
    private transient Pattern ids;

    public ConsentDecoder(String idPattern, String purpose, long maxFutureMillis, Clock clock) {
        this.idPattern = idPattern;
        this.purpose = purpose;
        this.maxFutureMillis = maxFutureMillis;
        this.clock = clock;
    }

    public static byte[] encode(ConsentChange change) {
        try {
            return ConsentChange.getEncoder().encode(change).array();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public IngestResult decode(byte[] key, byte[] value, String topic, int partition, long offset, Long kafkaTimestamp) {
        if (decoder == null) {
            decoder = ConsentChange.getDecoder();
            ids = Pattern.compile(idPattern);
        }
        String keyId = key == null ? null : new String(key, StandardCharsets.UTF_8);
        if (value == null) {
            return tombstone(keyId, topic, partition, offset, kafkaTimestamp);
        }
        ConsentChange c;
        try {
            c = decoder.decode(value);
        } catch (MissingSchemaException ex) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNKNOWN_SCHEMA,
                    "consent change written with a schema this job does not know: " + ex.getMessage());
        } catch (BadHeaderException ex) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNDECODABLE,
                    "not Avro single-object encoding: " + ex.getMessage());
        } catch (Exception | StackOverflowError ex) {
            return dead(value, topic, partition, offset, kafkaTimestamp, DeadLetterReason.UNDECODABLE,
                    "cannot decode the consent change: " + ex.getClass().getSimpleName());
        }
        String learner = c.getLearnerId() == null ? null : c.getLearnerId().toString();
        String request = c.getRequestId() == null ? null : c.getRequestId().toString();
        String actor = c.getActorId() == null ? null : c.getActorId().toString();
        long changedAt = c.getChangedAt() == null ? 0 : c.getChangedAt().toEpochMilli();
        DeadLetterReason reason = DeadLetterReason.INVALID_CONSENT;
        String problem;
        if (learner == null || learner.isBlank()) {
            reason = DeadLetterReason.MISSING_LEARNER_ID;
            problem = "learner_id is empty";
        } else if (!ids.matcher(learner).matches()) {
            reason = DeadLetterReason.MALFORMED_LEARNER_ID;
            problem = "learner_id (" + learner.length() + " characters) does not match edu.ingest.id-pattern";
        } else if (keyId != null && !keyId.equals(learner)) {
            problem = "the record's key is not its learner_id (compaction would keep the wrong record)";
        } else if (request == null || !ids.matcher(request).matches()) {
            problem = "request_id is empty or does not match edu.ingest.id-pattern (a receipt must quote it)";
        } else if (actor == null || !ids.matcher(actor).matches()) {
            problem = "actor_id is empty or does not match edu.ingest.id-pattern";
        } else if (c.getAction() == null || c.getActorRole() == null) {
            problem = "action or actor_role is missing";
        } else if (c.getAction() == ConsentAction.GRANTED && c.getPurposes().isEmpty()) {
            problem = "a grant without purposes";
        } else if (changedAt <= 0) {
            reason = DeadLetterReason.INVALID_EVENT_TIME;
            problem = "changed_at is not after 1970-01-01";
        } else if (changedAt > clock.millis() + maxFutureMillis) {
            reason = DeadLetterReason.FUTURE_EVENT_TIME;
            problem = "changed_at is " + (changedAt - clock.millis()) / 1000 + " s ahead of the wall clock"
                    + " (edu.ingest.max-future allows " + maxFutureMillis / 1000 + " s)";
        } else {
            boolean covers = false;
            for (CharSequence p : c.getPurposes()) {
                covers |= purpose.contentEquals(p);
            }
            return IngestResult.consent(new ConsentUpdate(learner, c.getAction(), covers, changedAt, request));
        }
        return dead(value, topic, partition, offset, kafkaTimestamp, reason, problem);
    }

    private IngestResult tombstone(String keyId, String topic, int partition, long offset, Long kafkaTimestamp) {
        if (keyId == null || keyId.isBlank()) {
            return dead(null, topic, partition, offset, kafkaTimestamp, DeadLetterReason.MISSING_LEARNER_ID,
                    "a tombstone (no value) without a key");
        }
        if (!ids.matcher(keyId).matches()) {
            return dead(null, topic, partition, offset, kafkaTimestamp, DeadLetterReason.MALFORMED_LEARNER_ID,
                    "a tombstone whose key does not match edu.ingest.id-pattern");
        }
        long at = kafkaTimestamp != null ? kafkaTimestamp : clock.millis();
        return IngestResult.consent(new ConsentUpdate(keyId, ConsentAction.ERASURE_REQUESTED, false, at,
                "tombstone-" + partition + "-" + offset));
    }

    private IngestResult dead(byte[] value, String topic, int partition, long offset, Long kafkaTimestamp,
                              DeadLetterReason reason, String detail) {
        // a consent change is small (no embedding): the whole record is kept
        return IngestResult.invalid(new DeadLetterRecord(value == null ? new byte[0] : value, topic, partition, offset,
                kafkaTimestamp, reason.name(), detail, clock.millis()));
    }
}
