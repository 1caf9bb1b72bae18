package io.eduemotionnet.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (the Debian {@code prometheus} binary) in its own process, with its own
 * port, config and TSDB under {@code target/}; configured from {@code monitoring/prometheus-local.yml}
 * with the scrape target and the rule file pointed at this run. Queried through its HTTP API.
 */
final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final String baseUrl;
    private final Path log;
    private final Path tsdb;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusServer(Process process, String baseUrl, Path log, Path tsdb) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
        this.tsdb = tsdb;
    }

    /** Starts Prometheus scraping {@code target} (host:port) every second, with the given rule files. */
    static PrometheusServer start(Path workDir, String target, List<Path> ruleFiles) throws Exception {
        Path binary = MonitoringFiles.executable("prometheus");
        Files.createDirectories(workDir);
        Path config = workDir.resolve("prometheus.yml");
        Files.writeString(config, localConfig(target, ruleFiles));
        int port = FreePorts.find();
        Path log = workDir.resolve("prometheus.log");
        Path tsdb = workDir.resolve("tsdb");
        Process p = new ProcessBuilder(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + tsdb,
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        // never leave a server behind, even if the test JVM is stopped
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        PrometheusServer server = new PrometheusServer(p, "http://127.0.0.1:" + port, log, tsdb);
        try {
            server.awaitReady(Duration.ofSeconds(30));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** monitoring/prometheus-local.yml, with this run's scrape target and absolute rule-file paths. */
    static String localConfig(String target, List<Path> ruleFiles) throws IOException {
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode config = (ObjectNode) yaml.readTree(Files.readString(MonitoringFiles.PROMETHEUS_LOCAL));
        ObjectNode staticConfig = (ObjectNode) config.get("scrape_configs").get(0).get("static_configs").get(0);
        staticConfig.putArray("targets").add(target);
        var rules = config.putArray("rule_files");
        for (Path r : ruleFiles) {
            rules.add(r.toAbsolutePath().toString());
        }
        return yaml.writeValueAsString(config);
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited (" + process.exitValue() + "):\n" + logTail());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("prometheus not ready after " + timeout + ":\n" + logTail());
    }

    /** Waits until Prometheus has scraped its target successfully ({@code up == 1}). */
    void awaitTargetUp(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String health = "";
        while (System.nanoTime() < deadline) {
            for (JsonNode t : api("targets").path("activeTargets")) {
                health = t.path("scrapeUrl").asText() + ": " + t.path("health").asText() + " " + t.path("lastError").asText();
                if ("up".equals(t.path("health").asText())) {
                    return;
                }
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Prometheus cannot scrape the job's reporter: " + health);
    }

    /** GET {@code /api/v1/<path>}; returns the response's {@code data}, failing on an API error. */
    JsonNode api(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/" + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new IllegalArgumentException("prometheus /api/v1/" + path + ": " + body.path("errorType").asText()
                    + ": " + body.path("error").asText());
        }
        return body.get("data");
    }

    /** An instant query; the result vector's samples (fails if the query is not a valid instant vector). */
    List<JsonNode> query(String expr) throws Exception {
        JsonNode data = api("query?query=" + encode(expr));
        List<JsonNode> out = new ArrayList<>();
        if (!"vector".equals(data.path("resultType").asText())) {
            throw new IllegalArgumentException("not an instant vector (" + data.path("resultType").asText() + "): " + expr);
        }
        data.path("result").forEach(out::add);
        return out;
    }

    /** Every metric name Prometheus has ingested. */
    List<String> metricNames() throws Exception {
        List<String> names = new ArrayList<>();
        api("label/__name__/values").forEach(n -> names.add(n.asText()));
        return names;
    }

    /** The label sets of the series a selector matches. */
    List<JsonNode> series(String selector) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        api("series?match[]=" + encode(selector)).forEach(out::add);
        return out;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        // the samples are of no use after the test; the config and the log stay for reading
        if (Files.isDirectory(tsdb)) {
            try (var files = Files.walk(tsdb)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
