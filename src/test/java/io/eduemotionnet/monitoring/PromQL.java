package io.eduemotionnet.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough PromQL reading to list the metric names an expression selects. */
final class PromQL {
    private PromQL() {}

    /** Operators, modifiers and aggregations: an aggregation may be followed by "by (...)" instead of "(". */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
            "ignoring", "group_left", "group_right", "inf", "nan", "atan2", "sum", "min", "max", "avg", "count", "group",
            "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(?![\\w:])(\\s*\\()?");

    /** The metric names in an expression (identifiers that are not functions, keywords or labels). */
    static Set<String> metricNames(String expr) {
        String s = expr
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")   // string literals (label values)
                .replaceAll("'(\\\\.|[^'\\\\])*'", "''")
                .replaceAll("\\{[^}]*\\}", "{}")                   // label matchers
                .replaceAll("\\[[^\\]]*\\]", "[]")                 // range and subquery durations
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "$1"); // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            boolean call = m.group(2) != null;
            String id = m.group(1);
            if (!call && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }
}
