package io.eduemotionnet.learner;

import io.eduemotionnet.model.ModelInfo;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One learner's keyed state in RocksDB: the model's carried state (the TFL history and the CMAA
 * context) and what the job needs to continue the session. Serialized by {@link
 * LearnerStateSerializer} (the model state as one block of bytes, not float by float).
 */
@TypeInfo(LearnerStateTypeInfo.Factory.class)
public class LearnerState {
    public String sessionId;
    /** {@link ModelInfo#modelId} of the model that wrote {@link #modelState}. */
    public String modelId;
    /** The model's carried state after the last scored step (ModelInfo.stateSize floats). */
    public float[] modelState;
    /**
     * First step start of this run of the carried state (set at each fresh start); names the run's
     * training sequence in the aligned-steps output.
     */
    public long sessionStart;
    public long lastStepStart;
    /** Consecutive scored steps in which the learner sent nothing. */
    public int emptySteps;
    /** Modalities present in the last scored step (bit m = modality m). */
    public int presentBits;
    /** Modalities seen at least once in this session (bit m). */
    public int seenBits;
    /** Consecutive missing steps per modality, up to the last scored step. */
    public int[] missingRun = new int[3];

    public LearnerState() {}

    public static LearnerState start(String sessionId, long stepStart) {
        LearnerState s = new LearnerState();
        s.sessionId = sessionId;
        s.sessionStart = stepStart;
        s.lastStepStart = Long.MIN_VALUE;
        return s;
    }
}
