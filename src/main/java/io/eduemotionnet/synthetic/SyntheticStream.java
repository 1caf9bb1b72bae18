package io.eduemotionnet.synthetic;

import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.JobOptions;
import io.eduemotionnet.config.ResourceLoader;
import java.io.Serializable;

/**
 * The built-in synthetic source's settings: which learners, sessions, missing rate and seed, and where
 * event time starts. Learners step through global time together; global step t covers event time
 * [base + t * step, base + (t + 1) * step).
 */
public final class SyntheticStream implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String TOPIC = "synthetic";
    public static final String CONSENT_TOPIC = "synthetic-consent";

    public final BenchmarkSpec spec;
    public final int learners;
    public final int sessionsPerLearner;
    public final double missingRate;
    public final double anomalyRate;
    public final long seed;
    public final double speed;
    public final long stepMillis;
    public final long baseMillis;
    /** Global steps until the last session ends (Long.MAX_VALUE when unbounded). */
    public final long totalSteps;
    /** Shares of learners who never grant consent and who withdraw it mid-session; no consent records when both are null. */
    public final SyntheticConsent consent;
    /** Learners per cohort (cohort_id {@link #cohortId}); 0 = events carry no cohort. */
    public final int cohortSize;

    public SyntheticStream(BenchmarkSpec spec, int learners, int sessionsPerLearner, double missingRate, double anomalyRate,
                           long seed, double speed, long stepMillis, long nowMillis) {
        this(spec, learners, sessionsPerLearner, missingRate, anomalyRate, seed, speed, stepMillis, nowMillis, 0);
    }

    public SyntheticStream(BenchmarkSpec spec, int learners, int sessionsPerLearner, double missingRate, double anomalyRate,
                           long seed, double speed, long stepMillis, long nowMillis, int cohortSize) {
        this.spec = spec;
        this.cohortSize = cohortSize;
        this.learners = learners;
        this.sessionsPerLearner = sessionsPerLearner;
        this.missingRate = missingRate;
        this.anomalyRate = anomalyRate;
        this.seed = seed;
        this.speed = speed;
        this.stepMillis = stepMillis;
        spec.modalityMissingRates(missingRate); // fail early on an impossible rate
        long total = 0;
        if (sessionsPerLearner > 0) {
            for (int i = 0; i < learners; i++) {
                total = Math.max(total, new LearnerSimulator.Schedule(spec, seed, i, sessionsPerLearner).end());
            }
        }
        this.totalSteps = sessionsPerLearner > 0 ? total : Long.MAX_VALUE;
        this.consent = null;
        // replayed faster than real time, the stream lies in the past (the job refuses future event
        // times); in real time it starts now
        long start = speed == 1.0 ? nowMillis : nowMillis - (sessionsPerLearner > 0 ? total : 86_400_000L / stepMillis) * stepMillis;
        this.baseMillis = start - Math.floorMod(start, stepMillis);
    }

    private SyntheticStream(SyntheticStream other, long totalSteps) {
        this(other, totalSteps, other.consent);
    }

    private SyntheticStream(SyntheticStream other, long totalSteps, SyntheticConsent consent) {
        this.spec = other.spec;
        this.learners = other.learners;
        this.sessionsPerLearner = other.sessionsPerLearner;
        this.missingRate = other.missingRate;
        this.anomalyRate = other.anomalyRate;
        this.seed = other.seed;
        this.speed = other.speed;
        this.stepMillis = other.stepMillis;
        this.baseMillis = other.baseMillis;
        this.totalSteps = totalSteps;
        this.consent = consent;
        this.cohortSize = other.cohortSize;
    }

    /**
     * The same stream with consent records in line with the events (for a job with the consent gate): most
     * learners grant before their first event, {@code noConsentRate} never do, {@code withdrawRate} withdraw
     * in the middle of their first session.
     */
    public SyntheticStream withConsent(double noConsentRate, double withdrawRate) {
        return new SyntheticStream(this, totalSteps, new SyntheticConsent(this, noConsentRate, withdrawRate));
    }

    /** The same stream cut after the first {@code steps} global steps (benchmarks). */
    public SyntheticStream limitedTo(long steps) {
        return new SyntheticStream(this, Math.min(totalSteps, steps));
    }

    public static SyntheticStream fromConfig(JobConfig cfg, long stepMillis, long nowMillis) {
        BenchmarkSpec spec = BenchmarkSpec.parse(ResourceLoader.read(cfg.syntheticSpecPath, JobOptions.SYNTHETIC_SPEC.key()));
        return new SyntheticStream(spec, cfg.syntheticLearners, cfg.syntheticSessionsPerLearner, cfg.syntheticMissingRate,
                cfg.syntheticInvalidRate, cfg.syntheticSeed, cfg.syntheticSpeed, stepMillis, nowMillis, cfg.syntheticCohortSize);
    }

    public LearnerSimulator simulator(int learner) {
        return new LearnerSimulator(spec, seed, learner, missingRate, sessionsPerLearner);
    }

    // ids are built for every event: String.format's parsing cost more than the rest of the record
    public static String learnerId(int learner) {
        return padded(new StringBuilder(17).append("synthetic-"), learner, 6).toString();
    }

    public static String sessionId(int learner, int session) {
        StringBuilder sb = padded(new StringBuilder(22).append("synthetic-"), learner, 6).append("-s");
        return padded(sb, session, 3).toString();
    }

    /** {@code value} in decimal, zero-padded to {@code width} digits (as %0{width}d). */
    static StringBuilder padded(StringBuilder sb, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(digits);
    }

    /** The cohort of a learner (consecutive learners share one), or null when the stream has none. */
    public String cohortId(int learner) {
        return cohortSize == 0 ? null : padded(new StringBuilder(23).append("synthetic-cohort-"), learner / cohortSize, 4).toString();
    }

    /** Parses a synthetic learner id back to its index, or -1. */
    public static int learnerIndex(String learnerId) {
        if (!learnerId.startsWith("synthetic-")) {
            return -1;
        }
        try {
            return Integer.parseInt(learnerId.substring("synthetic-".length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The felt class of a learner at every global step (-1 outside its sessions), from the dynamics alone. */
    public int[] truth(int learner) {
        if (totalSteps == Long.MAX_VALUE) {
            throw new IllegalStateException("truth is only kept for bounded streams");
        }
        LearnerSimulator sim = simulator(learner);
        int[] labels = new int[(int) totalSteps];
        for (int t = 0; t < labels.length; t++) {
            LearnerSimulator.Step s = sim.stepTo(t);
            labels[t] = s == null ? -1 : s.felt;
        }
        return labels;
    }

    public long globalStep(long stepStartMillis) {
        return (stepStartMillis - baseMillis) / stepMillis;
    }
}
