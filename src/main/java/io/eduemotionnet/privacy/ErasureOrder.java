package io.eduemotionnet.privacy;

/**
 * An order to forget one learner. It travels down the stages keyed by learner (consent gate, learner
 * operator, signals): each deletes everything it holds for that learner at once, adds what it deleted to
 * {@link #deleted}, and passes the order on; after the last stage it becomes an ErasureReceipt. An order
 * is a record, not a time: a stage acts on it when it arrives, whatever the watermark.
 */
public class ErasureOrder {
    /** What a stage deleted, counted by kind (the receipt reports each). */
    public enum Deleted {
        /** the learner's consent record in the gate */
        CONSENT,
        /** the learner's carried model state (TFL state and session bookkeeping) */
        LEARNER_STATE,
        /** steps still open or waiting for their watermark (heap or spilled) */
        OPEN_STEPS,
        /** event-time or processing-time timers of the learner */
        TIMERS,
        /** per-learner state of the stages after scoring (intervention rules, cohort bookkeeping) */
        SIGNAL_STATE
    }

    public String learnerId;
    public String requestId;
    /** When the request was made, ms since the epoch (the request record's time). */
    public long requestedAt;
    /** Why: "WITHDRAWAL" (consent withdrawn) or "REQUEST" (erasure asked for). */
    public String cause;
    /** Counts by {@link Deleted} ordinal. */
    public long[] deleted = new long[Deleted.values().length];

    public ErasureOrder() {}

    public ErasureOrder(String learnerId, String requestId, long requestedAt, String cause) {
        this.learnerId = learnerId;
        this.requestId = requestId;
        this.requestedAt = requestedAt;
        this.cause = cause;
    }

    public void addDeleted(Deleted kind, long count) {
        deleted[kind.ordinal()] += count;
    }

    public long deleted(Deleted kind) {
        return deleted[kind.ordinal()];
    }
}
