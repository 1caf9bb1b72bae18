package io.eduemotionnet.monitoring;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the monitoring files live (tests run in the project's root directory). */
final class MonitoringFiles {
    private MonitoringFiles() {}

    static final Path DASHBOARD = Path.of("helm/edu-emotionnet/files/dashboard.json");
    static final Path ALERTS = Path.of("helm/edu-emotionnet/files/alerts.yaml");
    static final Path ALERT_TESTS = Path.of("monitoring/alerts_test.yaml");
    static final Path PROMETHEUS_LOCAL = Path.of("monitoring/prometheus-local.yml");
    static final Path METRICS_DOC = Path.of("docs/metrics.md");
    static final Path ALERTS_DOC = Path.of("docs/alerts.md");
    /** Scratch space for the servers these tests start. */
    static final Path WORK = Path.of("target/monitoring");

    /** prometheus or promtool, from PATH or /usr/bin; a clear failure when the package is missing. */
    static Path executable(String name) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name);
            }
        }
        throw new AssertionError(name + " not found on PATH or in /usr/bin: install the Debian package 'prometheus' "
                + "(apt-get install prometheus; .ci/run does) to run the monitoring tests");
    }
}
