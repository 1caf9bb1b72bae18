package io.eduemotionnet.learner;

/**
 * One learner's inputs for one time step: each modality's events in the step pooled to their mean
 * (null when the modality sent nothing), with counts and mean quality. A Flink POJO.
 */
public class AlignedStep {
    public String learnerId;
    public String sessionId;
    /** The cohort named by the step's latest event, or null (carried to the prediction). */
    public String cohortId;
    public long stepStart;
    public long stepEnd;
    public float[] audio;
    public float[] visual;
    public float[] text;
    /** Events pooled per modality. */
    public int[] counts = new int[3];
    /** Mean quality score per modality; NaN where no event carried one. */
    public float[] meanQuality = {Float.NaN, Float.NaN, Float.NaN};
    /** Wall-clock time the step's window closed (0 for a step in which nothing arrived). */
    public long closedAt;
    /**
     * Step number within the training sequence ({@link #sessionId} of a training row; see {@link
     * #asTrainingRow}); -1 for a step that is not a training row.
     */
    public int sessionStep = -1;

    public AlignedStep() {}

    public float[] embedding(int modality) {
        switch (modality) {
            case 0:
                return audio;
            case 1:
                return visual;
            case 2:
                return text;
            default:
                throw new IllegalArgumentException("modality " + modality);
        }
    }

    public void setEmbedding(int modality, float[] values) {
        switch (modality) {
            case 0:
                audio = values;
                break;
            case 1:
                visual = values;
                break;
            case 2:
                text = values;
                break;
            default:
                throw new IllegalArgumentException("modality " + modality);
        }
    }

    public boolean present(int modality) {
        return embedding(modality) != null;
    }

    public float[][] embeddings() {
        return new float[][] {audio, visual, text};
    }

    /**
     * A shallow copy for the training-data output (the inputs shared, not copied): {@code sequenceId}
     * in place of the session id and {@code sequenceStep} as its step number.
     */
    public AlignedStep asTrainingRow(String sequenceId, int sequenceStep) {
        AlignedStep s = new AlignedStep();
        s.learnerId = learnerId;
        s.sessionId = sequenceId;
        s.cohortId = cohortId;
        s.stepStart = stepStart;
        s.stepEnd = stepEnd;
        s.audio = audio;
        s.visual = visual;
        s.text = text;
        s.counts = counts;
        s.meanQuality = meanQuality;
        s.closedAt = closedAt;
        s.sessionStep = sequenceStep;
        return s;
    }

    /** A step in which the learner sent nothing: scored from the carried state alone. */
    public static AlignedStep empty(String learnerId, String sessionId, long stepStart, long stepEnd) {
        AlignedStep s = new AlignedStep();
        s.learnerId = learnerId;
        s.sessionId = sessionId;
        s.stepStart = stepStart;
        s.stepEnd = stepEnd;
        return s;
    }
}
