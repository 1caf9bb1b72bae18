package io.eduemotionnet.synthetic;

import io.eduemotionnet.model.ModelInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobOptions;
import java.io.Serializable;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The benchmark spec ({@code model/benchmark/spec.json}, the file the Python generator reads),
 * parsed for the Java sampler. Nothing here repeats its numbers: they come from the file.
 */
public final class BenchmarkSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String[] MODALITIES = ModelInfo.MODALITIES.toArray(new String[0]);
    /**
     * The longest cross-modal lag a spec may declare, in steps: the model's carried context (the
     * Python spec reader's MAX_LAG_STEPS, ModelConfig.context - 1). Content older than that cannot be
     * aligned by anything the job keeps per learner.
     */
    static final int MAX_LAG_STEPS = 5;

    public final String fingerprint;
    public final List<String> classes;
    public final double stepSeconds;
    public final int sessionMin;
    public final int sessionMax;
    public final double[] initial;
    public final double[][] transition;
    public final double maskStart;
    public final double maskContinue;
    public final double[][] maskedAs;
    public final ModalityParams[] modalities = new ModalityParams[3];
    public final double maxMissingRate;
    public final double maxModalityMissingRate;

    /** One modality's generative parameters. */
    public static final class ModalityParams implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String name;
        public final int dim;
        public final int latent;
        public final double[][] classMeans; // [class][latent]
        public final double[][] projection; // [dim][latent]
        public final double withinClassStd;
        public final double noiseStd;
        public final double offsetStd;
        public final double[] levelMultipliers;
        public final boolean[] levelInterference;
        public final double[] levelInitial;
        public final double[][] levelTransition;
        public final double missingShare;
        public final double missingMeanSpell;
        public final double[] qualityPerLevel;
        public final double qualityJitter;
        public final double qualityMin;
        public final double qualityMax;
        /** Cross-modal lag: content shows the expressed state of lagSteps[i] steps earlier with probability lagProbabilities[i]. */
        public final int[] lagSteps;
        public final double[] lagProbabilities;

        ModalityParams(String name, JsonNode p) {
            this.name = name;
            dim = p.get("dim").asInt();
            latent = p.get("latent_dim").asInt();
            classMeans = matrix(p.get("class_means"));
            projection = matrix(p.get("projection"));
            withinClassStd = p.get("within_class_std").asDouble();
            noiseStd = p.get("noise_std").asDouble();
            offsetStd = p.get("learner_offset_std").asDouble();
            JsonNode lv = p.get("noise_levels");
            levelMultipliers = vector(lv.get("multipliers"));
            levelInterference = new boolean[levelMultipliers.length];
            for (int i = 0; i < levelInterference.length; i++) {
                levelInterference[i] = lv.get("interference").get(i).asBoolean();
            }
            levelInitial = vector(lv.get("initial"));
            levelTransition = matrix(lv.get("transition"));
            missingShare = p.get("missing").get("share").asDouble();
            missingMeanSpell = p.get("missing").get("mean_spell_steps").asDouble();
            JsonNode q = p.get("quality");
            qualityPerLevel = vector(q.get("per_level"));
            qualityJitter = q.get("jitter").asDouble();
            qualityMin = q.get("range").get(0).asDouble();
            qualityMax = q.get("range").get(1).asDouble();
            if (p.has("lag")) {
                String key = "modalities." + name + ".lag";
                JsonNode lag = p.get("lag");
                lagSteps = lagSteps(key + ".steps", lag.get("steps"));
                lagProbabilities = lagProbabilities(key + ".probabilities", lag.get("probabilities"), lagSteps.length);
            } else {
                lagSteps = new int[] {0};
                lagProbabilities = new double[] {1.0};
            }
            if (projection.length != dim || projection[0].length != latent || classMeans[0].length != latent) {
                throw new IllegalArgumentException("modalities." + name + ": projection/class_means shapes do not match dim/latent_dim");
            }
        }

        /** The longest lag of this modality, in steps (0 = none). */
        public int maxLag() {
            int max = 0;
            for (int d : lagSteps) {
                max = Math.max(max, d);
            }
            return max;
        }

        private static int[] lagSteps(String key, JsonNode node) {
            if (node == null || !node.isArray() || node.isEmpty()) {
                throw new IllegalArgumentException(key + " must be a non-empty list of whole numbers of steps");
            }
            int[] steps = new int[node.size()];
            for (int i = 0; i < steps.length; i++) {
                JsonNode v = node.get(i);
                if (!v.isIntegralNumber()) {
                    throw new IllegalArgumentException(key + " must be a non-empty list of whole numbers of steps, got " + node);
                }
                steps[i] = v.asInt();
                if (steps[i] < 0) {
                    throw new IllegalArgumentException(key + " must not be negative (content cannot show a later state), got " + node);
                }
                if (steps[i] > MAX_LAG_STEPS) {
                    throw new IllegalArgumentException(key + " must be at most " + MAX_LAG_STEPS + " (the carried context), got " + node);
                }
                for (int j = 0; j < i; j++) {
                    if (steps[j] == steps[i]) {
                        throw new IllegalArgumentException(key + " must not repeat a lag, got " + node);
                    }
                }
            }
            return steps;
        }

        private static double[] lagProbabilities(String key, JsonNode node, int n) {
            if (node == null || !node.isArray() || node.size() != n) {
                throw new IllegalArgumentException(key + " must be a list of " + n + " numbers (one per lag)");
            }
            double[] p = vector(node);
            double sum = 0;
            for (double v : p) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException(key + " must be probabilities summing to 1, got " + node);
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > 1e-6) {
                throw new IllegalArgumentException(key + " must be probabilities summing to 1, got " + node + " (sum " + sum + ")");
            }
            return p;
        }
    }

    private BenchmarkSpec(byte[] bytes) throws Exception {
        fingerprint = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        JsonNode root = new ObjectMapper().readTree(bytes);
        classes = new ArrayList<>();
        root.get("classes").forEach(c -> classes.add(c.asText()));
        stepSeconds = root.get("step_seconds").asDouble();
        sessionMin = root.get("session_steps").get("min").asInt();
        sessionMax = root.get("session_steps").get("max").asInt();
        JsonNode affect = root.get("affect");
        if (affect.has("off_task")) {
            // a probe variant of the Python generator (model/README.md, "Probe: off-task spells"): sampling
            // without it would silently be another process than the spec describes
            throw new IllegalArgumentException("affect.off_task (off-task spells) is not supported by the job's "
                    + "synthetic source; use model/benchmark/spec.json");
        }
        initial = vector(affect.get("initial"));
        transition = matrix(affect.get("transition"));
        JsonNode display = affect.get("display");
        maskStart = display.get("mask_start").asDouble();
        maskContinue = display.get("mask_continue").asDouble();
        maskedAs = matrix(display.get("masked_as"));
        for (int m = 0; m < 3; m++) {
            modalities[m] = new ModalityParams(MODALITIES[m], root.get("modalities").get(MODALITIES[m]));
        }
        maxMissingRate = root.get("missing").get("max_rate").asDouble();
        maxModalityMissingRate = root.get("missing").get("max_modality_rate").asDouble();
    }

    public static BenchmarkSpec parse(byte[] bytes) {
        try {
            return new BenchmarkSpec(bytes);
        } catch (Exception e) {
            throw new ConfigException(JobOptions.SYNTHETIC_SPEC.key(), "is not a valid benchmark spec ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    /** The longest lag of any modality: how many past expressed states a learner must remember. */
    public int maxLag() {
        int max = 0;
        for (ModalityParams m : modalities) {
            max = Math.max(max, m.maxLag());
        }
        return max;
    }

    public int numClasses() {
        return classes.size();
    }

    /** Initial distribution and transition matrix of the joint (felt, expressed) chain, index y*C+e. */
    double[][] jointTransition() {
        int c = numClasses();
        double[][] t = new double[c * c][c * c];
        for (int y0 = 0; y0 < c; y0++) {
            for (int e0 = 0; e0 < c; e0++) {
                for (int y1 = 0; y1 < c; y1++) {
                    double[] shown = (y1 == y0 && e0 != y0) ? continuing(e0, y1) : fresh(y1);
                    for (int e1 = 0; e1 < c; e1++) {
                        t[y0 * c + e0][y1 * c + e1] = transition[y0][y1] * shown[e1];
                    }
                }
            }
        }
        return t;
    }

    double[] jointInitial() {
        int c = numClasses();
        double[] init = new double[c * c];
        for (int y = 0; y < c; y++) {
            double[] shown = fresh(y);
            for (int e = 0; e < c; e++) {
                init[y * c + e] = initial[y] * shown[e];
            }
        }
        return init;
    }

    private double[] fresh(int y) {
        double[] d = new double[numClasses()];
        for (int e = 0; e < d.length; e++) {
            d[e] = (e == y ? 1 - maskStart : 0) + maskStart * maskedAs[y][e];
        }
        return d;
    }

    private double[] continuing(int shownBefore, int felt) {
        double[] d = new double[numClasses()];
        d[shownBefore] += maskContinue;
        d[felt] += 1 - maskContinue;
        return d;
    }

    /** The overall missing rate split over modalities by their shares, capped (the generator's water-filling). */
    public double[] modalityMissingRates(double rate) {
        if (!(rate >= 0 && rate < 1) || rate > maxMissingRate + 1e-9) {
            throw new IllegalArgumentException("missing rate must be in [0, " + maxMissingRate + "], got " + rate);
        }
        double cap = maxModalityMissingRate;
        int n = modalities.length;
        double[] shares = new double[n];
        for (int m = 0; m < n; m++) {
            shares[m] = modalities[m].missingShare;
        }
        double[] rates = new double[n];
        boolean[] free = {true, true, true};
        double budget = rate * n;
        for (int iter = 0; iter < n; iter++) {
            double freeShares = 0;
            for (int m = 0; m < n; m++) {
                if (free[m]) {
                    freeShares += shares[m];
                }
            }
            boolean over = false;
            for (int m = 0; m < n; m++) {
                if (free[m] && budget * shares[m] / freeShares > cap) {
                    free[m] = false;
                    over = true;
                }
            }
            if (!over) {
                for (int m = 0; m < n; m++) {
                    rates[m] = free[m] ? budget * shares[m] / freeShares : cap;
                }
                return rates;
            }
            int capped = 0;
            for (boolean f : free) {
                capped += f ? 0 : 1;
            }
            budget = rate * n - cap * capped;
        }
        for (int m = 0; m < n; m++) {
            rates[m] = cap;
        }
        return rates;
    }

    static double[] vector(JsonNode node) {
        double[] v = new double[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asDouble();
        }
        return v;
    }

    static double[][] matrix(JsonNode node) {
        double[][] m = new double[node.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = vector(node.get(i));
        }
        return m;
    }
}
