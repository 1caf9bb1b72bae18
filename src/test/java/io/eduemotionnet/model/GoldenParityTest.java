package io.eduemotionnet.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.config.JobConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** ONNX Runtime (Java) reproduces PyTorch's step form on model/golden within 1e-4. */
class GoldenParityTest {
    static final Path GOLDEN = Path.of("model/golden");

    static float[] read(JsonNode manifest, String name) throws Exception {
        JsonNode f = manifest.get("files").get(name);
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(GOLDEN.resolve(f.get("file").asText()))).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void onnxRuntimeMatchesTheGoldenVectors() throws Exception {
        JsonNode manifest = new ObjectMapper().readTree(GOLDEN.resolve("manifest.json").toFile());
        int learners = manifest.get("learners").asInt();
        int steps = manifest.get("steps").asInt();
        double tolerance = manifest.get("tolerance").asDouble();
        assertThat(tolerance).isLessThanOrEqualTo(1e-4);
        float[][] inputs = {read(manifest, "audio"), read(manifest, "visual"), read(manifest, "text")};
        float[] mask = read(manifest, "mask");
        float[] quality = read(manifest, "quality"); // NaN where no score was reported
        float[] probs = read(manifest, "probabilities");
        float[] weights = read(manifest, "mie_weights");
        float[] finalState = read(manifest, "state_final");
        JobConfig cfg = JobConfig.from(new Configuration());
        try (OnnxEmotionModel model = OnnxEmotionModel.open(cfg, () -> { })) {
            ModelInfo info = model.info;
            assertThat(info.benchmarkFingerprint).isEqualTo(manifest.get("benchmark_fingerprint").asText());
            int c = info.classes.size();
            float[][] states = new float[learners][];
            OnnxEmotionModel.Batch batch = model.newBatch(learners);
            double worst = 0;
            for (int t = 0; t < steps; t++) {
                batch.clear();
                for (int l = 0; l < learners; l++) {
                    float[][] pooled = new float[3][];
                    for (int m = 0; m < 3; m++) {
                        int d = info.dims[m];
                        if (mask[(l * steps + t) * 3 + m] > 0) {
                            pooled[m] = java.util.Arrays.copyOfRange(inputs[m], (l * steps + t) * d, (l * steps + t + 1) * d);
                        }
                    }
                    float[] q = java.util.Arrays.copyOfRange(quality, (l * steps + t) * 3, (l * steps + t + 1) * 3);
                    batch.add(pooled, q, states[l]);
                }
                model.run(batch);
                for (int l = 0; l < learners; l++) {
                    for (int k = 0; k < c; k++) {
                        worst = Math.max(worst, Math.abs(batch.probabilities[l * c + k] - probs[(l * steps + t) * c + k]));
                    }
                    for (int m = 0; m < 3; m++) {
                        worst = Math.max(worst, Math.abs(batch.mieWeights[l * 3 + m] - weights[(l * steps + t) * 3 + m]));
                    }
                    states[l] = java.util.Arrays.copyOfRange(batch.stateOut, l * info.stateSize, (l + 1) * info.stateSize);
                }
            }
            for (int l = 0; l < learners; l++) {
                for (int i = 0; i < info.stateSize; i++) {
                    worst = Math.max(worst, Math.abs(states[l][i] - finalState[l * info.stateSize + i]));
                }
            }
            assertThat(worst).as("largest difference to PyTorch").isLessThanOrEqualTo(tolerance);
        }
    }
}
