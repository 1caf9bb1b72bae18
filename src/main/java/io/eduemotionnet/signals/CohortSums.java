package io.eduemotionnet.signals;

/** Running sums of one cohort's contributions in one minute: counts only, no learner ids. A Flink POJO. */
public class CohortSums {
    public int learners;
    public long steps;
    public long[] perState;
    public double[] mieSums = new double[3];
    public long[] presentSteps = new long[3];
    public String modelVersion;

    public CohortSums() {}

    static CohortSums create(int classes) {
        CohortSums s = new CohortSums();
        s.perState = new long[classes];
        return s;
    }
}
