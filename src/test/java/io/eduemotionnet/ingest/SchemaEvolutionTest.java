package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/** Compatible evolutions (a new optional field) of ModalityEvent and LateEvent work both ways. */
class SchemaEvolutionTest {
    static final Schema V1 = ModalityEvent.getClassSchema();
    static final Schema V2 = parse("avro/ModalityEvent.v2.avsc");

    static Schema parse(String resource) {
        try (InputStream in = SchemaEvolutionTest.class.getClassLoader().getResourceAsStream(resource)) {
            return new Schema.Parser().parse(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theCommittedHistoryMatchesTheCurrentSchema() {
        // the fingerprint single-object encoding writes (parsing canonical form: docs and props aside)
        assertThat(SchemaNormalization.parsingFingerprint64(EventCodec.load("avro/history/ModalityEvent.v1.avsc")))
                .isEqualTo(SchemaNormalization.parsingFingerprint64(V1));
    }

    @Test
    void avroSaysTheEvolutionIsCompatibleInBothDirections() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V2, V1).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(V1, V2).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void oldWriterNewReader() throws Exception {
        ModalityEvent old = TestEvents.event("learner-7", Modality.AUDIO, 1_700_000_000_000L, 5);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.specific.SpecificDatumWriter<ModalityEvent>(V1).write(old, enc);
        enc.flush();
        GenericRecord read = new GenericDatumReader<GenericRecord>(V1, V2)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(read.get("learner_id").toString()).isEqualTo("learner-7");
        assertThat(read.get("device_class")).isNull(); // the new field's default
    }

    @Test
    void newWriterOldReader() throws Exception {
        GenericRecord v2 = v2Record();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(V2).write(v2, enc);
        enc.flush();
        ModalityEvent read = new SpecificDatumReader<ModalityEvent>(V2, V1)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(read.getLearnerId()).isEqualTo("learner-8");
        assertThat(read.getEmbedding()).hasSize(128);
    }

    /** On the wire: a job that knows v2 (its history holds it) reads v2 messages into its v1 classes. */
    @Test
    void onTheWireAKnownNewerSchemaIsResolvedAndAnUnknownOneIsADeadLetter() throws Exception {
        ByteBuffer message = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V2).encode(v2Record());
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);

        BinaryMessageDecoder<ModalityEvent> decoder = EventCodec.decoder();
        decoder.addSchema(V2);
        assertThat(decoder.decode(bytes).getLearnerId()).isEqualTo("learner-8");

        RecordDecoder job = new RecordDecoder(OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx"),
                "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", 300_000, Clock.systemUTC());
        IngestResult r = job.decode(bytes, "t", 0, 1, null);
        assertThat(r.deadLetter.reason).isEqualTo("UNKNOWN_SCHEMA");
        assertThat(r.deadLetter.detail).contains("avro/history");
    }

    /**
     * LateEvent gained pooled_events (null by default): consumers with the earlier schema read new
     * records, and new readers read records written before it (as events: null).
     */
    @Test
    void lateEventsPooledEventsIsACompatibleEvolution() throws Exception {
        Schema before = parse("avro/LateEvent.v1.avsc");
        Schema now = LateEvent.getClassSchema();
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(now, before).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(before, now).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);

        LateEvent pooled = LateEvent.newBuilder()
                .setEvent(TestEvents.event("learner-7", Modality.TEXT, 1_700_000_000_000L, 5))
                .setWatermark(java.time.Instant.ofEpochMilli(1_700_000_004_000L))
                .setPooledEvents(3)
                .build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.specific.SpecificDatumWriter<LateEvent>(now).write(pooled, enc);
        enc.flush();
        GenericRecord old = new GenericDatumReader<GenericRecord>(now, before)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(((GenericRecord) old.get("event")).get("learner_id").toString()).isEqualTo("learner-7");
        assertThat(old.getSchema().getField("pooled_events")).isNull();

        bytes.reset();
        new GenericDatumWriter<GenericRecord>(before).write(old, enc);
        enc.flush();
        LateEvent read = new SpecificDatumReader<LateEvent>(before, now)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(read.getPooledEvents()).isNull(); // the default: one event as sent
        assertThat(read.getEvent().getModality()).isEqualTo(Modality.TEXT);
    }

    private static GenericRecord v2Record() {
        GenericRecord r = new GenericData.Record(V2);
        r.put("schema_version", 2);
        r.put("learner_id", "learner-8");
        r.put("session_id", "learner-8-s1");
        r.put("modality", new GenericData.EnumSymbol(V2.getField("modality").schema(), "AUDIO"));
        r.put("event_time", System.currentTimeMillis() - 1000);
        java.util.List<Float> emb = new java.util.ArrayList<>();
        for (int i = 0; i < 128; i++) {
            emb.add(0.01f * i);
        }
        r.put("embedding", emb);
        r.put("quality", 12.5f);
        r.put("device_class", "tablet");
        return r;
    }
}
