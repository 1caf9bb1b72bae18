package io.eduemotionnet.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The alert rules: promtool accepts them and their unit tests pass (each alert fires on a bad series
 * and stays silent on a healthy one), and every alert carries what an on-call engineer needs.
 */
class AlertRulesTest {
    private static final Set<String> SEVERITIES = Set.of("warning", "critical");

    @Test
    void promtoolAcceptsTheRuleFile() throws Exception {
        Result r = promtool("check", "rules", MonitoringFiles.ALERTS.toString());
        assertThat(r.exitCode).as("promtool check rules:\n" + r.output).isZero();
        assertThat(r.output).contains("SUCCESS: " + AlertRules.load().rules().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        Result r = promtool("test", "rules", MonitoringFiles.ALERT_TESTS.toString());
        assertThat(r.exitCode).as("promtool test rules:\n" + r.output).isZero();
        assertThat(r.output).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAFiringAndASilentUnitTest() throws Exception {
        JsonNode tests = new YAMLMapper().readTree(Files.readString(MonitoringFiles.ALERT_TESTS));
        assertThat(tests.path("rule_files").get(0).asText())
                .as("the unit tests read the rule file the chart ships")
                .isEqualTo("../" + MonitoringFiles.ALERTS.toString().replace(File.separatorChar, '/'));
        Set<String> firing = new TreeSet<>();
        Set<String> silent = new TreeSet<>();
        for (JsonNode test : tests.path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                String alert = check.path("alertname").asText();
                (check.path("exp_alerts").isEmpty() ? silent : firing).add(alert);
            }
        }
        for (AlertRules.Rule rule : AlertRules.load().rules()) {
            assertThat(firing).as("a unit test in which " + rule.alert() + " fires").contains(rule.alert());
            assertThat(silent).as("a unit test in which " + rule.alert() + " stays silent").contains(rule.alert());
        }
    }

    @Test
    void everyAlertHasSeverityDurationTextAndARunbookThatExists() throws Exception {
        Set<String> anchors = MarkdownAnchors.of(Files.readString(MonitoringFiles.ALERTS_DOC));
        Set<String> names = new TreeSet<>();
        List<AlertRules.Rule> rules = AlertRules.load().rules();
        assertThat(rules).isNotEmpty();
        for (AlertRules.Rule rule : rules) {
            String a = rule.alert();
            assertThat(a).as("only alerting rules in " + rule.group()).isNotNull();
            assertThat(names.add(a)).as("alert names are unique: " + a).isTrue();
            assertThat(rule.labels().path("severity").asText()).as(a + " severity").isIn(SEVERITIES);
            assertThat(rule.forDuration()).as(a + " for:").matches("\\d+[smh]");
            assertThat(rule.annotations().path("summary").asText()).as(a + " summary").isNotBlank();
            assertThat(rule.annotations().path("description").asText()).as(a + " description").isNotBlank();
            String runbook = rule.annotations().path("runbook_url").asText();
            assertThat(runbook).as(a + " runbook_url").isEqualTo("docs/alerts.md#" + a.toLowerCase());
            assertThat(anchors).as("docs/alerts.md has a section for " + a).contains(a.toLowerCase());
        }
    }

    // ---------------------------------------------------------------------------------------------

    record Result(int exitCode, String output) {}

    /** Runs promtool (from PATH or /usr/bin; the Debian package 'prometheus' installs it). */
    static Result promtool(String... args) throws Exception {
        Path exe = MonitoringFiles.executable("promtool");
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool did not finish in 60 s: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** GitHub-style heading anchors of a Markdown document, plus explicit {@code <a id="...">} ones. */
    static final class MarkdownAnchors {
        private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6}\\s+(.+?)\\s*#*\\s*$");
        private static final Pattern EXPLICIT = Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"");

        static Set<String> of(String markdown) {
            Set<String> out = new TreeSet<>();
            Matcher h = HEADING.matcher(markdown);
            while (h.find()) {
                out.add(slug(h.group(1)));
            }
            Matcher e = EXPLICIT.matcher(markdown);
            while (e.find()) {
                out.add(e.group(1));
            }
            return out;
        }

        static String slug(String heading) {
            return heading.trim().toLowerCase().replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
        }
    }
}
