package io.eduemotionnet.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * docs/reliability.json: the figures of the reliability tests, written by the test run (each test adds
 * its keys to what the file holds, so running one test keeps the other's figures).
 */
final class ReliabilityReport {
    static final Path FILE = Path.of("docs", "reliability.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private ReliabilityReport() {}

    static synchronized void put(Map<String, Object> figures) throws IOException {
        Map<String, Object> all = new TreeMap<>();
        if (Files.isRegularFile(FILE)) {
            ObjectNode old = (ObjectNode) JSON.readTree(FILE.toFile());
            old.fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue()));
        }
        all.putAll(figures);
        all.put("command", "mvn -B -Dpytest.skip=true test -Dtest='ExactlyOnceUnderFailuresTest,BadInputFuzzTest'");
        Files.writeString(FILE, JSON.writeValueAsString(all) + "\n");
    }
}
