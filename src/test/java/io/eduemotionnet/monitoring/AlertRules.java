package io.eduemotionnet.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The alerting rules of helm/edu-emotionnet/files/alerts.yaml, read as plain YAML. */
final class AlertRules {
    /** One alerting rule, with its labels and annotations as YAML nodes. */
    record Rule(String group, String alert, String expr, String forDuration, JsonNode labels, JsonNode annotations) {}

    final JsonNode yaml;

    private AlertRules(JsonNode yaml) {
        this.yaml = yaml;
    }

    static AlertRules load() throws IOException {
        return load(MonitoringFiles.ALERTS);
    }

    static AlertRules load(Path file) throws IOException {
        return new AlertRules(new YAMLMapper().readTree(Files.readString(file)));
    }

    List<Rule> rules() {
        List<Rule> out = new ArrayList<>();
        for (JsonNode g : yaml.path("groups")) {
            for (JsonNode r : g.path("rules")) {
                out.add(new Rule(g.path("name").asText(), r.path("alert").asText(null), r.path("expr").asText(),
                        r.path("for").asText(null), r.path("labels"), r.path("annotations")));
            }
        }
        return out;
    }
}
