package io.eduemotionnet.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.ResourceLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java sampler and the Python generator draw from the same spec file: their statistics (class
 * rates, persistence, missing rates, quality, per-class latent means) agree within 4 standard
 * errors. The Python side is model/benchmark/reference_stats.json (its freshness is a pytest).
 */
class SamplerStatisticsTest {

    /** What the Python statistics() computes, for a list of simulated sessions. */
    static Map<String, Double> statistics(BenchmarkSpec spec, List<Session> sessions) {
        int c = spec.numClasses();
        long[] classCount = new long[c];
        long[] stayFrom = new long[c];
        long[] stayed = new long[c];
        long steps = 0;
        long[] present = new long[3];
        double[] qualitySum = new double[3];
        long[] changes = new long[3];
        long[] showsNow = new long[3];
        long[] showsPrevious = new long[3];
        double[][][] centres = new double[3][][];
        double[][][] latentSum = new double[3][c][];
        long[][] latentCount = new long[3][c];
        for (int m = 0; m < 3; m++) {
            for (int k = 0; k < c; k++) {
                latentSum[m][k] = new double[spec.modalities[m].latent];
            }
            centres[m] = projectedCentres(spec.modalities[m]);
        }
        for (Session s : sessions) {
            for (int t = 0; t < s.labels.length; t++) {
                int y = s.labels[t];
                steps++;
                classCount[y]++;
                if (t > 0) {
                    stayFrom[s.labels[t - 1]]++;
                    if (s.labels[t - 1] == y) {
                        stayed[y]++;
                    }
                }
                for (int m = 0; m < 3; m++) {
                    if (s.x[t][m] == null) {
                        continue;
                    }
                    present[m]++;
                    qualitySum[m] += s.quality[t][m];
                    double[][] p = spec.modalities[m].projection;
                    double[] acc = latentSum[m][y];
                    double[] latent = new double[acc.length];
                    for (int j = 0; j < acc.length; j++) {
                        double u = 0;
                        for (int i = 0; i < p.length; i++) {
                            u += s.x[t][m][i] * p[i][j];
                        }
                        acc[j] += u;
                        latent[j] = u;
                    }
                    latentCount[m][y]++;
                    if (t > 0 && s.expressed[t] != s.expressed[t - 1]) {
                        int nearest = nearest(centres[m], latent);
                        changes[m]++;
                        showsNow[m] += nearest == s.expressed[t] ? 1 : 0;
                        showsPrevious[m] += nearest == s.expressed[t - 1] ? 1 : 0;
                    }
                }
            }
        }
        Map<String, Double> out = new HashMap<>();
        for (int k = 0; k < c; k++) {
            String name = spec.classes.get(k);
            out.put("class_rate." + name, (double) classCount[k] / steps);
            out.put("persistence." + name, stayFrom[k] == 0 ? Double.NaN : (double) stayed[k] / stayFrom[k]);
        }
        out.put("missing_rate", 1 - (double) (present[0] + present[1] + present[2]) / (3.0 * steps));
        for (int m = 0; m < 3; m++) {
            String mod = BenchmarkSpec.MODALITIES[m];
            out.put("missing_rate." + mod, 1 - (double) present[m] / steps);
            out.put("quality_mean." + mod, qualitySum[m] / present[m]);
            out.put("lag_match." + mod + ".now", changes[m] == 0 ? Double.NaN : (double) showsNow[m] / changes[m]);
            out.put("lag_match." + mod + ".previous", changes[m] == 0 ? Double.NaN : (double) showsPrevious[m] / changes[m]);
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < latentSum[m][k].length; j++) {
                    out.put("latent_mean." + mod + "." + spec.classes.get(k) + "." + j,
                            latentCount[m][k] == 0 ? Double.NaN : latentSum[m][k][j] / latentCount[m][k]);
                }
            }
        }
        return out;
    }

    /** Class centres as the latent (x @ P) sees them: class_means @ P^T P, [class][latent]. */
    static double[][] projectedCentres(BenchmarkSpec.ModalityParams p) {
        double[][] g = new double[p.latent][p.latent];
        for (double[] row : p.projection) {
            for (int a = 0; a < p.latent; a++) {
                for (int b = 0; b < p.latent; b++) {
                    g[a][b] += row[a] * row[b];
                }
            }
        }
        double[][] out = new double[p.classMeans.length][p.latent];
        for (int k = 0; k < out.length; k++) {
            for (int b = 0; b < p.latent; b++) {
                for (int a = 0; a < p.latent; a++) {
                    out[k][b] += p.classMeans[k][a] * g[a][b];
                }
            }
        }
        return out;
    }

    static int nearest(double[][] centres, double[] latent) {
        int best = 0;
        double bestDistance = Double.MAX_VALUE;
        for (int k = 0; k < centres.length; k++) {
            double d = 0;
            for (int j = 0; j < latent.length; j++) {
                d += (latent[j] - centres[k][j]) * (latent[j] - centres[k][j]);
            }
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    /** One simulated session: labels, expressed states, embeddings (null = missing) and quality per step. */
    static final class Session {
        int[] labels;
        int[] expressed;
        float[][][] x;
        float[][] quality;
    }

    static List<Session> simulate(SyntheticStream stream) {
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < stream.learners; i++) {
            LearnerSimulator sim = stream.simulator(i);
            List<int[]> labels = new ArrayList<>();
            List<Integer> expressed = new ArrayList<>();
            List<float[][]> xs = new ArrayList<>();
            List<float[]> qs = new ArrayList<>();
            for (long t = 0; t < stream.totalSteps; t++) {
                LearnerSimulator.Step st = sim.stepTo(t);
                if (st == null) {
                    continue;
                }
                SplittableRandom rng = sim.stepRandom(t);
                float[][] x = new float[3][];
                float[] q = new float[3];
                for (int m = 0; m < 3; m++) {
                    if (st.present[m]) {
                        x[m] = sim.embedding(m, st, rng);
                        q[m] = sim.quality(m, st, rng);
                    }
                }
                labels.add(new int[] {st.felt});
                expressed.add(st.expressed);
                xs.add(x);
                qs.add(q);
            }
            Session s = new Session();
            s.labels = labels.stream().mapToInt(a -> a[0]).toArray();
            s.expressed = expressed.stream().mapToInt(Integer::intValue).toArray();
            s.x = xs.toArray(new float[0][][]);
            s.quality = qs.toArray(new float[0][]);
            sessions.add(s);
        }
        return sessions;
    }

    @Test
    void aSpecWithFeaturesTheSamplerLacksIsRefused() {
        byte[] variant = ResourceLoader.read("model/benchmark/spec_offtask.json", "spec");
        assertThatThrownBy(() -> BenchmarkSpec.parse(variant))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("edu.synthetic.spec").hasMessageContaining("affect.off_task");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[-1, 1]|[0.5, 0.5]|modalities.text.lag.steps must not be negative",
        "[1, 6]|[0.5, 0.5]|modalities.text.lag.steps must be at most 5 (the carried context)",
        "[1, 2]|[0.5, 0.6]|modalities.text.lag.probabilities must be probabilities summing to 1",
        "[1, 2]|[1.0]|modalities.text.lag.probabilities must be a list of 2 numbers",
    })
    void anImpossibleLagIsRefusedNamingTheKey(String steps, String probabilities, String message) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root =
                (ObjectNode) json.readTree(ResourceLoader.read("model/benchmark/spec.json", "spec"));
        ObjectNode lag =
                (ObjectNode) root.get("modalities").get("text").get("lag");
        lag.set("steps", json.readTree(steps));
        lag.set("probabilities", json.readTree(probabilities));
        byte[] bytes = json.writeValueAsBytes(root);
        assertThatThrownBy(() -> BenchmarkSpec.parse(bytes))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("edu.synthetic.spec").hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theShippedSpecLagsTextMostAndTheSamplerRemembersEnoughStates() {
        BenchmarkSpec spec = BenchmarkSpec.parse(ResourceLoader.read("model/benchmark/spec.json", "spec"));
        assertThat(spec.modalities[2].lagSteps).containsExactly(1, 2, 3);
        assertThat(spec.maxLag()).isEqualTo(3).isLessThanOrEqualTo(BenchmarkSpec.MAX_LAG_STEPS);
    }

    @Test
    void javaSamplerMatchesThePythonGeneratorStatistically() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Files.readAllBytes(Path.of("model/benchmark/reference_stats.json")));
        BenchmarkSpec spec = BenchmarkSpec.parse(ResourceLoader.read("model/benchmark/spec.json", "spec"));
        assertThat(spec.fingerprint).as("reference stats come from this spec").isEqualTo(ref.get("benchmark_fingerprint").asText());
        int learners = ref.get("learners").asInt();
        int groups = ref.get("groups").asInt();
        SyntheticStream stream = new SyntheticStream(spec, learners, 1, ref.get("missing_rate").asDouble(), 0, 2024, 0,
                Math.round(spec.stepSeconds * 1000), 1_800_000_000_000L);
        List<Session> sessions = simulate(stream);
        Map<String, Double> whole = statistics(spec, sessions);
        List<Map<String, Double>> perGroup = new ArrayList<>();
        int size = (sessions.size() + groups - 1) / groups;
        for (int g = 0; g < sessions.size(); g += size) {
            perGroup.add(statistics(spec, sessions.subList(g, Math.min(sessions.size(), g + size))));
        }
        int compared = 0;
        List<String> failures = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ref.get("statistics").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            double py = e.getValue().get("value").asDouble();
            double pySe = e.getValue().get("se").asDouble();
            double java = whole.get(e.getKey());
            double javaSe = standardError(perGroup, e.getKey());
            double tolerance = 4 * Math.sqrt(pySe * pySe + javaSe * javaSe) + 1e-9;
            if (!(Math.abs(java - py) <= tolerance)) {
                failures.add(String.format("%s: java %.4f python %.4f (tolerance %.4f)", e.getKey(), java, py, tolerance));
            }
            compared++;
        }
        assertThat(compared).isGreaterThan(100);
        assertThat(failures).isEmpty();
        // and the test can fail: a different missing rate is told apart
        assertThat(Math.abs(whole.get("missing_rate") - 0.6)).isGreaterThan(0.1);
    }

    static double standardError(List<Map<String, Double>> groups, String key) {
        double mean = 0;
        int n = 0;
        for (Map<String, Double> g : groups) {
            if (!g.get(key).isNaN()) {
                mean += g.get(key);
                n++;
            }
        }
        mean /= n;
        double var = 0;
        for (Map<String, Double> g : groups) {
            if (!g.get(key).isNaN()) {
                var += (g.get(key) - mean) * (g.get(key) - mean);
            }
        }
        return Math.sqrt(var / (n - 1)) / Math.sqrt(n);
    }
}
