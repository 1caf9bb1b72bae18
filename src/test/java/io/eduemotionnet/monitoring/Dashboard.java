package io.eduemotionnet.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Grafana dashboard JSON: its panels' queries and its template variables. */
final class Dashboard {
    /**
     * Grafana's built-in interval variables, as Grafana fills them in for a Prometheus data source
     * with the default 15 s scrape interval ($__rate_interval = 4 x scrape interval).
     */
    static final Map<String, String> BUILT_INS = Map.of(
            "__rate_interval", "1m",
            "__interval", "15s",
            "__range", "1h");
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.+),\\s*([A-Za-z_][A-Za-z0-9_]*)\\)$");

    /** One target of one panel. */
    record Query(String panel, String refId, String expr) {
        @Override
        public String toString() {
            return "panel '" + panel + "' query " + refId + ": " + expr;
        }
    }

    /** A query-type template variable: {@code label_values(<series selector>, <label>)}. */
    record Variable(String name, String seriesSelector, String label) {}

    final JsonNode json;

    private Dashboard(JsonNode json) {
        this.json = json;
    }

    static Dashboard load() throws IOException {
        return load(MonitoringFiles.DASHBOARD);
    }

    static Dashboard load(Path file) throws IOException {
        return new Dashboard(new ObjectMapper().readTree(Files.readString(file)));
    }

    /** Every panel that is not a row, including panels inside collapsed rows. */
    List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : json.path("panels")) {
            if ("row".equals(p.path("type").asText())) {
                p.path("panels").forEach(out::add);
            } else {
                out.add(p);
            }
        }
        return out;
    }

    /** Every target's expression, as written (template variables not filled in). */
    List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (JsonNode p : panels()) {
            for (JsonNode t : p.path("targets")) {
                out.add(new Query(p.path("title").asText(), t.path("refId").asText(), t.path("expr").asText()));
            }
        }
        return out;
    }

    /** The query variables, in dashboard order (a later one may use an earlier one). */
    List<Variable> variables() {
        List<Variable> out = new ArrayList<>();
        for (JsonNode v : json.path("templating").path("list")) {
            if (!"query".equals(v.path("type").asText())) {
                continue;
            }
            JsonNode q = v.path("query");
            String query = q.isTextual() ? q.asText() : q.path("query").asText();
            Matcher m = LABEL_VALUES.matcher(query.trim());
            if (!m.matches()) {
                throw new IllegalStateException("variable " + v.path("name").asText() + ": only label_values(<selector>, <label>) is supported, got " + query);
            }
            out.add(new Variable(v.path("name").asText(), m.group(1).trim(), m.group(2)));
        }
        return out;
    }

    /** Fills in $name, ${name} and [[name]] from the given values, and Grafana's built-ins. */
    static String substitute(String expr, Map<String, String> values) {
        Map<String, String> all = new LinkedHashMap<>(BUILT_INS);
        all.putAll(values);
        String out = expr;
        // longest names first, so $__rate_interval is not read as $__rate followed by text
        List<String> names = new ArrayList<>(all.keySet());
        names.sort((a, b) -> b.length() - a.length());
        for (String name : names) {
            String value = Matcher.quoteReplacement(all.get(name));
            out = out.replaceAll("\\$\\{" + Pattern.quote(name) + "(:[a-z]+)?\\}", value)
                    .replaceAll("\\[\\[" + Pattern.quote(name) + "\\]\\]", value)
                    .replaceAll("\\$" + Pattern.quote(name) + "(?![A-Za-z0-9_])", value);
        }
        return out;
    }
}
