package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A producer in another language: examples/python/modality_event_producer.py, run with Debian's
 * python3-avro, writes events that the job's decoder takes as valid, field for field; and the 10-byte
 * header that the README and the example give is the current schema's. Skipped, with a line saying
 * so, where /usr/bin/python3 has no avro module (apt-get install python3-avro; .ci/run installs it).
 */
class PythonProducerTest {
    static final Path SCRIPT = Path.of("examples", "python", "modality_event_producer.py");
    static final String PYTHON = "/usr/bin/python3";
    static final long NOW = 1_764_800_100_000L;

    /** C3 01 and the schema's CRC-64-AVRO fingerprint, little-endian: the single-object header. */
    static byte[] header() {
        long fingerprint = SchemaNormalization.parsingFingerprint64(ModalityEvent.getClassSchema());
        byte[] header = new byte[10];
        header[0] = (byte) 0xc3;
        header[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (byte) (fingerprint >>> (8 * i));
        }
        return header;
    }

    @BeforeAll
    static void pythonAvroIsThere() throws Exception {
        boolean available = Files.isExecutable(Path.of(PYTHON))
                && new ProcessBuilder(PYTHON, "-c", "import avro.io, avro.schema").start().waitFor() == 0;
        if (!available) {
            String line = "PythonProducerTest skipped: " + PYTHON + " has no avro module (apt-get install python3-avro)";
            // Maven's console shows neither a skip's reason nor System.err (redirected to a file)
            new PrintStream(new FileOutputStream(FileDescriptor.err), true).println(line + "\n");
            Assumptions.abort(line);
        }
    }

    @Test
    void theReadmeAndTheExampleGiveTheCurrentSchemasHeader() throws IOException {
        byte[] header = header();
        String spaced = HexFormat.ofDelimiter(" ").formatHex(header);
        assertThat(Files.readString(Path.of("README.md"))).as("README gives the header as bytes").contains(spaced);
        String script = Files.readString(SCRIPT);
        assertThat(script).as("the example's HEADER").contains("bytes.fromhex(\"c301\" \""
                + HexFormat.of().formatHex(header, 2, 10) + "\")");
    }

    @Test
    void eventsWrittenInPythonAreValidEventsForTheJob() throws Exception {
        List<ModalityEvent> events = List.of(
                TestEvents.event("learner-7", Modality.AUDIO, NOW - 61_234, 1),
                ModalityEvent.newBuilder(TestEvents.event("learner-7", Modality.TEXT, NOW - 1, 2)).setQuality(null).build(),
                ModalityEvent.newBuilder(TestEvents.event("l.8:x", Modality.VISUAL, NOW - 5_000, 3)).setSessionId("s_2").build());
        StringBuilder input = new StringBuilder();
        for (ModalityEvent e : events) {
            input.append(json(e)).append('\n');
        }
        List<byte[]> written = runScript(input.toString());
        assertThat(written).hasSize(events.size());

        ModelInfo model = OnnxEmotionModel.inspect(JobConfig.from(new Configuration()).modelPath);
        RecordDecoder decoder = new RecordDecoder(model, "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", 300_000,
                Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
        for (int i = 0; i < events.size(); i++) {
            ModalityEvent expected = events.get(i);
            assertThat(written.get(i)).startsWith(header());
            assertThat(ModalityEvent.getDecoder().decode(written.get(i))).as("Avro's Java decoder").isEqualTo(expected);
            IngestResult result = decoder.decode(written.get(i), "learner-modality-events", 0, i, NOW);
            assertThat(result.deadLetter).as("dead letter of event %d", i).isNull();
            EmbeddingEvent e = result.event;
            assertThat(e.learnerId).isEqualTo(expected.getLearnerId());
            assertThat(e.sessionId).isEqualTo(expected.getSessionId());
            assertThat(e.modality).isEqualTo(expected.getModality().ordinal());
            assertThat(e.eventTime).isEqualTo(expected.getEventTime().toEpochMilli());
            float[] values = new float[expected.getEmbedding().size()];
            for (int k = 0; k < values.length; k++) {
                values[k] = expected.getEmbedding().get(k);
            }
            assertThat(e.embedding).containsExactly(values);
        }
    }

    /** The event as the example reads it: JSON, event_time in epoch milliseconds. */
    private static String json(ModalityEvent e) {
        StringBuilder b = new StringBuilder("{\"learner_id\": \"").append(e.getLearnerId())
                .append("\", \"session_id\": \"").append(e.getSessionId())
                .append("\", \"modality\": \"").append(e.getModality())
                .append("\", \"event_time\": ").append(e.getEventTime().toEpochMilli())
                .append(", \"quality\": ").append(e.getQuality() == null ? "null" : Float.toString(e.getQuality()))
                .append(", \"embedding\": [");
        for (int i = 0; i < e.getEmbedding().size(); i++) {
            // the float's exact value as a double: Python reads it exactly, and avro narrows it back without rounding
            b.append(i == 0 ? "" : ", ").append(Double.toString(e.getEmbedding().get(i)));
        }
        return b.append("]}").toString();
    }

    private static List<byte[]> runScript(String input) throws Exception {
        Process p = new ProcessBuilder(PYTHON, SCRIPT.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit code of " + SCRIPT).isZero();
        List<byte[]> values = new ArrayList<>();
        DataInputStream framed = new DataInputStream(new java.io.ByteArrayInputStream(out.toByteArray()));
        while (framed.available() > 0) {
            byte[] value = new byte[framed.readInt()];
            framed.readFully(value);
            values.add(value);
        }
        return values;
    }
}
