package io.eduemotionnet.signals;

import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules' logic over one learner's predictions, step by step, with no Flink in it: the job's
 * operator and the measurement command ({@link InterventionEvaluation}) run this same class.
 *
 * <p>A run of a rule is a sequence of the learner's steps with input whose predicted label is the
 * rule's state. Steps without input are not evidence: they neither extend nor break a run. A step with
 * input predicting another label breaks it, and so do a new session and a missing step (the learner's
 * carried state was deleted: the job scores every step while it holds one). A rule fires once per run,
 * at the first step at which the run holds {@code minSteps} steps, the state's mean probability over
 * them is at least the rule's minimum and its probability at this step at least the rule's latest minimum
 * (a run whose evidence is fading does not fire: most false alarms on the benchmark are runs of the
 * wrong state that the model holds with flat, not rising, confidence), unless it fired for this learner
 * less than the cooldown ago. The
 * probabilities are the model's, calibrated by the number of modalities present ({@link PresenceCalibration}).
 */
public final class InterventionRules implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<InterventionRule> rules;
    private final long cooldownMillis;
    private final PresenceCalibration calibration;

    public InterventionRules(List<InterventionRule> rules, long cooldownMillis, PresenceCalibration calibration) {
        this.rules = List.copyOf(rules);
        this.cooldownMillis = cooldownMillis;
        this.calibration = calibration;
    }

    /** Rules that read the model's probabilities as they are. */
    public InterventionRules(List<InterventionRule> rules, long cooldownMillis) {
        this(rules, cooldownMillis, PresenceCalibration.none());
    }

    /** The job's configured rules, cooldown and calibration, bound to the model. */
    public static InterventionRules of(JobConfig cfg, ModelInfo model) {
        return new InterventionRules(InterventionRule.bind(cfg.interventionRules, model.classes, model.stepMillis),
                cfg.interventionCooldown.toMillis(),
                PresenceCalibration.bind(cfg.interventionTemperatures, ModelInfo.MODALITIES.size()));
    }

    public List<InterventionRule> rules() {
        return rules;
    }

    /**
     * Advances the learner's runs by one scored step and returns the rules that fired at it (mostly none).
     *
     * @param present how many modalities sent input in the step (0: not evidence)
     * @param label the predicted class index
     * @param probabilities the model's class probabilities, by class index (calibrated here by {@code present})
     */
    public List<Detection> observe(LearnerSignals s, String sessionId, long stepStart, long stepEnd, int present,
                                   int label, float[] probabilities) {
        if (!sessionId.equals(s.sessionId) || stepStart != s.lastStepEnd) {
            for (int r = 0; r < rules.size(); r++) {
                s.closeRun(r);
            }
            s.sessionId = sessionId;
        }
        s.lastStepEnd = stepEnd;
        if (present == 0) {
            return List.of();
        }
        float[] calibrated = calibration.apply(probabilities, present);
        List<Detection> out = null;
        for (int r = 0; r < rules.size(); r++) {
            InterventionRule rule = rules.get(r);
            if (label != rule.stateIndex) {
                s.closeRun(r);
                continue;
            }
            if (s.runStart[r] < 0) {
                s.runStart[r] = stepStart;
            }
            s.runSteps[r]++;
            s.runProbability[r] += calibrated[rule.stateIndex];
            double mean = s.runProbability[r] / s.runSteps[r];
            boolean cooled = s.lastFiredAt[r] == Long.MIN_VALUE || stepEnd - s.lastFiredAt[r] >= cooldownMillis;
            boolean stillConfident = calibrated[rule.stateIndex] >= rule.minLatestProbability;
            if (!s.fired[r] && s.runSteps[r] >= rule.minSteps && mean >= rule.minMeanProbability && stillConfident && cooled) {
                s.fired[r] = true;
                s.lastFiredAt[r] = stepEnd;
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(new Detection(r, s.runStart[r], stepEnd, s.runSteps[r], mean));
            }
        }
        return out == null ? List.of() : out;
    }
}
