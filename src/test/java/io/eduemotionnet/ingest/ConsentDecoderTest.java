package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.ConsentActor;
import io.eduemotionnet.avro.ConsentChange;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Consent records: valid ones become updates, bad ones dead letters that grant nothing. */
class ConsentDecoderTest {
    static final long NOW = 1_780_000_000_000L;
    static final String PATTERN = "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}";
    final ConsentDecoder decoder = new ConsentDecoder(PATTERN, "emotion-recognition", 300_000,
            Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

    static ConsentChange.Builder grant(String learner) {
        return ConsentChange.newBuilder().setLearnerId(learner).setAction(ConsentAction.GRANTED)
                .setPurposes(List.of("emotion-recognition", "analytics")).setChangedAt(Instant.ofEpochMilli(NOW - 60_000))
                .setActorRole(ConsentActor.GUARDIAN).setActorId("guardian-7").setRequestId("req-1");
    }

    private IngestResult decode(String key, ConsentChange c) {
        return decoder.decode(key == null ? null : key.getBytes(StandardCharsets.UTF_8), ConsentDecoder.encode(c),
                "consent", 0, 42, null);
    }

    @Test
    void aValidGrantOfThePurposeGrants() {
        IngestResult r = decode("learner-1", grant("learner-1").build());
        assertThat(r.consent).isNotNull();
        assertThat(r.consent.grants()).isTrue();
        assertThat(r.consent.changedAt).isEqualTo(NOW - 60_000);
        assertThat(r.consent.requestId).isEqualTo("req-1");
        IngestResult other = decode("learner-1", grant("learner-1").setPurposes(List.of("analytics")).build());
        assertThat(other.consent.grants()).as("a grant of other purposes is not one for this job").isFalse();
        IngestResult withdrawal = decode(null, grant("learner-1").setAction(ConsentAction.WITHDRAWN).setPurposes(List.of()).build());
        assertThat(withdrawal.consent.action).isEqualTo(ConsentAction.WITHDRAWN);
    }

    @Test
    void badRecordsAreDeadLettersWithAReasonAndNeverGrant() {
        assertDead(decoder.decode(null, "no avro".getBytes(), "consent", 0, 1, null), "UNDECODABLE");
        byte[] good = ConsentDecoder.encode(grant("learner-1").build());
        assertDead(decoder.decode(null, Arrays.copyOf(good, good.length - 3), "consent", 0, 1, null), "UNDECODABLE");
        assertDead(decode(null, grant("").build()), "MISSING_LEARNER_ID");
        assertDead(decode(null, grant("Jane Doe <jane@example.com>").build()), "MALFORMED_LEARNER_ID");
        assertDead(decode("learner-2", grant("learner-1").build()), "INVALID_CONSENT", "key is not its learner_id");
        assertDead(decode(null, grant("learner-1").setRequestId("").build()), "INVALID_CONSENT", "request_id");
        assertDead(decode(null, grant("learner-1").setActorId("mum's e-mail").build()), "INVALID_CONSENT", "actor_id");
        assertDead(decode(null, grant("learner-1").setPurposes(List.of()).build()), "INVALID_CONSENT", "without purposes");
        assertDead(decode(null, grant("learner-1").setChangedAt(Instant.ofEpochMilli(0)).build()), "INVALID_EVENT_TIME");
        assertDead(decode(null, grant("learner-1").setChangedAt(Instant.ofEpochMilli(NOW + 3_600_000)).build()),
                "FUTURE_EVENT_TIME");
    }

    @Test
    void aTombstoneIsAnErasureRequestOfItsKey() {
        IngestResult r = decoder.decode("learner-1".getBytes(StandardCharsets.UTF_8), null, "consent", 3, 77, NOW - 5);
        assertThat(r.consent.action).isEqualTo(ConsentAction.ERASURE_REQUESTED);
        assertThat(r.consent.learnerId).isEqualTo("learner-1");
        assertThat(r.consent.requestId).isEqualTo("tombstone-3-77");
        assertThat(r.consent.changedAt).isEqualTo(NOW - 5);
        assertDead(decoder.decode(null, null, "consent", 0, 1, null), "MISSING_LEARNER_ID");
        assertDead(decoder.decode("not an id!".getBytes(StandardCharsets.UTF_8), null, "consent", 0, 1, null), "MALFORMED_LEARNER_ID");
    }

    private static void assertDead(IngestResult r, String reason, String... detail) {
        assertThat(r.consent).as("never a consent update").isNull();
        assertThat(r.deadLetter.reason).isEqualTo(reason);
        assertThat(r.deadLetter.topic).isEqualTo("consent");
        assertThat(r.deadLetter.detail).doesNotContain("learner-1").doesNotContain("Jane");
        for (String d : detail) {
            assertThat(r.deadLetter.detail).contains(d);
        }
    }
}
