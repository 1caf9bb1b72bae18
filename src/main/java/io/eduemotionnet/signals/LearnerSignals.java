package io.eduemotionnet.signals;

import java.util.Arrays;

/**
 * What the signals stage keeps per learner (one value in keyed state, read and written once per
 * prediction): per rule the current run of steps predicting its state, and when it last fired; and the
 * last cohort-minute the learner was counted in. A Flink POJO.
 */
public class LearnerSignals {
    public String sessionId;
    /** End of the last step seen: the next prediction must start there, or the runs start over. */
    public long lastStepEnd = Long.MIN_VALUE;
    /** Per rule: start of the run's first step, or -1 when no run is open. */
    public long[] runStart;
    /** Per rule: steps with input in the run. */
    public int[] runSteps;
    /** Per rule: sum of the state's probability over the run. */
    public double[] runProbability;
    /** Per rule: whether the rule already fired in this run (once per episode). */
    public boolean[] fired;
    /** Per rule: detection time of its last firing, or Long.MIN_VALUE (cooldown). */
    public long[] lastFiredAt;
    /** The cohort-minute this learner was last counted in (counted once per cohort and minute). */
    public String cohortId;
    public long cohortMinute = Long.MIN_VALUE;

    public LearnerSignals() {}

    public static LearnerSignals start(int rules) {
        LearnerSignals s = new LearnerSignals();
        s.runStart = new long[rules];
        Arrays.fill(s.runStart, -1L);
        s.runSteps = new int[rules];
        s.runProbability = new double[rules];
        s.fired = new boolean[rules];
        s.lastFiredAt = new long[rules];
        Arrays.fill(s.lastFiredAt, Long.MIN_VALUE);
        return s;
    }

    void closeRun(int rule) {
        runStart[rule] = -1;
        runSteps[rule] = 0;
        runProbability[rule] = 0;
        fired[rule] = false;
    }
}
