package io.eduemotionnet.synthetic;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.avro.ConsentActor;
import io.eduemotionnet.avro.ConsentChange;
import io.eduemotionnet.ingest.ConsentDecoder;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The synthetic learners' consent, drawn per learner from the seed: a grant at the start of the stream
 * (before any event; half of them by a guardian), none at all, or a grant and a withdrawal in the middle of
 * the learner's first session. The records are written as a platform writes them to the consent topic.
 */
public final class SyntheticConsent implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String PURPOSE = "emotion-recognition";

    /** What a learner does with consent. */
    public enum Kind { GRANTS, NEVER_GRANTS, WITHDRAWS }

    private final SyntheticStream stream;
    public final double noConsentRate;
    public final double withdrawRate;

    SyntheticConsent(SyntheticStream stream, double noConsentRate, double withdrawRate) {
        this.stream = stream;
        this.noConsentRate = noConsentRate;
        this.withdrawRate = withdrawRate;
    }

    public Kind kind(int learner) {
        double u = new SplittableRandom(LearnerSimulator.mix(stream.seed, learner, 5)).nextDouble();
        return u < noConsentRate ? Kind.NEVER_GRANTS : u < noConsentRate + withdrawRate ? Kind.WITHDRAWS : Kind.GRANTS;
    }

    /** The global step at whose start a withdrawing learner withdraws: the middle of its first session. */
    public long withdrawalStep(int learner) {
        long[] first = new LearnerSimulator.Schedule(stream.spec, stream.seed, learner, Math.max(1, stream.sessionsPerLearner))
                .firstSession();
        return first[0] + Math.max(1, first[1] / 2);
    }

    /** The consent records the learner sends just before its events of global step {@code t}. */
    public byte[][] recordsAt(int learner, long t) {
        Kind kind = kind(learner);
        if (kind == Kind.NEVER_GRANTS) {
            return new byte[0][];
        }
        if (t == 0) {
            // granted one step before the stream's first event time
            return new byte[][] {record(learner, ConsentAction.GRANTED, stream.baseMillis - stream.stepMillis, "g")};
        }
        if (kind == Kind.WITHDRAWS && t == withdrawalStep(learner)) {
            return new byte[][] {record(learner, ConsentAction.WITHDRAWN, stream.baseMillis + t * stream.stepMillis, "w")};
        }
        return new byte[0][];
    }

    private byte[] record(int learner, ConsentAction action, long at, String prefix) {
        String id = SyntheticStream.learnerId(learner);
        boolean guardian = learner % 2 == 1;
        return ConsentDecoder.encode(ConsentChange.newBuilder()
                .setLearnerId(id)
                .setAction(action)
                .setPurposes(action == ConsentAction.GRANTED ? List.of(PURPOSE) : List.of())
                .setChangedAt(Instant.ofEpochMilli(at))
                .setActorRole(guardian ? ConsentActor.GUARDIAN : ConsentActor.LEARNER)
                .setActorId(guardian ? "guardian-" + learner : id)
                .setRequestId(prefix + "-" + learner)
                .build());
    }
}
