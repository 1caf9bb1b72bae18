package io.eduemotionnet.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.learner.AlignedStep;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's aligned-steps output is what the model's training CLI reads (checked by the Python reader itself). */
class TrainingFormatEncoderTest {

    static AlignedStep step(int sessionStep, boolean audio, boolean visual, boolean text) {
        AlignedStep s = AlignedStep.empty("learner-1", "session-1", 1_000 + 2_000L * sessionStep, 3_000 + 2_000L * sessionStep);
        s.sessionStep = sessionStep;
        if (audio) {
            s.audio = filled(128, 0.25f);
            s.meanQuality[0] = 17.5f; // audio SNR in dB; visual and text report none
        }
        if (visual) {
            s.visual = filled(512, -1.5e-6f);
        }
        if (text) {
            s.text = filled(384, 3f);
        }
        return s;
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void pythonReadsWhatTheJobWrites(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TrainingFormatEncoder enc = new TrainingFormatEncoder();
        enc.encode(step(0, true, true, false), out);
        enc.encode(step(1, false, true, true), out);
        enc.encode(step(3, true, false, false), out);
        // a platform joins its annotations into "label"
        List<String> lines = List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
        String labelled = lines.stream().map(l -> l.replace("\"label\":null", "\"label\":\"curiosity\""))
                .collect(Collectors.joining("\n", "", "\n"));
        Path file = dir.resolve("steps.jsonl");
        Files.writeString(file, labelled);

        Process p = new ProcessBuilder("/usr/bin/python3", "-c",
                "import sys; sys.path.insert(0, 'model');"
                        + "from edu_emotionnet.spec import load; from edu_emotionnet.data import read_jsonl;"
                        + "s = read_jsonl(sys.argv[1], load());"
                        + "print(len(s), s.lengths.tolist(), s.mask[0].astype(int).tolist(), s.labels[0].tolist(),"
                        + " round(float(s.visual[0, 0, 0]), 9), float(s.text[0, 1, 5]), s.quality[0, 0].tolist())",
                file.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.exitValue()).as(result).isZero();
        // one session of 4 steps (step 2 missing: nothing sent), masks as written, labels joined,
        // quality as reported (NaN: none)
        assertThat(result).isEqualTo("1 [4] [[1, 1, 0], [0, 1, 1], [0, 0, 0], [1, 0, 0]] [1, 1, -1, 1] -1.5e-06 3.0 [17.5, nan, nan]");
    }

    /** Control characters, quotes, backslashes and non-ASCII in ids still give one valid JSON line each. */
    @Test
    void idsWithControlCharactersStayValidJson() throws Exception {
        AlignedStep s = step(0, true, false, false);
        s.learnerId = "learner\u0001\"quoted\"\\";
        s.sessionId = "sess\n\t\u0000\u001fion\u2028é#0";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new TrainingFormatEncoder().encode(s, out);
        new TrainingFormatEncoder().encode(step(1, false, true, false), out);
        String text = out.toString(StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        assertThat(lines).hasSize(2);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var first = json.readTree(lines[0]);
        assertThat(first.get("learner_id").asText()).isEqualTo(s.learnerId);
        assertThat(first.get("session_id").asText()).isEqualTo(s.sessionId);
        assertThat(first.get("audio").get(0).floatValue()).isEqualTo(0.25f);
        assertThat(first.get("quality").get(0).floatValue()).isEqualTo(17.5f);
        assertThat(first.get("visual").isNull()).isTrue();
        assertThat(json.readTree(lines[1]).get("step").asInt()).isEqualTo(1);
    }
}
