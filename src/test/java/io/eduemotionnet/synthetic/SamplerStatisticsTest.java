package io.eduemotionnet.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        double[][][] latentSum = new double[3][c][];
        long[][] latentCount = new long[3][c];
        for (int m = 0; m < 3; m++) {
            for (int k = 0; k < c; k++) {
                latentSum[m][k] = new double[spec.modalities[m].latent];
            }
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
                    for (int j = 0; j < acc.length; j++) {
                        double u = 0;
                        for (int i = 0; i < p.length; i++) {
                            u += s.x[t][m][i] * p[i][j];
                        }
                        acc[j] += u;
                    }
                    latentCount[m][y]++;
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
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < latentSum[m][k].length; j++) {
                    out.put("latent_mean." + mod + "." + spec.classes.get(k) + "." + j,
                            latentCount[m][k] == 0 ? Double.NaN : latentSum[m][k][j] / latentCount[m][k]);
                }
            }
        }
        return out;
    }

    /** One simulated session: labels, embeddings (null = missing) and quality per step. */
    static final class Session {
        int[] labels;
        float[][][] x;
        float[][] quality;
    }

    static List<Session> simulate(SyntheticStream stream) {
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < stream.learners; i++) {
            LearnerSimulator sim = stream.simulator(i);
            List<int[]> labels = new ArrayList<>();
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
                xs.add(x);
                qs.add(q);
            }
            Session s = new Session();
            s.labels = labels.stream().mapToInt(a -> a[0]).toArray();
            s.x = xs.toArray(new float[0][][]);
            s.quality = qs.toArray(new float[0][]);
            sessions.add(s);
        }
        return sessions;
    }

    @Test
    void aSpecWithFeaturesTheSamplerLacksIsRefused() {
        byte[] variant = ResourceLoader.read("model/benchmark/spec_offtask.json", "spec");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BenchmarkSpec.parse(variant))
                .isInstanceOf(io.eduemotionnet.config.ConfigException.class)
                .hasMessageContaining("edu.synthetic.spec").hasMessageContaining("affect.off_task");
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
