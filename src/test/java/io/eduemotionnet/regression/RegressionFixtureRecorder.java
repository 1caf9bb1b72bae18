package io.eduemotionnet.regression;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Records the regression fixture (run once, before a change to the learner stages; not part of the suite):
 * <pre>
 * cp model/edu_emotionnet.onnx src/test/resources/regression/
 * mvn -B -q -o -Dpytest.skip=true test -Dtest=RegressionFixtureRecorder -Dregression.record=true
 * </pre>
 * The stream: 6 learners, 20 steps, 1 or 2 events per present modality and step, about a quarter of the
 * modalities missing per step; events shuffled within 400 ms (out of order, not late); 8 events delayed by
 * 2 to 4 steps (late); learner 2 silent for 3 steps (a gap scored from the carried state), learner 3 for
 * 7 (beyond edu.state.max-gap-steps 3: its state is deleted and it starts afresh), learner 4 switching
 * session at step 9, learner 5 ending at step 15; and a catch-up backlog: no watermark during steps 12 to
 * 17, then one watermark that covers them all.
 */
@EnabledIfSystemProperty(named = "regression.record", matches = "true")
class RegressionFixtureRecorder {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    static final String[] ARGS = {"--edu.model.path", RegressionFixture.MODEL, "--edu.state.max-gap-steps", "3",
            "--edu.ingest.out-of-orderness", "500 ms"};
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    @Test
    void record() throws Exception {
        ModelInfo model = OnnxEmotionModel.inspect(RegressionFixture.MODEL);
        List<RegressionFixture.Input> inputs = stream(model, new Random(20261204));
        RegressionFixture.Outputs out = RegressionFixture.run(inputs, ARGS);

        Path dir = Path.of("src/test/resources/regression");
        ObjectNode header = RegressionFixture.JSON.createObjectNode();
        header.put("what", "issue 10 regression fixture: inputs (with the watermark after each), job args, outputs of the "
                + "pipeline before the learner-operator change, and the model they were recorded with");
        header.put("recordedWith", "mvn -B -q -o -Dpytest.skip=true test -Dtest=RegressionFixtureRecorder -Dregression.record=true");
        ArrayNode args = header.putArray("args");
        for (String a : ARGS) {
            args.add(a);
        }
        header.put("inputs", inputs.size()).put("predictions", out.predictions.size()).put("late", out.late.size())
                .put("dropout", out.dropout.size()).put("confidence", out.confidence.size());
        Files.writeString(dir.resolve("fixture.json"),
                RegressionFixture.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(header) + "\n");
        List<ObjectNode> rows = new ArrayList<>();
        inputs.forEach(i -> rows.add(i.toJson()));
        RegressionFixture.writeLines(dir.resolve("inputs.jsonl"), rows);
        RegressionFixture.writeLines(dir.resolve("predictions.jsonl"), out.predictions);
        RegressionFixture.writeLines(dir.resolve("late.jsonl"), out.late);
        RegressionFixture.writeLines(dir.resolve("dropout.jsonl"), out.dropout);
        RegressionFixture.writeLines(dir.resolve("confidence.jsonl"), out.confidence);
        System.out.println("recorded " + header);
    }

    static List<RegressionFixture.Input> stream(ModelInfo model, Random r) {
        long step = model.stepMillis;
        int learners = 6;
        int steps = 20;
        float[][][] style = new float[learners][3][]; // a per-learner direction, so labels differ between learners
        for (int l = 0; l < learners; l++) {
            for (int m = 0; m < 3; m++) {
                style[l][m] = new float[model.dims[m]];
                for (int i = 0; i < model.dims[m]; i++) {
                    style[l][m][i] = (float) r.nextGaussian() * 0.5f;
                }
            }
        }
        List<RegressionFixture.Input> events = new ArrayList<>();
        List<Long> order = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            for (int l = 0; l < learners; l++) {
                boolean silent = (l == 2 && t >= 6 && t <= 8) || (l == 3 && t >= 5 && t <= 11) || (l == 5 && t >= 15);
                if (silent) {
                    continue;
                }
                for (int m = 0; m < 3; m++) {
                    if (r.nextDouble() < 0.25) {
                        continue;
                    }
                    int n = r.nextDouble() < 0.3 ? 2 : 1;
                    for (int k = 0; k < n; k++) {
                        RegressionFixture.Input in = new RegressionFixture.Input();
                        in.learnerId = String.format("learner-%02d", l);
                        in.sessionId = in.learnerId + (l == 4 && t >= 9 ? "-s2" : "-s1");
                        in.modality = m;
                        in.eventTime = T0 + t * step + r.nextInt((int) step);
                        in.quality = r.nextDouble() < 0.3 ? Float.NaN : (m == 0 ? 5 + r.nextInt(20) : 0.5f + r.nextInt(40) / 100f);
                        in.quantized = new byte[model.dims[m]];
                        for (int i = 0; i < in.quantized.length; i++) {
                            double v = style[l][m][i] * (1 + 0.1 * t) * 0.5 + r.nextGaussian() * 0.3;
                            in.quantized[i] = (byte) Math.max(-127, Math.min(127, Math.round(v * 64)));
                        }
                        events.add(in);
                        order.add(in.eventTime + r.nextInt(400)); // out of order within 400 ms: not late
                    }
                }
            }
        }
        // 8 events delayed by 2 to 4 steps: late
        for (int k = 0; k < 8; k++) {
            int i = r.nextInt(events.size() / 2);
            order.set(i, events.get(i).eventTime + (2 + r.nextInt(3)) * step);
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            idx.add(i);
        }
        idx.sort(Comparator.comparing(order::get));
        List<RegressionFixture.Input> out = new ArrayList<>();
        long max = Long.MIN_VALUE;
        for (int i : idx) {
            RegressionFixture.Input in = events.get(i);
            max = Math.max(max, in.eventTime);
            boolean backlog = order.get(i) >= T0 + 12 * step && order.get(i) < T0 + 18 * step;
            if (!backlog) { // bounded out-of-orderness, 500 ms, emitted after every event
                in.watermarkAfter = max - 500 - 1;
            }
            out.add(in);
        }
        return out;
    }
}
