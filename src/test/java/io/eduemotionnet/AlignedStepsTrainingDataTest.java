package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the job (synthetic source, every step without input ending the learner's run, so runs
 * start afresh within a session) writes its aligned-steps output, and the model's own reader
 * (model/edu_emotionnet/data.py) reads that directory: every part file, every row, no step twice.
 */
class AlignedStepsTrainingDataTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    static final String PYTHON = "/usr/bin/python3";

    @Test
    void theModelsReaderReadsEverythingTheJobWrites(@TempDir Path dir) throws Exception {
        assumeTrue(pythonWithNumpy(), PYTHON + " with numpy is not installed");
        Path written = dir.resolve("aligned-steps");
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", "12",
                "--edu.synthetic.sessions-per-learner", "2",
                "--edu.synthetic.missing-rate", "0.6",
                "--edu.synthetic.seed", "5",
                "--edu.synthetic.invalid-rate", "0", // no corrupted or late records: every step with input is written
                // a step without input ends the run: the learner's next step starts afresh in the same session
                "--edu.state.max-gap-steps", "0",
                "--edu.output.aligned-steps.path", written.toUri().toString()}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000); // the file sink commits its part files at checkpoints (and the final one)
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.syntheticSource(env, cfg, model, stream), cfg, model);
        EmotionPipeline.writeAlignedSteps(out, cfg);
        env.execute("aligned-steps-training-data");

        // finished part files only, all *.jsonl (nothing left in progress)
        List<Path> files;
        try (Stream<Path> walk = Files.walk(written)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        assertThat(files).isNotEmpty().allSatisfy(f -> assertThat(f.getFileName().toString()).startsWith("part-").endsWith(".jsonl"));

        // what was written, as Java reads it: sequences (learner, session_id) and their steps
        ObjectMapper json = new ObjectMapper();
        Map<List<String>, Set<Integer>> sequences = new HashMap<>();
        Map<List<String>, Set<String>> runsPerSession = new HashMap<>();
        int rows = 0;
        for (Path f : files) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                JsonNode row = json.readTree(line);
                String learner = row.get("learner_id").asText();
                String session = row.get("session_id").asText();
                assertThat(sequences.computeIfAbsent(List.of(learner, session), k -> new HashSet<>()).add(row.get("step").asInt()))
                        .as("step %s of %s written twice", row.get("step"), session).isTrue();
                String producerSession = session.substring(0, session.lastIndexOf('#'));
                runsPerSession.computeIfAbsent(List.of(learner, producerSession), k -> new HashSet<>()).add(session);
                rows++;
            }
        }
        // the gap rule did start sessions afresh: more sequences than sessions
        assertThat(runsPerSession.values().stream().mapToInt(Set::size).max().orElse(0)).isGreaterThan(1);
        assertThat(sequences.size()).isGreaterThan(runsPerSession.size());
        assertThat(rows).isEqualTo(stepsWithInput(stream));

        // the model's reader on the job's directory: it finds every part file and accepts every row
        // (it refuses only for want of labels); with labels joined in, it loads every sequence
        Path labelled = dir.resolve("labelled");
        String script = String.join("\n",
                "import json, sys",
                "from pathlib import Path",
                "sys.path.insert(0, sys.argv[1])",
                "from edu_emotionnet import data",
                "from edu_emotionnet.spec import load",
                "raw, labelled, spec = Path(sys.argv[2]), Path(sys.argv[3]), load()",
                "files = data._files(raw)",
                "try:",
                "    data.read_jsonl(raw, spec)",
                "    raise SystemExit('read unlabelled data')",
                "except data.DataError as e:",
                "    assert 'no row has a label' in str(e), str(e)",
                "rows = 0",
                "for f in files:",  // a platform joins its annotations into "label"
                "    target = labelled / f.relative_to(raw)",
                "    target.parent.mkdir(parents=True, exist_ok=True)",
                "    with f.open(encoding='utf-8') as src, target.open('w', encoding='utf-8') as dst:",
                "        for line in src:",
                "            obj = json.loads(line)",
                "            obj['label'] = spec.classes[rows % len(spec.classes)]",
                "            dst.write(json.dumps(obj) + '\\n')",
                "            rows += 1",
                "s = data.read_jsonl(labelled, spec)",
                "print(len(files), rows, len(s), int((s.mask.sum(-1) > 0).sum()), int((s.labels >= 0).sum()))");
        Process p = new ProcessBuilder(PYTHON, "-c", script, Path.of("model").toAbsolutePath().toString(),
                written.toString(), labelled.toString()).redirectErrorStream(true).start();
        String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(result).isZero();
        // part files, rows, sequences, steps with input (every written row), labelled steps
        assertThat(result).isEqualTo(files.size() + " " + rows + " " + sequences.size() + " " + rows + " " + rows);
    }

    /** Learner-steps in which the learner sent at least one event, from the generator's own simulators. */
    static int stepsWithInput(SyntheticStream stream) {
        int n = 0;
        for (int learner = 0; learner < stream.learners; learner++) {
            var sim = stream.simulator(learner);
            for (long t = 0; t < stream.totalSteps; t++) {
                var step = sim.stepTo(t);
                if (step != null && (step.present[0] || step.present[1] || step.present[2])) {
                    n++;
                }
            }
        }
        return n;
    }

    static boolean pythonWithNumpy() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import numpy").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
