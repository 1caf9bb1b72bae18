package io.eduemotionnet.learner;

import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.DropoutStatus;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.model.ModelInfo;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one scored learner-step (the model's outputs for its row) into the job's records: the
 * prediction, the confidence report, dropout transitions and, when enabled, the training-data row; and
 * advances the learner's state to this step.
 */
final class StepOutputs implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Modality[] MODALITIES = Modality.values();

    /** What one scored step produced. */
    static final class Scored {
        Prediction prediction;
        ConfidenceReport confidence;
        final List<DropoutReport> dropouts = new ArrayList<>(0);
        /** Null unless training rows are enabled and the step had input. */
        AlignedStep trainingRow;
        int best;
        int presentBits;
        final float[] mieWeights = new float[3];
        final boolean[] dropped = new boolean[3];
        long stepStart;
    }

    private final ModelInfo info;
    private final boolean trainingRows;

    StepOutputs(ModelInfo info, boolean trainingRows) {
        this.info = info;
        this.trainingRows = trainingRows;
    }

    /**
     * @param probabilities the batch's class probabilities, this row's at {@code row * classes}
     * @param mie the batch's MIE weights, this row's at {@code row * 3}
     * @param stateOut the batch's new carried states, this row's at {@code row * stateSize}
     */
    Scored assemble(AlignedStep step, LearnerState learner, int row, float[] probabilities, float[] mie,
                    float[] stateOut, long now) {
        int c = info.classes.size();
        int s = info.stateSize;
        float[] newState = learner.modelState != null && learner.modelState.length == s ? learner.modelState : new float[s];
        System.arraycopy(stateOut, row * s, newState, 0, s);
        learner.modelState = newState;
        learner.modelId = info.modelId;

        Scored out = new Scored();
        out.stepStart = step.stepStart;
        Map<String, Float> byClass = new HashMap<>(c * 2);
        double entropy = 0;
        for (int k = 0; k < c; k++) {
            float p = probabilities[row * c + k];
            byClass.put(info.classes.get(k), p);
            if (p > probabilities[row * c + out.best]) {
                out.best = k;
            }
            if (p > 0) {
                entropy -= p * Math.log(p);
            }
        }
        System.arraycopy(mie, row * 3, out.mieWeights, 0, 3);
        float[] w = out.mieWeights;
        ModalityWeights weights = new ModalityWeights(w[0], w[1], w[2]);
        List<Modality> present = new ArrayList<>(3);
        for (int m = 0; m < 3; m++) {
            if (step.present(m)) {
                present.add(MODALITIES[m]);
                out.presentBits |= 1 << m;
            }
        }
        // all-args constructors rather than builders (every field is set; a builder validates each field
        // and copies schema defaults, a per-record cost on this path)
        Instant stepStart = Instant.ofEpochMilli(step.stepStart);
        out.prediction = new Prediction(step.learnerId, step.sessionId, stepStart, Instant.ofEpochMilli(step.stepEnd),
                byClass, info.classes.get(out.best), weights, present, info.version, Instant.ofEpochMilli(now), step.cohortId);
        int emptySteps = out.presentBits == 0 ? learner.emptySteps + 1 : 0;
        out.confidence = new ConfidenceReport(step.learnerId, step.sessionId, stepStart, weights,
                new ModalityWeights(step.meanQuality[0], step.meanQuality[1], step.meanQuality[2]), present,
                probabilities[row * c + out.best], (float) entropy, emptySteps);
        for (int m = 0; m < 3; m++) {
            boolean was = (learner.presentBits & (1 << m)) != 0;
            boolean is = (out.presentBits & (1 << m)) != 0;
            boolean seen = (learner.seenBits & (1 << m)) != 0;
            if (was && !is) {
                out.dropped[m] = true;
                out.dropouts.add(dropout(step, m, DropoutStatus.DROPPED, 0, now));
            } else if (!was && is && seen) {
                out.dropouts.add(dropout(step, m, DropoutStatus.RESTORED, learner.missingRun[m], now));
            }
            learner.missingRun[m] = is ? 0 : learner.missingRun[m] + 1;
        }
        if (trainingRows && out.presentBits != 0) {
            out.trainingRow = trainingRow(step, learner);
        }
        learner.presentBits = out.presentBits;
        learner.seenBits |= out.presentBits;
        learner.emptySteps = emptySteps;
        learner.lastStepStart = step.stepStart;
        return out;
    }

    /**
     * The step as a row of training data. A fresh start of the carried state (a new session id, the gap
     * rule, state TTL, a model change) is a new training sequence: the job scores it from zero state, so
     * training must too, and it must not be glued to the previous run as if contiguous. Each run is
     * written as its own session: the session id with {@code #} and the run's first step start (epoch ms)
     * appended, steps counted from that first step. The run's start is derived from the data (kept in
     * {@link LearnerState#sessionStart}), so a restored or replayed run gets the same id.
     */
    private AlignedStep trainingRow(AlignedStep step, LearnerState learner) {
        return step.asTrainingRow(step.sessionId + '#' + learner.sessionStart,
                (int) ((step.stepStart - learner.sessionStart) / info.stepMillis));
    }

    private static DropoutReport dropout(AlignedStep step, int m, DropoutStatus status, int missing, long now) {
        return DropoutReport.newBuilder()
                .setLearnerId(step.learnerId)
                .setSessionId(step.sessionId)
                .setModality(MODALITIES[m])
                .setStatus(status)
                .setStepStart(Instant.ofEpochMilli(step.stepStart))
                .setMissingSteps(missing)
                .setReportTime(Instant.ofEpochMilli(now))
                .build();
    }
}
