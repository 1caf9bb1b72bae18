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

/**
 * Compatible evolutions (a new optional field) of ModalityEvent and LateEvent work both ways: the job's
 * current schema (v2, cohort_id) against the previous one (v1, in avro/history/) and against a future one
 * (a test schema with one more field, unknown to the job).
 */
class SchemaEvolutionTest {
    static final Schema PREVIOUS = EventCodec.load("avro/history/ModalityEvent.v1.avsc");
    static final Schema CURRENT = ModalityEvent.getClassSchema(); // the current schema
    static final Schema NEXT = parse("avro/ModalityEvent.v3.avsc"); // a newer one the job does not know
    /** CRC-64-AVRO fingerprint v1 producers write (ModalityEvent before cohort_id). */
    static final long V1_FINGERPRINT = 0xF970BCC8FB8918B6L;

    static Schema parse(String resource) {
        try (InputStream in = SchemaEvolutionTest.class.getClassLoader().getResourceAsStream(resource)) {
            return new Schema.Parser().parse(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theCommittedHistoryHoldsWhatV1ProducersWrite() {
        // the fingerprint single-object encoding writes (parsing canonical form: docs and props aside)
        assertThat(SchemaNormalization.parsingFingerprint64(PREVIOUS)).isEqualTo(V1_FINGERPRINT);
        assertThat(PREVIOUS.getField("cohort_id")).isNull();
        assertThat(CURRENT.getField("cohort_id").defaultVal()).isEqualTo(org.apache.avro.JsonProperties.NULL_VALUE);
    }

    @Test
    void cohortIdIsACompatibleEvolutionInBothDirections() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(CURRENT, PREVIOUS).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(PREVIOUS, CURRENT).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    /** A v1 producer's message, on the wire, is read by the job (its history) as a valid event without cohort. */
    @Test
    void aV1ProducersEventIsScoredWithoutCohort() throws Exception {
        GenericRecord v1 = new GenericData.Record(PREVIOUS);
        ModalityEvent e = TestEvents.event("learner-7", Modality.VISUAL, System.currentTimeMillis() - 1000, 5);
        for (Schema.Field f : PREVIOUS.getFields()) {
            Object v = e.get(f.name());
            v = v instanceof Modality ? new GenericData.EnumSymbol(f.schema(), v.toString())
                    : v instanceof java.time.Instant ? ((java.time.Instant) v).toEpochMilli() : v;
            v1.put(f.name(), f.name().equals("schema_version") ? 1 : v);
        }
        ByteBuffer message = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), PREVIOUS).encode(v1);
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        assertThat(CurrentSchemaReader.claims(bytes)).isFalse(); // resolved by Avro's decoder, not the fast reader
        IngestResult r = decoder().decode(bytes, "t", 0, 1, null);
        assertThat(r.deadLetter).isNull();
        assertThat(r.event.learnerId).isEqualTo("learner-7");
        assertThat(r.event.schemaVersion).isEqualTo(1);
        assertThat(r.event.cohortId).isNull();
        assertThat(r.event.embedding).hasSize(512);
    }

    /** A consumer still on v1 (e.g. of the late-events topic) reads a current record, cohort aside. */
    @Test
    void aCurrentRecordIsReadByAV1Consumer() throws Exception {
        ModalityEvent now = ModalityEvent.newBuilder(TestEvents.event("learner-9", Modality.TEXT, 1_700_000_000_000L, 3))
                .setCohortId("class-4b").build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.specific.SpecificDatumWriter<ModalityEvent>(CURRENT).write(now, enc);
        enc.flush();
        GenericRecord old = new GenericDatumReader<GenericRecord>(CURRENT, PREVIOUS)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(old.get("learner_id").toString()).isEqualTo("learner-9");
        assertThat(old.getSchema().getField("cohort_id")).isNull();
        // and the job's own messages carry it: the fast reader and Avro's agree
        byte[] wire = EventCodec.encode(now);
        assertThat(CurrentSchemaReader.claims(wire)).isTrue();
        IngestResult r = decoder().decode(wire, "t", 0, 2, null);
        assertThat(r.event.cohortId).isEqualTo("class-4b");
    }

    @Test
    void aCohortIdThatIsNotPseudonymousIsADeadLetter() {
        ModalityEvent bad = ModalityEvent.newBuilder(TestEvents.event("learner-9", Modality.TEXT, System.currentTimeMillis() - 1000, 3))
                .setCohortId("Mrs Smith's class").build();
        IngestResult r = decoder().decode(EventCodec.encode(bad), "t", 0, 3, null);
        assertThat(r.deadLetter.reason).isEqualTo("MALFORMED_COHORT_ID");
        assertThat(r.deadLetter.detail).doesNotContain("Smith");
    }

    private static RecordDecoder decoder() {
        return new RecordDecoder(OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx"),
                "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", 300_000, Clock.systemUTC());
    }

    @Test
    void avroSaysTheEvolutionIsCompatibleInBothDirections() {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(NEXT, CURRENT).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(CURRENT, NEXT).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void oldWriterNewReader() throws Exception {
        ModalityEvent old = TestEvents.event("learner-7", Modality.AUDIO, 1_700_000_000_000L, 5);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new org.apache.avro.specific.SpecificDatumWriter<ModalityEvent>(CURRENT).write(old, enc);
        enc.flush();
        GenericRecord read = new GenericDatumReader<GenericRecord>(CURRENT, NEXT)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(read.get("learner_id").toString()).isEqualTo("learner-7");
        assertThat(read.get("device_class")).isNull(); // the new field's default
    }

    @Test
    void newWriterOldReader() throws Exception {
        GenericRecord v2 = nextRecord();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        new GenericDatumWriter<GenericRecord>(NEXT).write(v2, enc);
        enc.flush();
        ModalityEvent read = new SpecificDatumReader<ModalityEvent>(NEXT, CURRENT)
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        assertThat(read.getLearnerId()).isEqualTo("learner-8");
        assertThat(read.getEmbedding()).hasSize(128);
    }

    /** On the wire: a job that knows v2 (its history holds it) reads v2 messages into its v1 classes. */
    @Test
    void onTheWireAKnownNewerSchemaIsResolvedAndAnUnknownOneIsADeadLetter() throws Exception {
        ByteBuffer message = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), NEXT).encode(nextRecord());
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);

        BinaryMessageDecoder<ModalityEvent> decoder = EventCodec.decoder();
        decoder.addSchema(NEXT);
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

    private static GenericRecord nextRecord() {
        GenericRecord r = new GenericData.Record(NEXT);
        r.put("schema_version", 3);
        r.put("learner_id", "learner-8");
        r.put("session_id", "learner-8-s1");
        r.put("modality", new GenericData.EnumSymbol(NEXT.getField("modality").schema(), "AUDIO"));
        r.put("event_time", System.currentTimeMillis() - 1000);
        java.util.List<Float> emb = new java.util.ArrayList<>();
        for (int i = 0; i < 128; i++) {
            emb.add(0.01f * i);
        }
        r.put("embedding", emb);
        r.put("quality", 12.5f);
        r.put("cohort_id", "cohort-2");
        r.put("device_class", "tablet");
        return r;
    }
}
