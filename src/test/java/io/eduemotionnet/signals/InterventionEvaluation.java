package io.eduemotionnet.signals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * Measures the intervention rules where the felt state is known: fresh EduAffect-Synth sessions at 20 %
 * and 60 % missing, the shipped model's per-step posteriors and the oracle's (from Python:
 * {@code python3 -m edu_emotionnet posteriors}), and the job's own rule classes ({@link InterventionRules},
 * with the configured rules and cooldown) run over both. Prints a table and writes docs/interventions.json.
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@interventions} (about 10 min on 2 cores, nearly all of it the
 * posteriors in Python). Options: {@code --learners N} sessions per rate (3000: at 1000 a precision near 0.9
 * carries a standard error of about 0.013, the size of the margins measured), {@code --seed S} of the sessions
 * (Python's default, 7 300 000), {@code --posteriors FILE} reuse a file instead of running Python, {@code --out FILE}
 * (docs/interventions.json), {@code --fit-temperatures true} fit the rules' calibration
 * ({@link PresenceCalibration}) on these sessions instead of the configured one, {@code --select-thresholds true}
 * pick each rule's p and latest minimum on these sessions ({@link #selectThresholds}), and any
 * {@code --edu.interventions.*} key.
 */
public final class InterventionEvaluation {
    static final String[] RATES = {"0.2", "0.6"};

    private InterventionEvaluation() {}

    /** One session: truth, presence and both posteriors per step. */
    record Sequence(String rate, int[] truth, int[] present, float[][] model, float[][] oracle) {}

    /** The scores of one rule configuration on one source. */
    record Score(double precision, double recall, double medianDelay, long episodes, long events) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> jobArgs = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].startsWith("--edu.")) {
                jobArgs.add(args[i]);
                jobArgs.add(args[i + 1]);
            } else {
                opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
            }
        }
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), jobArgs.toArray(new String[0])));
        int learners = Integer.parseInt(opts.getOrDefault("learners", "3000"));
        Path out = Path.of(opts.getOrDefault("out", "docs/interventions.json"));
        Path file = Path.of(opts.getOrDefault("posteriors", "target/interventions-posteriors.jsonl"));
        if (!opts.containsKey("posteriors")) {
            runPython(file, learners, opts.get("seed"));
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode header;
        List<Sequence> sequences = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            header = json.readTree(in.readLine());
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                sequences.add(sequence(json.readTree(line)));
            }
        }
        List<String> classes = new ArrayList<>();
        header.path("classes").forEach(c -> classes.add(c.asText()));
        double stepSeconds = header.path("step_seconds").asDouble();
        long stepMillis = Math.round(stepSeconds * 1000);
        long cooldown = cfg.interventionCooldown.toMillis();
        List<InterventionRule> rules = InterventionRule.bind(cfg.interventionRules, classes, stepMillis);
        List<Double> temperatures = cfg.interventionTemperatures;
        boolean fitTemperatures = Boolean.parseBoolean(opts.getOrDefault("fit-temperatures", "false"));
        if (fitTemperatures) {
            temperatures = TemperatureFit.fit(sequences, ModelInfo.MODALITIES.size());
            System.out.println("temperatures fitted on these sessions (1, 2, 3 modalities present): " + temperatures
                    + "  ->  --edu.interventions.temperatures " + temperatures.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(";")));
        }
        // what the rules read of the model's posteriors (the job's calibration); the oracle's are read as they are
        PresenceCalibration rulesRead = PresenceCalibration.bind(temperatures, ModelInfo.MODALITIES.size());
        boolean select = Boolean.parseBoolean(opts.getOrDefault("select-thresholds", "false"));
        if (select) {
            List<InterventionRule> selected = new ArrayList<>();
            List<String> specs = new ArrayList<>();
            for (InterventionRule rule : rules) {
                // a rule without a probability threshold (duration alone) stays so
                InterventionRule r = rule.minMeanProbability > 0
                        ? selectThresholds(sequences, rule, cooldown, stepSeconds, rulesRead) : rule;
                selected.add(r);
                specs.add(r.spec(stepMillis).toString());
            }
            rules = selected;
            System.out.println("thresholds selected on these sessions  ->  config.yaml: edu.interventions.rules: " + String.join(";", specs));
        }

        ObjectNode report = json.createObjectNode();
        report.put("command", "mvn -q test-compile exec:exec@interventions");
        report.put("model_version", header.path("model_version").asText());
        report.put("weights_fingerprint", header.path("weights_fingerprint").asText());
        report.put("benchmark_fingerprint", header.path("benchmark_fingerprint").asText());
        report.put("sessions_per_rate", header.path("learners_per_rate").asInt());
        report.put("cooldown_s", cooldown / 1000.0);
        report.put("seed", header.path("seed").asLong());
        ArrayNode temps = report.putArray("temperatures");
        temperatures.forEach(temps::add);
        report.put("temperatures_fitted_here", fitTemperatures);
        report.put("thresholds_selected_here", select);
        ArrayNode configured = report.putArray("rules_configured");
        rules.forEach(r -> configured.add(r.name + ": " + r.state + " for " + r.minSteps * stepMillis / 1000 + " s, mean p >= "
                + r.minMeanProbability + (r.minLatestProbability > 0 ? ", latest p >= " + r.minLatestProbability : "")));
        report.put("definitions", "true episode: a run of the felt state lasting at least the rule's duration; "
                + "precision: share of events whose detection step lies in a true episode of the rule's state; "
                + "recall: share of true episodes with an event; delay: episode start to the end of the step of its "
                + "first event; oracle_*: the same rule on the Bayes-optimal filter's posteriors (the ceiling)");
        ObjectNode calibration = report.putObject("calibration");
        for (String rate : RATES) {
            ObjectNode r = calibration.putObject(rate);
            for (boolean oracle : new boolean[] {false, true}) {
                double[] c = confidence(sequences, rate, oracle, rulesRead);
                ObjectNode n = r.putObject(oracle ? "oracle" : "model");
                n.put("accuracy", round(c[0]));
                n.put("mean_top_probability", round(c[1]));
                if (!oracle) { // what the rules read
                    n.put("mean_top_probability_calibrated", round(c[2]));
                }
                System.out.printf("%s at %.0f %% missing: accuracy %.3f, mean top probability %.3f (as the rules read it %.3f)%n",
                        oracle ? "oracle" : "model ", 100 * Double.parseDouble(rate), c[0], c[1], c[2]);
            }
        }
        ObjectNode rulesNode = report.putObject("rules");
        ObjectNode targets = report.putObject("targets");
        ObjectNode tuning = report.putObject("tuning");
        System.out.printf("Intervention rules on %d fresh sessions per missing rate, model %s, cooldown %.0f s%n",
                header.path("learners_per_rate").asInt(), header.path("model_version").asText(), cooldown / 1000.0);
        System.out.printf("%-24s %5s  %9s %9s %7s   %9s %9s %7s  %8s %6s  %s%n", "rule", "miss", "precision", "recall",
                "delay", "oracle P", "oracle R", "delay", "episodes", "events", "targets");
        for (InterventionRule rule : rules) {
            ObjectNode perRate = rulesNode.putObject(rule.name);
            ObjectNode met = targets.putObject(rule.name);
            for (String rate : RATES) {
                Score m = score(sequences, rate, rule, rule.minSteps, cooldown, stepSeconds, false, rulesRead);
                Score o = score(sequences, rate, rule, rule.minSteps, cooldown, stepSeconds, true, rulesRead);
                ObjectNode r = perRate.putObject(rate);
                r.put("precision", round(m.precision));
                r.put("recall", round(m.recall));
                r.put("oracle_precision", round(o.precision));
                r.put("oracle_recall", round(o.recall));
                r.put("median_delay_s", round(m.medianDelay));
                r.put("oracle_median_delay_s", round(o.medianDelay));
                r.put("episodes", m.episodes);
                r.put("events", m.events);
                r.put("oracle_events", o.events);
                boolean p = m.precision >= 0.9;
                boolean rc = m.recall >= 0.9 * o.recall;
                boolean d = m.medianDelay <= o.medianDelay + 4;
                ObjectNode t = met.putObject(rate);
                t.put("precision_at_least_0.9", p);
                t.put("recall_at_least_0.9_oracle", rc);
                t.put("median_delay_at_most_oracle_plus_4s", d);
                System.out.printf("%-24s %4.0f%%  %9.3f %9.3f %6.1fs   %9.3f %9.3f %6.1fs  %8d %6d  %s%n", rule.name,
                        100 * Double.parseDouble(rate), m.precision, m.recall, m.medianDelay, o.precision, o.recall,
                        o.medianDelay, m.episodes, m.events, (p ? "P" : "p") + (rc ? "R" : "r") + (d ? "D" : "d"));
            }
            tuning.set(rule.name, tuning(json, sequences, rule, cooldown, stepSeconds, stepMillis, rulesRead));
        }
        System.out.println("targets: P precision >= 0.9, R recall >= 0.9 x oracle, D median delay <= oracle + 4 s"
                + " (lower case: not met)");
        printMarkdown(report);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report) + "\n");
        System.out.println("wrote " + out);
    }

    /** The README's two tables, from the report (so the README carries the command's figures). */
    private static void printMarkdown(ObjectNode report) {
        System.out.println();
        System.out.println("| rule | missing | precision | recall | median delay | oracle precision | oracle recall | oracle median delay | true episodes | events |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        report.path("rules").fields().forEachRemaining(rule -> rule.getValue().fields().forEachRemaining(rate -> {
            JsonNode r = rate.getValue();
            System.out.printf("| %s | %.0f %% | %.3f | %.3f | %.0f s | %.3f | %.3f | %.0f s | %d | %d |%n", rule.getKey(),
                    100 * Double.parseDouble(rate.getKey()), r.path("precision").asDouble(), r.path("recall").asDouble(),
                    r.path("median_delay_s").asDouble(), r.path("oracle_precision").asDouble(), r.path("oracle_recall").asDouble(),
                    r.path("oracle_median_delay_s").asDouble(), r.path("episodes").asLong(), r.path("events").asLong());
        }));
        System.out.println();
        System.out.println("| rule | duration | min mean p | min latest p | 20 %: precision / recall / delay | 60 %: precision / recall / delay |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        report.path("tuning").fields().forEachRemaining(rule -> rule.getValue().forEach(row -> {
            StringBuilder sb = new StringBuilder();
            for (String rate : RATES) {
                JsonNode r = row.path(rate);
                sb.append(String.format(" %.3f / %.3f / %.0f s |", r.path("precision").asDouble(), r.path("recall").asDouble(),
                        r.path("median_delay_s").asDouble()));
            }
            System.out.printf("| %s | %.0f s | %.2f | %.2f |%s%n", rule.getKey(), row.path("duration_s").asDouble(),
                    row.path("min_mean_probability").asDouble(), row.path("min_latest_probability").asDouble(), sb);
        }));
        System.out.println();
    }

    /**
     * Precision/recall/delay for 3 durations (at the rule's thresholds), other values of p (at its duration and
     * latest minimum) and of the latest minimum (at its duration and p).
     */
    private static ArrayNode tuning(ObjectMapper json, List<Sequence> sequences, InterventionRule rule, long cooldown,
                                    double stepSeconds, long stepMillis, PresenceCalibration calibration) {
        ArrayNode rows = json.createArrayNode();
        List<InterventionRule> grid = new ArrayList<>();
        for (double f : new double[] {0.5, 1.0, 1.5}) {
            grid.add(rule.with((int) Math.max(1, Math.round(rule.minSteps * f)), rule.minMeanProbability, rule.minLatestProbability));
        }
        for (double p : new double[] {0.0, 0.7, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9, 0.95}) {
            if (p != rule.minMeanProbability) {
                grid.add(rule.with(rule.minSteps, p, rule.minLatestProbability));
            }
        }
        for (double q : new double[] {0.0, 0.85, 0.9, 0.93, 0.95}) {
            if (q != rule.minLatestProbability) {
                grid.add(rule.with(rule.minSteps, rule.minMeanProbability, q));
            }
        }
        for (InterventionRule variant : grid) {
            ObjectNode row = rows.addObject();
            row.put("duration_s", variant.minSteps * stepMillis / 1000.0);
            row.put("min_mean_probability", variant.minMeanProbability);
            row.put("min_latest_probability", variant.minLatestProbability);
            for (String rate : RATES) {
                Score m = score(sequences, rate, variant, rule.minSteps, cooldown, stepSeconds, false, calibration);
                ObjectNode r = row.putObject(rate);
                r.put("precision", round(m.precision));
                r.put("recall", round(m.recall));
                r.put("median_delay_s", round(m.medianDelay));
                r.put("events", m.events);
            }
        }
        return rows;
    }

    /**
     * Picks a rule's two thresholds on these sessions: over p in 0.76..0.88 and the latest minimum in {0,
     * 0.86..0.95}, the pair whose worst margin over the targets at both rates is largest, each margin in
     * standard errors (precision - 0.9 over sqrt(0.09 / events); recall - 0.9 x oracle recall over the
     * recall's binomial error), the delay target a constraint. The oracle runs the same thresholds.
     */
    static InterventionRule selectThresholds(List<Sequence> sequences, InterventionRule rule, long cooldown, double stepSeconds,
                                             PresenceCalibration calibration) {
        InterventionRule best = rule;
        double bestMargin = Double.NEGATIVE_INFINITY;
        for (int pi = 76; pi <= 88; pi++) {
            for (double q : new double[] {0.0, 0.86, 0.88, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95}) {
                InterventionRule candidate = rule.with(rule.minSteps, pi / 100.0, q);
                double margin = Double.POSITIVE_INFINITY;
                for (String rate : RATES) {
                    Score m = score(sequences, rate, candidate, rule.minSteps, cooldown, stepSeconds, false, calibration);
                    Score o = score(sequences, rate, candidate, rule.minSteps, cooldown, stepSeconds, true, calibration);
                    if (m.events == 0 || !(m.medianDelay <= o.medianDelay + 4)) {
                        margin = Double.NEGATIVE_INFINITY;
                        break;
                    }
                    double precision = (m.precision - 0.9) / Math.sqrt(0.09 / m.events);
                    double recall = (m.recall - 0.9 * o.recall) / Math.sqrt(m.recall * (1 - m.recall) / m.episodes);
                    margin = Math.min(margin, Math.min(precision, recall));
                }
                if (margin > bestMargin) {
                    bestMargin = margin;
                    best = candidate;
                }
            }
        }
        System.out.printf("%s: min mean probability %.2f, min latest probability %.2f (worst margin %.2f standard errors)%n",
                rule.name, best.minMeanProbability, best.minLatestProbability, bestMargin);
        return best;
    }

    /**
     * Runs {@code rule} over every session of one missing rate (each session a fresh learner) and scores its
     * events against true episodes of at least {@code episodeSteps} steps.
     */
    static Score score(List<Sequence> sequences, String rate, InterventionRule rule, int episodeSteps, long cooldown,
                       double stepSeconds, boolean oracle, PresenceCalibration calibration) {
        InterventionRules engine = new InterventionRules(List.of(rule), cooldown, readAs(oracle, calibration));
        EpisodeScore s = new EpisodeScore(rule.stateIndex, episodeSteps, stepSeconds);
        long stepMillis = Math.round(stepSeconds * 1000);
        for (Sequence q : sequences) {
            if (!q.rate.equals(rate)) {
                continue;
            }
            float[][] post = oracle ? q.oracle : q.model;
            LearnerSignals state = LearnerSignals.start(1);
            List<Integer> events = new ArrayList<>();
            for (int t = 0; t < q.truth.length; t++) {
                List<Detection> fired = engine.observe(state, "s", t * stepMillis, (t + 1) * stepMillis, Integer.bitCount(q.present[t]),
                        argmax(post[t]), post[t]);
                if (!fired.isEmpty()) {
                    events.add(t);
                }
            }
            s.add(q.truth, events);
        }
        return new Score(s.precision(), s.recall(), s.medianDelaySeconds(), s.episodes, s.events);
    }

    /** {accuracy, mean top probability, mean top probability as the rules read it} of one source against the felt state. */
    static double[] confidence(List<Sequence> sequences, String rate, boolean oracle, PresenceCalibration calibration) {
        PresenceCalibration readAs = readAs(oracle, calibration);
        long n = 0;
        long right = 0;
        double top = 0;
        double calibratedTop = 0;
        for (Sequence q : sequences) {
            if (q.rate.equals(rate)) {
                for (int t = 0; t < q.truth.length; t++) {
                    float[] p = oracle ? q.oracle[t] : q.model[t];
                    int best = argmax(p);
                    n++;
                    right += best == q.truth[t] ? 1 : 0;
                    top += p[best];
                    calibratedTop += readAs.apply(p, Integer.bitCount(q.present[t]))[best];
                }
            }
        }
        return new double[] {(double) right / n, top / n, calibratedTop / n};
    }

    /** The oracle's posteriors are calibrated by construction: the rules read them as they are. */
    private static PresenceCalibration readAs(boolean oracle, PresenceCalibration modelCalibration) {
        return oracle ? PresenceCalibration.none() : modelCalibration;
    }

    static int argmax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    private static Sequence sequence(JsonNode n) {
        int length = n.path("truth").size();
        int[] truth = new int[length];
        int[] present = new int[length];
        float[][] model = new float[length][];
        float[][] oracle = new float[length][];
        for (int t = 0; t < length; t++) {
            truth[t] = n.path("truth").get(t).asInt();
            present[t] = n.path("present").get(t).asInt();
            model[t] = floats(n.path("model").get(t));
            oracle[t] = floats(n.path("oracle").get(t));
        }
        return new Sequence(n.path("rate").asText(), truth, present, model, oracle);
    }

    private static float[] floats(JsonNode row) {
        float[] out = new float[row.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) row.get(i).asDouble();
        }
        return out;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 10_000) / 10_000.0;
    }

    private static void runPython(Path file, int learners, String seed) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-m", "edu_emotionnet", "posteriors", "--learners",
                String.valueOf(learners), "--rates", String.join(",", RATES), "--out", file.toAbsolutePath().toString()));
        if (seed != null) {
            cmd.addAll(List.of("--seed", seed));
        }
        System.out.println("running (in model/): " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).directory(Path.of("model").toFile()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the posteriors command failed (exit " + p.exitValue() + ")");
        }
    }
}
