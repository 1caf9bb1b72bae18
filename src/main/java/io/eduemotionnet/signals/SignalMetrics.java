package io.eduemotionnet.signals;

/** Metric names of the signals stages (docs/metrics.md describes each). */
public final class SignalMetrics {
    private SignalMetrics() {}

    /** Intervention events, per rule (label {@code rule}). */
    public static final String INTERVENTIONS = "eduInterventions";
    /** Cohort-minutes written (at least k learners). */
    public static final String COHORT_WINDOWS_PUBLISHED = "eduCohortWindowsPublished";
    /** Cohort-minutes with fewer than k learners: counted, never written. */
    public static final String COHORT_WINDOWS_SUPPRESSED = "eduCohortWindowsSuppressed";
}
