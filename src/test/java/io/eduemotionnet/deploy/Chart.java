package io.eduemotionnet.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The chart under test, rendered and linted by real Helm (helm-java runs Helm's Go code in-process). */
final class Chart {
    static final Path DIR = Path.of("helm", "edu-emotionnet");
    static final String RELEASE = "edu-emotionnet";
    static final String NAMESPACE = "learning";
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Chart() {}

    /** One of the example values files in ci/, e.g. "kafka" for ci/kafka-values.yaml. */
    static Path ci(String name) {
        Path file = DIR.resolve("ci").resolve(name + "-values.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no values file " + file);
        }
        return file;
    }

    static List<Path> ciValuesFiles() {
        try (Stream<Path> files = Files.list(DIR.resolve("ci"))) {
            return files.filter(f -> f.getFileName().toString().endsWith("-values.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A values file in the test's temp directory (java.io.tmpdir is under target/). */
    static Path valuesFile(String yaml) {
        try {
            Path file = Files.createTempFile("values-", ".yaml");
            file.toFile().deleteOnExit();
            return Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** helm template of a chart directory with these values files, later ones winning. */
    static Rendered renderChart(Path chartDir, Path... valuesFiles) {
        TemplateCommand template = new Helm(chartDir).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (Path values : valuesFiles) {
            template = template.withValuesFile(values);
        }
        return Rendered.parse(template.call());
    }

    static Rendered render(Path... valuesFiles) {
        return renderChart(DIR, valuesFiles);
    }

    /** Renders ci/{base}-values.yaml with the given YAML on top. */
    static Rendered render(String base, String overrides) {
        return render(ci(base), valuesFile(overrides));
    }

    /** helm template that must fail: returns Helm's error message. */
    static String refusal(Path... valuesFiles) {
        return refusalOf(DIR, valuesFiles);
    }

    static String refusalOf(Path chartDir, Path... valuesFiles) {
        try {
            Rendered rendered = renderChart(chartDir, valuesFiles);
            throw new AssertionError("the chart rendered although it should refuse:\n" + rendered.text());
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** A copy of the chart in workDir, to lint with other values or to render with other files. */
    static Path copy(Path workDir) {
        Path copy = workDir.resolve(DIR.getFileName());
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy;
    }

    /**
     * helm lint --strict as `helm lint --strict -f valuesFile` would run it: helm-java's lint takes no
     * values files, so a copy of the chart gets the values merged into its values.yaml (Helm's merge:
     * maps deep, everything else replaced). A null valuesFile lints the chart as shipped.
     */
    static LintResult lint(Path valuesFile, Path workDir) {
        Path copy = copy(workDir);
        if (valuesFile != null) {
            try {
                TypeReference<Map<String, Object>> map = new TypeReference<>() {};
                Map<String, Object> values = YAML.readValue(DIR.resolve("values.yaml").toFile(), map);
                deepMerge(values, YAML.readValue(valuesFile.toFile(), map));
                YAML.writeValue(copy.resolve("values.yaml").toFile(), values);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Helm(copy).lint().strict().call();
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        for (Map.Entry<String, Object> e : from.entrySet()) {
            Object old = into.get(e.getKey());
            if (old instanceof Map && e.getValue() instanceof Map) {
                deepMerge((Map<String, Object>) old, (Map<String, Object>) e.getValue());
            } else {
                into.put(e.getKey(), e.getValue());
            }
        }
    }

    /** The objects of one `helm template` run. */
    record Rendered(String text, List<JsonNode> objects) {
        static Rendered parse(String text) {
            List<JsonNode> objects = new ArrayList<>();
            try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
                while (docs.hasNext()) {
                    JsonNode doc = docs.next();
                    if (doc != null && doc.isObject() && doc.size() > 0) {
                        objects.add(doc);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("helm rendered invalid YAML:\n" + text, e);
            }
            return new Rendered(text, objects);
        }

        List<JsonNode> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
        }

        JsonNode one(String kind) {
            List<JsonNode> found = ofKind(kind);
            if (found.size() != 1) {
                throw new AssertionError("expected one " + kind + ", found " + found.size() + " in:\n" + text);
            }
            return found.get(0);
        }

        JsonNode flinkDeployment() {
            return one("FlinkDeployment");
        }

        /** spec.flinkConfiguration as rendered (values must be strings). */
        Map<String, String> flinkConfiguration() {
            Map<String, String> conf = new LinkedHashMap<>();
            flinkDeployment().path("spec").path("flinkConfiguration").fields()
                    .forEachRemaining(e -> conf.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : null));
            return conf;
        }

        /** "jobManager" or "taskManager": its pod template. */
        JsonNode podTemplate(String component) {
            return flinkDeployment().path("spec").path(component).path("podTemplate");
        }

        /** The flink-main-container of a component's pod template. */
        JsonNode mainContainer(String component) {
            for (JsonNode c : podTemplate(component).path("spec").path("containers")) {
                if ("flink-main-container".equals(c.path("name").asText())) {
                    return c;
                }
            }
            throw new AssertionError("no flink-main-container in the " + component + " pod template");
        }

        /** The main container's env as name -> entry. */
        Map<String, JsonNode> env(String component) {
            Map<String, JsonNode> env = new LinkedHashMap<>();
            mainContainer(component).path("env").forEach(e -> env.put(e.path("name").asText(), e));
            return env;
        }

        JsonNode volume(String component, String name) {
            for (JsonNode v : podTemplate(component).path("spec").path("volumes")) {
                if (name.equals(v.path("name").asText())) {
                    return v;
                }
            }
            return MissingNode.getInstance();
        }

        JsonNode volumeMount(String component, String name) {
            for (JsonNode m : mainContainer(component).path("volumeMounts")) {
                if (name.equals(m.path("name").asText())) {
                    return m;
                }
            }
            return MissingNode.getInstance();
        }
    }
}
