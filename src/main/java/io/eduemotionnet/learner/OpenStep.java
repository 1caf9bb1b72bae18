package io.eduemotionnet.learner;

import io.eduemotionnet.ingest.EmbeddingEvent;

/**
 * One learner's step still open for events: each modality's running sum, count and quality, pooled to
 * means when the step closes. A Flink POJO: open steps are spilled to keyed state at checkpoints.
 */
public class OpenStep {
    public long stepStart;
    public float[][] sums = new float[3][];
    public int[] counts = new int[3];
    public double[] qualitySums = new double[3];
    public int[] qualityCounts = new int[3];
    /** Session of the latest event in the step (a step spanning a session switch belongs to the new one). */
    public String sessionId;
    public long sessionEventTime = Long.MIN_VALUE;
    /** Cohort of that same latest event (null when it named none). */
    public String cohortId;
    /** Processing time of the step's first event (state TTL applies to open steps as to spilled ones). */
    public long openedAt;

    /** The learner's next open step (a short list, usually one), kept on the heap only. */
    transient OpenStep next;
    /** Keyed state ({@code open-steps}) holds an entry for this step's slot. */
    transient boolean inState;
    /** That entry is up to date with this step. */
    transient boolean spilled;

    public OpenStep() {}

    OpenStep(long stepStart, long openedAt) {
        this.stepStart = stepStart;
        this.openedAt = openedAt;
    }

    void add(EmbeddingEvent e) {
        float[] sum = sums[e.modality];
        if (sum == null) {
            sum = new float[e.embedding.length];
            sums[e.modality] = sum;
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += e.embedding[i];
        }
        counts[e.modality]++;
        if (!Float.isNaN(e.quality)) {
            qualitySums[e.modality] += e.quality;
            qualityCounts[e.modality]++;
        }
        if (e.eventTime >= sessionEventTime) {
            sessionEventTime = e.eventTime;
            sessionId = e.sessionId;
            cohortId = e.cohortId;
        }
        spilled = false;
    }

    /** The closed step's inputs: each present modality's mean, counts and mean quality. */
    AlignedStep close(String learnerId, long stepMillis, long closedAt) {
        AlignedStep step = AlignedStep.empty(learnerId, sessionId, stepStart, stepStart + stepMillis);
        for (int m = 0; m < 3; m++) {
            step.counts[m] = counts[m];
            if (counts[m] > 0) {
                float[] mean = new float[sums[m].length];
                float inv = 1f / counts[m];
                for (int i = 0; i < mean.length; i++) {
                    mean[i] = sums[m][i] * inv;
                }
                step.setEmbedding(m, mean);
            }
            step.meanQuality[m] = qualityCounts[m] > 0 ? (float) (qualitySums[m] / qualityCounts[m]) : Float.NaN;
        }
        step.closedAt = closedAt;
        step.cohortId = cohortId;
        return step;
    }
}
