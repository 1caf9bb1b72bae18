package io.eduemotionnet.signals;

import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.InterventionRuleSpec;
import io.eduemotionnet.config.JobOptions;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A configured rule bound to the model: its state as a class index, its duration in steps. */
public final class InterventionRule implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String name;
    public final String state;
    public final int stateIndex;
    /** Steps with input the episode needs: the duration rounded up to whole steps. */
    public final int minSteps;
    public final double minMeanProbability;
    /** The state's probability at the step the rule fires must reach this (0: no check). */
    public final double minLatestProbability;

    public InterventionRule(String name, String state, int stateIndex, int minSteps, double minMeanProbability,
                            double minLatestProbability) {
        this.name = name;
        this.state = state;
        this.stateIndex = stateIndex;
        this.minSteps = minSteps;
        this.minMeanProbability = minMeanProbability;
        this.minLatestProbability = minLatestProbability;
    }

    public InterventionRule(String name, String state, int stateIndex, int minSteps, double minMeanProbability) {
        this(name, state, stateIndex, minSteps, minMeanProbability, 0);
    }

    /** The rule as it is configured ({@code edu.interventions.rules} syntax), its duration from its steps. */
    public InterventionRuleSpec spec(long stepMillis) {
        return new InterventionRuleSpec(name, state, Duration.ofMillis(minSteps * stepMillis), minMeanProbability,
                minLatestProbability);
    }

    /** The same rule with other thresholds (tuning). */
    public InterventionRule with(int minSteps, double minMeanProbability, double minLatestProbability) {
        return new InterventionRule(name, state, stateIndex, minSteps, minMeanProbability, minLatestProbability);
    }

    /** Binds configured rules to the model's classes and step length; an unknown state stops the job at start-up. */
    public static List<InterventionRule> bind(List<InterventionRuleSpec> specs, List<String> classes, long stepMillis) {
        List<InterventionRule> out = new ArrayList<>();
        for (InterventionRuleSpec s : specs) {
            int index = classes.indexOf(s.state);
            if (index < 0) {
                throw new ConfigException(JobOptions.INTERVENTION_RULES.key(), "rule '" + s.name + "': state '" + s.state
                        + "' is not one of the model's classes " + classes);
            }
            int steps = (int) Math.max(1, (s.duration.toMillis() + stepMillis - 1) / stepMillis);
            out.add(new InterventionRule(s.name, s.state, index, steps, s.minMeanProbability, s.minLatestProbability));
        }
        return List.copyOf(out);
    }
}
