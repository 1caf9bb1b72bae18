package io.eduemotionnet.signals;

/**
 * One scored step with input of a learner in a cohort, stripped of the learner: what the cohort stage
 * sums. {@code newLearner} is 1 on the learner's first step in this cohort-minute (the per-learner stage
 * decides it), so the cohort stage counts distinct learners without ever holding an id. A Flink POJO.
 */
public class CohortContribution {
    public String cohortId;
    /** 1 on the learner's first contribution to this cohort and minute, else 0. */
    public int newLearner;
    public int label;
    /** Bit m set when modality m was present. */
    public int presentBits;
    public float[] mieWeights;
    public String modelVersion;

    public CohortContribution() {}

    public CohortContribution(String cohortId, int newLearner, int label, int presentBits, float[] mieWeights,
                              String modelVersion) {
        this.cohortId = cohortId;
        this.newLearner = newLearner;
        this.label = label;
        this.presentBits = presentBits;
        this.mieWeights = mieWeights;
        this.modelVersion = modelVersion;
    }
}
