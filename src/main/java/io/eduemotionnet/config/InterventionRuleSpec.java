package io.eduemotionnet.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.flink.util.TimeUtils;

/**
 * One intervention rule as configured: {@code <rule>:<state>:<duration>:<min mean probability>[:<min latest
 * probability>]}, e.g. {@code sustained-confusion:confusion:20s:0.77:0.94}. The optional last field asks that
 * the state still be confident at the step the rule fires (0 when left out: no such check). Only the syntax
 * is checked here; whether the state is one of the model's classes is checked when the rule is bound to the
 * model (signals stage).
 */
public final class InterventionRuleSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    public final String name;
    public final String state;
    public final Duration duration;
    public final double minMeanProbability;
    /** The state's probability at the firing step must reach this (0: no check). */
    public final double minLatestProbability;

    public InterventionRuleSpec(String name, String state, Duration duration, double minMeanProbability,
                                double minLatestProbability) {
        this.name = name;
        this.state = state;
        this.duration = duration;
        this.minMeanProbability = minMeanProbability;
        this.minLatestProbability = minLatestProbability;
    }

    public InterventionRuleSpec(String name, String state, Duration duration, double minMeanProbability) {
        this(name, state, duration, minMeanProbability, 0);
    }

    public static List<InterventionRuleSpec> parseAll(List<String> specs, String key) {
        List<InterventionRuleSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String spec : specs) {
            if (spec.isBlank()) {
                continue;
            }
            InterventionRuleSpec rule = parse(spec.trim(), key);
            if (!names.add(rule.name)) {
                throw new ConfigException(key, "rule name '" + rule.name + "' appears twice");
            }
            out.add(rule);
        }
        return List.copyOf(out);
    }

    static InterventionRuleSpec parse(String spec, String key) {
        String[] parts = spec.split(":", -1);
        if (parts.length != 4 && parts.length != 5) {
            throw new ConfigException(key, "a rule is <rule>:<state>:<duration>:<min mean probability>[:<min latest "
                    + "probability>], e.g. sustained-confusion:confusion:20s:0.77:0.94; got '" + spec + "'");
        }
        String name = parts[0].trim();
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException(key, "rule name '" + name + "' must match " + NAME.pattern());
        }
        String state = parts[1].trim();
        if (state.isEmpty()) {
            throw new ConfigException(key, "rule '" + name + "' names no state");
        }
        Duration duration;
        try {
            duration = TimeUtils.parseDuration(parts[2].trim());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ConfigException(key, "rule '" + name + "': duration '" + parts[2] + "' cannot be parsed (e.g. 20s, 1min)");
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new ConfigException(key, "rule '" + name + "': duration must be positive, got " + parts[2].trim());
        }
        double mean = probability(parts[3], "min mean probability", name, key);
        double latest = parts.length == 5 ? probability(parts[4], "min latest probability", name, key) : 0;
        return new InterventionRuleSpec(name, state, duration, mean, latest);
    }

    private static double probability(String text, String what, String rule, String key) {
        double p;
        try {
            p = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "rule '" + rule + "': " + what + " '" + text + "' is not a number");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new ConfigException(key, "rule '" + rule + "': " + what + " must be in [0, 1], got " + text.trim());
        }
        return p;
    }

    @Override
    public String toString() {
        return name + ":" + state + ":" + TimeUtils.formatWithHighestUnit(duration) + ":" + minMeanProbability
                + (minLatestProbability > 0 ? ":" + minLatestProbability : "");
    }
}
