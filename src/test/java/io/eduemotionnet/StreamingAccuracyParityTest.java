package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.ResourceLoader;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.DeadLetterRecord;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.synthetic.RawRecords;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end on the embedded default (synthetic source, RocksDB, batched CPU inference): the job's
 * streaming macro-F1 is within 1 point of the model's offline evaluation at the same missing rate,
 * and every corrupted record comes out as a dead letter.
 */
class StreamingAccuracyParityTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    static final double RATE = 0.2;
    static final int LEARNERS = 3000;

    @Test
    void streamingMacroF1MatchesTheOfflineEvaluation() throws Exception {
        JsonNode shipped = new ObjectMapper().readTree(Path.of("model/reports/shipped_model.json").toFile());
        double offline = shipped.get("results").get(String.valueOf(RATE)).get("macro_f1").asDouble();
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", String.valueOf(LEARNERS),
                "--edu.synthetic.missing-rate", String.valueOf(RATE),
                "--edu.synthetic.invalid-rate", "0.002",
                "--edu.synthetic.seed", "77"}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        // the offline scores must be those of the weights the job runs (model/ checks this as well)
        assertThat(shipped.get("weights_fingerprint").asText()).isEqualTo(weightsFingerprint(cfg.modelPath));
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis());

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.syntheticSource(env, cfg, model, stream), cfg, model);
        CloseableIterator<Prediction> predictions = out.predictions.collectAsync();
        CloseableIterator<DeadLetterRecord> deadLetters = out.deadLetters.collectAsync();
        env.executeAsync("accuracy-parity");
        List<DeadLetterRecord> dead = new ArrayList<>();
        Thread drain = new Thread(() -> deadLetters.forEachRemaining(dead::add));
        drain.start();

        LocalSummary.Scores scores = new LocalSummary.Scores(model.classes.size());
        Map<Integer, int[]> truth = new HashMap<>();
        while (predictions.hasNext()) {
            Prediction p = predictions.next();
            int learner = SyntheticStream.learnerIndex(p.getLearnerId());
            int[] labels = truth.computeIfAbsent(learner, stream::truth);
            long t = stream.globalStep(p.getStepStart().toEpochMilli());
            if (t < labels.length && labels[(int) t] >= 0) {
                scores.add(labels[(int) t], model.classes.indexOf(p.getLabel()));
            }
        }
        drain.join(60_000);
        double streaming = scores.macroF1();
        long scored = scores.total;
        System.out.printf("streaming macro-F1 %.4f over %d steps; offline %.4f%n", streaming, scored, offline);
        assertThat(scored).isGreaterThan(300_000);
        assertThat(Math.abs(streaming - offline)).as("streaming %.4f vs offline %.4f", streaming, offline).isLessThanOrEqualTo(0.01);

        // every corrupted record is a dead letter, with the reason its corruption calls for
        assertThat(dead).hasSize(expectedDeadLetters(stream));
        assertThat(dead).allMatch(d -> d.reason != null && !d.detail.isEmpty());
    }

    /** Replays the generator offline and counts the corrupted (not late) records it injects. */
    static int expectedDeadLetters(SyntheticStream stream) throws Exception {
        SyntheticRecordGenerator gen = new SyntheticRecordGenerator(stream);
        gen.open(null);
        int invalid = 0;
        io.eduemotionnet.ingest.RecordDecoder decoder = new io.eduemotionnet.ingest.RecordDecoder(
                OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx"), "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}",
                300_000, java.time.Clock.systemUTC());
        for (long i = 0; i < stream.totalSteps * stream.learners; i++) {
            RawRecords r = gen.map(i);
            for (RawRecord rec : r.records) {
                if (decoder.decode(rec.value, rec.topic, rec.partition, rec.offset, null).deadLetter != null) {
                    invalid++;
                }
            }
        }
        return invalid;
    }

    static String weightsFingerprint(String modelPath) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(ResourceLoader.read(modelPath, "edu.model.path"))) {
            return session.getMetadata().getCustomMetadata().get("edu.weights_fingerprint");
        }
    }
}
