package io.eduemotionnet.regression;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.ingest.IngestResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * The regression fixture of issue 10 (src/test/resources/regression): a fixed stream of valid events, each
 * with the watermark to emit after it (so late events and catch-up watermarks are part of the input, not of
 * a watermark generator's timing), the job arguments, a copy of the model it was recorded with, and the
 * outputs the job produced. Embeddings are stored exactly: int8 values times 1/64, base64-encoded.
 */
public final class RegressionFixture {
    public static final String DIR = "regression/";
    public static final String MODEL = "classpath:" + DIR + "edu_emotionnet.onnx";
    static final float SCALE = 1f / 64;
    static final ObjectMapper JSON = new ObjectMapper();

    private RegressionFixture() {}

    /** One input record: a valid event and the watermark emitted after it (Long.MIN_VALUE: none). */
    public static class Input {
        public String learnerId;
        public String sessionId;
        public int modality;
        public long eventTime;
        public float quality = Float.NaN;
        public byte[] quantized;
        public long watermarkAfter = Long.MIN_VALUE;

        public Input() {}

        EmbeddingEvent event() {
            float[] v = new float[quantized.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = quantized[i] * SCALE;
            }
            return new EmbeddingEvent(learnerId, sessionId, modality, eventTime, v, quality, 1);
        }

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("learnerId", learnerId).put("sessionId", sessionId).put("modality", modality).put("eventTime", eventTime);
            if (!Float.isNaN(quality)) {
                n.put("quality", quality);
            }
            n.put("embeddingInt8Over64", Base64.getEncoder().encodeToString(quantized));
            if (watermarkAfter != Long.MIN_VALUE) {
                n.put("watermarkAfter", watermarkAfter);
            }
            return n;
        }

        static Input fromJson(JsonNode n) {
            Input in = new Input();
            in.learnerId = n.get("learnerId").asText();
            in.sessionId = n.get("sessionId").asText();
            in.modality = n.get("modality").asInt();
            in.eventTime = n.get("eventTime").asLong();
            in.quality = n.has("quality") ? (float) n.get("quality").asDouble() : Float.NaN;
            in.quantized = Base64.getDecoder().decode(n.get("embeddingInt8Over64").asText());
            in.watermarkAfter = n.has("watermarkAfter") ? n.get("watermarkAfter").asLong() : Long.MIN_VALUE;
            return in;
        }
    }

    /** What the job produced, as JSON rows in a canonical order (emit and report times left out). */
    public static final class Outputs {
        public final List<ObjectNode> predictions = new ArrayList<>();
        public final List<ObjectNode> late = new ArrayList<>();
        public final List<ObjectNode> dropout = new ArrayList<>();
        public final List<ObjectNode> confidence = new ArrayList<>();

        void sort() {
            Comparator<ObjectNode> order = Comparator.comparing((ObjectNode n) -> n.toString());
            predictions.sort(order);
            late.sort(order);
            dropout.sort(order);
            confidence.sort(order);
        }
    }

    /** Runs the job's pipeline (EmotionPipeline.build) over the inputs at parallelism 1 and collects its outputs. */
    public static Outputs run(List<Input> inputs, String[] args) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), args));
        io.eduemotionnet.model.ModelInfo model = io.eduemotionnet.model.OnnxEmotionModel.inspect(cfg.modelPath);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        DataStream<IngestResult> decoded = env.fromData(inputs, TypeInformation.of(Input.class))
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Input>forGenerator(ctx -> new RecordedWatermarks())
                        .withTimestampAssigner((in, previous) -> in.eventTime))
                .map(in -> IngestResult.valid(in.event())).returns(IngestResult.class);
        EmotionPipeline.Outputs out = EmotionPipeline.build(decoded, cfg, model);
        CloseableIterator<Prediction> predictions = out.predictions.collectAsync();
        CloseableIterator<LateEvent> late = out.lateEvents.collectAsync();
        CloseableIterator<DropoutReport> dropout = out.dropout.collectAsync();
        CloseableIterator<ConfidenceReport> confidence = out.confidence.collectAsync();
        env.executeAsync("regression-fixture");
        Outputs o = new Outputs();
        List<Thread> drains = List.of(
                drain(late, l -> o.late.add(late(l))),
                drain(dropout, d -> o.dropout.add(dropout(d))),
                drain(confidence, c -> o.confidence.add(confidence(c))));
        predictions.forEachRemaining(p -> o.predictions.add(prediction(p, model.classes)));
        for (Thread t : drains) {
            t.join(60_000);
        }
        o.sort();
        return o;
    }

    private static <T> Thread drain(CloseableIterator<T> it, java.util.function.Consumer<T> into) {
        Thread t = new Thread(() -> it.forEachRemaining(x -> {
            synchronized (into) {
                into.accept(x);
            }
        }));
        t.start();
        return t;
    }

    /** Emits exactly the recorded watermarks, nothing periodic. */
    static final class RecordedWatermarks implements WatermarkGenerator<Input> {
        @Override
        public void onEvent(Input in, long timestamp, WatermarkOutput output) {
            if (in.watermarkAfter != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(in.watermarkAfter));
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {}
    }

    static ObjectNode prediction(Prediction p, List<String> classes) {
        ObjectNode n = JSON.createObjectNode();
        n.put("learnerId", p.getLearnerId()).put("sessionId", p.getSessionId())
                .put("stepStart", p.getStepStart().toEpochMilli()).put("stepEnd", p.getStepEnd().toEpochMilli())
                .put("label", p.getLabel());
        ArrayNode probs = n.putArray("probabilities");
        for (String c : classes) {
            probs.add(p.getProbabilities().get(c));
        }
        n.putArray("mieWeights").add(p.getMieWeights().getAudio()).add(p.getMieWeights().getVisual()).add(p.getMieWeights().getText());
        ArrayNode present = n.putArray("present");
        p.getPresent().forEach(m -> present.add(m.name()));
        return n;
    }

    static ObjectNode late(LateEvent l) {
        ObjectNode n = JSON.createObjectNode();
        n.put("learnerId", l.getEvent().getLearnerId()).put("sessionId", l.getEvent().getSessionId())
                .put("modality", l.getEvent().getModality().name()).put("eventTime", l.getEvent().getEventTime().toEpochMilli())
                .put("pooledEvents", l.getPooledEvents() == null ? 0 : l.getPooledEvents());
        return n;
    }

    static ObjectNode dropout(DropoutReport d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("learnerId", d.getLearnerId()).put("sessionId", d.getSessionId()).put("modality", d.getModality().name())
                .put("status", d.getStatus().name()).put("stepStart", d.getStepStart().toEpochMilli())
                .put("missingSteps", d.getMissingSteps());
        return n;
    }

    static ObjectNode confidence(ConfidenceReport c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("learnerId", c.getLearnerId()).put("sessionId", c.getSessionId()).put("stepStart", c.getStepStart().toEpochMilli())
                .put("topProbability", c.getTopProbability()).put("entropy", c.getEntropy())
                .put("stepsWithoutInput", c.getStepsWithoutInput());
        n.putArray("mieWeights").add(c.getMieWeights().getAudio()).add(c.getMieWeights().getVisual()).add(c.getMieWeights().getText());
        ArrayNode q = n.putArray("meanQuality");
        for (Float f : new Float[] {c.getMeanQuality().getAudio(), c.getMeanQuality().getVisual(), c.getMeanQuality().getText()}) {
            q.add(f.isNaN() ? "NaN" : f.toString());
        }
        ArrayNode present = n.putArray("present");
        c.getPresent().forEach(m -> present.add(m.name()));
        return n;
    }

    // ---- files ----

    public static JsonNode header() throws IOException {
        return JSON.readTree(resource("fixture.json"));
    }

    public static String[] args() throws IOException {
        List<String> args = new ArrayList<>();
        header().get("args").forEach(a -> args.add(a.asText()));
        return args.toArray(new String[0]);
    }

    public static List<Input> inputs() throws IOException {
        List<Input> out = new ArrayList<>();
        for (JsonNode n : lines("inputs.jsonl")) {
            out.add(Input.fromJson(n));
        }
        return out;
    }

    public static List<JsonNode> lines(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : new String(resource(name), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = RegressionFixture.class.getClassLoader().getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IOException("no test resource " + DIR + name);
            }
            return in.readAllBytes();
        }
    }

    static void writeLines(Path file, List<? extends JsonNode> rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (JsonNode row : rows) {
                w.write(JSON.writeValueAsString(row));
                w.write('\n');
            }
        }
    }

    static Modality modality(int m) {
        return Modality.values()[m];
    }
}
