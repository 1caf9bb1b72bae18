package io.eduemotionnet.privacy;

/** The privacy stage's metric names (docs/metrics.md), registered in the consent gate's and the receipts' metric groups. */
public final class PrivacyMetrics {
    private PrivacyMetrics() {}

    /** Valid consent changes the gate received (grants, withdrawals, erasure requests). */
    public static final String CONSENT_CHANGES = "eduConsentChanges";
    /** Events discarded by the gate: no current grant covered them. Not scored, not dead-lettered. */
    public static final String EVENTS_WITHOUT_CONSENT = "eduEventsWithoutConsent";
    /** Erasure orders the gate sent down the learner's stages. */
    public static final String ERASURE_ORDERS = "eduErasureOrders";
    /** Erasure receipts handed to the receipts sink. */
    public static final String ERASURE_RECEIPTS = "eduErasureReceipts";
}
