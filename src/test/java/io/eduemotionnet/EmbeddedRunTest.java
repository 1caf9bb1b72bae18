package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's run command: the job's main on the embedded default, ending with its summary. */
class EmbeddedRunTest {

    @Test
    void theEmbeddedDefaultRunsAndSummarises() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            EmotionJob.run(new String[] {"--edu.synthetic.learners", "30", "--edu.synthetic.invalid-rate", "0.01",
                    "--edu.synthetic.no-consent-rate", "0.1", "--edu.synthetic.withdraw-rate", "0.1"});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.println(out);
        assertThat(out).contains("Summary");
        // the synthetic learners' consent: only those who granted are scored; withdrawals end in receipts
        Matcher consent = Pattern.compile("consent\\s+(\\d+) learners granted \\((\\d+) of them withdrew mid-session\\), (\\d+) never did")
                .matcher(out);
        assertThat(consent.find()).as(out).isTrue();
        int granted = Integer.parseInt(consent.group(1));
        int withdrew = Integer.parseInt(consent.group(2));
        assertThat(granted + Integer.parseInt(consent.group(3))).isEqualTo(30);
        assertThat(withdrew).isPositive();
        assertThat(out).contains("learners          " + granted);
        Matcher without = Pattern.compile("without consent\\s+([\\d,]+) events").matcher(out);
        assertThat(without.find()).isTrue();
        assertThat(Integer.parseInt(without.group(1).replace(",", ""))).as("events of learners who never granted or withdrew")
                .isPositive();
        assertThat(out).contains("erasures          " + withdrew + " orders, " + withdrew + " receipts");
        Matcher f1 = Pattern.compile("macro-F1\\s+(0\\.\\d+)").matcher(out);
        assertThat(f1.find()).as(out).isTrue();
        assertThat(Double.parseDouble(f1.group(1))).isGreaterThan(0.5); // well above chance (0.25) on 4 classes
        Matcher dead = Pattern.compile("dead letters\\s+(\\d+)").matcher(out);
        assertThat(dead.find()).isTrue();
        assertThat(Integer.parseInt(dead.group(1))).isPositive();
        assertThat(out).doesNotContain("synthetic-0000"); // no learner ids in what the job prints
        // interventions per rule, each rule scored against the generator's truth; cohort-minutes written
        Matcher interventions = Pattern.compile("interventions\\s+(\\d+) \\(sustained-confusion \\d+").matcher(out);
        assertThat(interventions.find()).as(out).isTrue();
        assertThat(Integer.parseInt(interventions.group(1))).isPositive();
        for (String rule : new String[] {"sustained-confusion", "sustained-frustration", "sustained-boredom"}) {
            assertThat(out).containsPattern(rule + "\\s+precision (\\d\\.\\d{3}|NaN), recall \\d\\.\\d{3}");
        }
        Matcher cohorts = Pattern.compile("cohort affect\\s+(\\d+) cohort-minutes written, \\d+ suppressed").matcher(out);
        assertThat(cohorts.find()).as(out).isTrue();
        assertThat(Integer.parseInt(cohorts.group(1))).isPositive();
    }
}
