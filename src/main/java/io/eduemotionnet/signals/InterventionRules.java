package io.eduemotionnet.signals;

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
 * at the first step at which the run holds {@code minSteps} steps and the state's mean probability over
 * them is at least the rule's minimum, unless it fired for this learner less than the cooldown ago.
 */
public final class InterventionRules implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<InterventionRule> rules;
    private final long cooldownMillis;

    public InterventionRules(List<InterventionRule> rules, long cooldownMillis) {
        this.rules = List.copyOf(rules);
        this.cooldownMillis = cooldownMillis;
    }

    public List<InterventionRule> rules() {
        return rules;
    }

    /**
     * Advances the learner's runs by one scored step and returns the rules that fired at it (mostly none).
     *
     * @param label the predicted class index
     * @param probabilities the class probabilities, by class index
     */
    public List<Detection> observe(LearnerSignals s, String sessionId, long stepStart, long stepEnd, boolean hasInput,
                                   int label, float[] probabilities) {
        if (!sessionId.equals(s.sessionId) || stepStart != s.lastStepEnd) {
            for (int r = 0; r < rules.size(); r++) {
                s.closeRun(r);
            }
            s.sessionId = sessionId;
        }
        s.lastStepEnd = stepEnd;
        if (!hasInput) {
            return List.of();
        }
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
            s.runProbability[r] += probabilities[rule.stateIndex];
            double mean = s.runProbability[r] / s.runSteps[r];
            boolean cooled = s.lastFiredAt[r] == Long.MIN_VALUE || stepEnd - s.lastFiredAt[r] >= cooldownMillis;
            if (!s.fired[r] && s.runSteps[r] >= rule.minSteps && mean >= rule.minMeanProbability && cooled) {
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
