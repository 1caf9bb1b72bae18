package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {
    static final long NOW = 1_800_000_000_000L;
    static ModelInfo model;
    static RecordDecoder decoder;

    @BeforeAll
    static void model() {
        model = OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx");
        decoder = new RecordDecoder(model, "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", 300_000, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
    }

    private static IngestResult decode(byte[] bytes) {
        return decoder.decode(bytes, "t", 3, 42L, 7L);
    }

    private static String reasonOf(Consumer<ModalityEvent> corrupt) {
        ModalityEvent e = TestEvents.event("learner-1", Modality.VISUAL, NOW - 1000, 1);
        corrupt.accept(e);
        IngestResult r = decode(EventCodec.encode(e));
        assertThat(r.event).isNull();
        assertThat(r.deadLetter.topic).isEqualTo("t");
        assertThat(r.deadLetter.partition).isEqualTo(3);
        assertThat(r.deadLetter.offset).isEqualTo(42L);
        assertThat(r.deadLetter.raw).isEqualTo(EventCodec.encode(e));
        assertThat(r.deadLetter.detail).doesNotContain("learner-1");
        return r.deadLetter.reason;
    }

    @Test
    void aValidEventIsDecodedWithItsValues() {
        ModalityEvent e = TestEvents.event("learner-1", Modality.TEXT, NOW - 1000, 2);
        IngestResult r = decode(EventCodec.encode(e));
        assertThat(r.deadLetter).isNull();
        assertThat(r.event.learnerId).isEqualTo("learner-1");
        assertThat(r.event.modality).isEqualTo(2);
        assertThat(r.event.embedding).hasSize(384);
        assertThat(r.event.embedding[5]).isEqualTo(e.getEmbedding().get(5));
        assertThat(r.event.quality).isEqualTo(0.9f);
    }

    @Test
    void everyKindOfBadRecordGetsItsReason() {
        assertThat(reasonOf(e -> e.setLearnerId(""))).isEqualTo("MISSING_LEARNER_ID");
        assertThat(reasonOf(e -> e.setLearnerId("jane.doe@school.example"))).isEqualTo("MALFORMED_LEARNER_ID");
        assertThat(reasonOf(e -> e.setSessionId(" "))).isEqualTo("MISSING_SESSION_ID");
        assertThat(reasonOf(e -> e.setSessionId("a b"))).isEqualTo("MALFORMED_SESSION_ID");
        assertThat(reasonOf(e -> e.setEmbedding(new ArrayList<>(e.getEmbedding().subList(0, 100))))).isEqualTo("WRONG_EMBEDDING_SIZE");
        assertThat(reasonOf(e -> {
            List<Float> v = new ArrayList<>(e.getEmbedding());
            v.set(3, Float.POSITIVE_INFINITY);
            e.setEmbedding(v);
        })).isEqualTo("NON_FINITE_VALUE");
        assertThat(reasonOf(e -> e.setQuality(Float.NaN))).isEqualTo("INVALID_QUALITY");
        assertThat(reasonOf(e -> e.setEventTime(Instant.ofEpochMilli(0)))).isEqualTo("INVALID_EVENT_TIME");
        assertThat(reasonOf(e -> e.setEventTime(Instant.ofEpochMilli(NOW + 3_600_000)))).isEqualTo("FUTURE_EVENT_TIME");
    }

    @Test
    void anOversizedBadRecordIsTruncatedSoItsDeadLetterFitsOneKafkaRequest() throws Exception {
        ModalityEvent e = TestEvents.event("learner-1", Modality.VISUAL, NOW - 1000, 1);
        List<Float> huge = new ArrayList<>();
        for (int i = 0; i < 300_000; i++) {
            huge.add(0.5f);
        }
        e.setEmbedding(huge);
        byte[] bytes = EventCodec.encode(e);
        IngestResult r = decode(bytes);
        assertThat(r.deadLetter.reason).isEqualTo("WRONG_EMBEDDING_SIZE");
        assertThat(r.deadLetter.raw).hasSize(RecordDecoder.MAX_RAW_BYTES)
                .isEqualTo(java.util.Arrays.copyOf(bytes, RecordDecoder.MAX_RAW_BYTES));
        assertThat(r.deadLetter.detail).contains("truncated").contains(String.valueOf(bytes.length));
        // Kafka's default max.request.size is 1 MiB
        assertThat(io.eduemotionnet.sink.AvroRecords.deadLetter(r.deadLetter).toByteBuffer().remaining())
                .isLessThan(1 << 20);
    }

    @Test
    void bytesThatAreNotOurAvroAreUndecodable() {
        assertThat(decode(new byte[0]).deadLetter.reason).isEqualTo("UNDECODABLE");
        assertThat(decode("{\"learner_id\": \"x\"}".getBytes()).deadLetter.reason).isEqualTo("UNDECODABLE");
        byte[] good = EventCodec.encode(TestEvents.event("learner-1", Modality.AUDIO, NOW, 3));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 40);
        assertThat(decode(truncated).deadLetter.reason).isEqualTo("UNDECODABLE");
    }

    @Test
    void randomBytesNeverThrowAndAlwaysYieldADeadLetter() {
        Random r = new Random(11);
        byte[] good = EventCodec.encode(TestEvents.event("learner-1", Modality.AUDIO, NOW, 3));
        for (int i = 0; i < 2000; i++) {
            byte[] b = good.clone();
            for (int k = 0; k < 1 + r.nextInt(8); k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            if (i % 2 == 0) {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            }
            IngestResult res = decode(b);
            assertThat(res.event == null ^ res.deadLetter == null).isTrue();
        }
    }
}
