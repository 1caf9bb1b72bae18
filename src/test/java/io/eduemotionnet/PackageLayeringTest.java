package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package layout (README, Architecture): data flows top to bottom; a stage imports only from stages
 * above it and from the bottom two (model, config); nothing imports a later stage.
 */
class PackageLayeringTest {
    /** The stages in flow order, then the bottom two (model may use config, config nothing). */
    static final List<String> FLOW = List.of("ingest", "privacy", "learner", "signals", "sink", "synthetic");
    static final List<String> BOTTOM = List.of("model", "config");
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?io\\.eduemotionnet\\.([a-z]+)\\.", Pattern.MULTILINE);

    @Test
    void noImportRunsBackUp() throws IOException {
        Path root = Path.of("src/main/java/io/eduemotionnet");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(file);
                if (rel.getNameCount() < 2) {
                    continue; // the wiring (EmotionPipeline, EmotionJob, LocalSummary) may use every stage
                }
                String from = rel.getName(0).toString();
                Matcher m = IMPORT.matcher(Files.readString(file));
                while (m.find()) {
                    String to = m.group(1);
                    if (!allowed(from, to)) {
                        violations.add(rel + " imports " + to);
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    static boolean allowed(String from, String to) {
        if (from.equals(to) || to.equals("avro")) {
            return true; // generated records are shared by every stage
        }
        if (BOTTOM.contains(from)) {
            return BOTTOM.indexOf(to) > BOTTOM.indexOf(from);
        }
        return BOTTOM.contains(to) || (FLOW.contains(to) && FLOW.indexOf(to) < FLOW.indexOf(from));
    }
}
