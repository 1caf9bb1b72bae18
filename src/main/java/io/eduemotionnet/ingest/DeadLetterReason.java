package io.eduemotionnet.ingest;

/** Reason codes of dead letters (the {@code reason} field and the metric label). */
public enum DeadLetterReason {
    UNDECODABLE,
    UNKNOWN_SCHEMA,
    MISSING_LEARNER_ID,
    MALFORMED_LEARNER_ID,
    MISSING_SESSION_ID,
    MALFORMED_SESSION_ID,
    MALFORMED_COHORT_ID,
    WRONG_EMBEDDING_SIZE,
    NON_FINITE_VALUE,
    INVALID_QUALITY,
    INVALID_EVENT_TIME,
    FUTURE_EVENT_TIME,
    /** a consent change that cannot grant or withdraw anything: no request id, no purposes on a grant, wrong key, ... */
    INVALID_CONSENT
}
