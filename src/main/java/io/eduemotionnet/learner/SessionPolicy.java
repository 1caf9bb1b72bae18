package io.eduemotionnet.learner;

import io.eduemotionnet.model.ModelInfo;
import java.io.Serializable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules that decide, for one learner, whether a closed step continues the carried state, starts it
 * afresh or cannot be scored. Gap rule: a step in which the learner sent nothing is scored from the
 * carried state alone for up to {@code edu.state.max-gap-steps} steps; the next empty step ends the
 * session (the state is deleted). A new session id, a step that does not follow the last scored one,
 * and state written by another model start afresh.
 */
final class SessionPolicy implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SessionPolicy.class);
    private final long stepMillis;
    private final int maxGapSteps;
    private final int stateSize;
    private final String modelId;
    private transient boolean warned;

    SessionPolicy(ModelInfo info, int maxGapSteps) {
        this.stepMillis = info.stepMillis;
        this.maxGapSteps = maxGapSteps;
        this.stateSize = info.stateSize;
        this.modelId = info.modelId;
    }

    /** The step's slot was already scored in the same session (only possible after a restore). */
    boolean alreadyScored(LearnerState learner, AlignedStep step) {
        return learner != null && learner.sessionId.equals(step.sessionId) && step.stepStart <= learner.lastStepStart;
    }

    /**
     * Steps without input lie between the learner's last scored step and {@code step} in the same
     * session: each is scored from the carried state first, in order, as the learner's continuation
     * timers would have in a live run (one watermark can cover a step, a gap and the next step).
     */
    boolean gapBefore(LearnerState learner, AlignedStep step) {
        return learner != null && learner.sessionId.equals(step.sessionId)
                && learner.lastStepStart + stepMillis < step.stepStart && compatible(learner);
    }

    /** The slot right after the learner's last scored step (scored from the carried state if empty). */
    boolean continuesTo(LearnerState learner, long stepStart) {
        return learner != null && learner.lastStepStart == stepStart - stepMillis;
    }

    /** Another empty step would exceed the gap rule: the session is over. */
    boolean gapExhausted(LearnerState learner) {
        return learner.emptySteps >= maxGapSteps;
    }

    boolean startsAfresh(LearnerState learner, AlignedStep step) {
        return learner == null || !learner.sessionId.equals(step.sessionId)
                || step.stepStart != learner.lastStepStart + stepMillis || !compatible(learner);
    }

    /**
     * State written by another model (restored after a model upgrade) cannot be continued, even when its
     * size fits: its carried tokens come from other encoder weights.
     */
    boolean compatible(LearnerState learner) {
        return learner.modelState != null && learner.modelState.length == stateSize && modelId.equals(learner.modelId);
    }

    /** Logged once per subtask: restored state of another model (no learner ids: sizes and model ids only). */
    void warnIncompatible(LearnerState learner) {
        if (!warned) {
            warned = true;
            LOG.warn("restored learner state was written by another model ({} floats, model id {}; this model: {} floats, "
                    + "id {}): such learners start afresh", learner.modelState == null ? 0 : learner.modelState.length,
                    learner.modelId, stateSize, modelId);
        }
    }
}
