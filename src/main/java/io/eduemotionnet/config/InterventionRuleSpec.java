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
 * One intervention rule as configured: {@code <rule>:<state>:<duration>:<min mean probability>}, e.g.
 * {@code sustained-confusion:confusion:20s:0.7}. Only the syntax is checked here; whether the state is
 * one of the model's classes is checked when the rule is bound to the model (signals stage).
 */
public final class InterventionRuleSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    public final String name;
    public final String state;
    public final Duration duration;
    public final double minMeanProbability;

    public InterventionRuleSpec(String name, String state, Duration duration, double minMeanProbability) {
        this.name = name;
        this.state = state;
        this.duration = duration;
        this.minMeanProbability = minMeanProbability;
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
        if (parts.length != 4) {
            throw new ConfigException(key, "a rule is <rule>:<state>:<duration>:<min mean probability>, e.g. "
                    + "sustained-confusion:confusion:20s:0.7; got '" + spec + "'");
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
        double p;
        try {
            p = Double.parseDouble(parts[3].trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "rule '" + name + "': min mean probability '" + parts[3] + "' is not a number");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new ConfigException(key, "rule '" + name + "': min mean probability must be in [0, 1], got " + parts[3].trim());
        }
        return new InterventionRuleSpec(name, state, duration, p);
    }

    @Override
    public String toString() {
        return name + ":" + state + ":" + TimeUtils.formatWithHighestUnit(duration) + ":" + minMeanProbability;
    }
}
