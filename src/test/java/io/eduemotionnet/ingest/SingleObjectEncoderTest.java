package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

/** The buffered single-object encoder writes exactly Avro's bytes, and the fast-reader decoder reads them back. */
class SingleObjectEncoderTest {

    static ModalityEvent event(SplittableRandom rng, int dim, Float quality) {
        List<Float> v = new ArrayList<>(dim);
        for (int i = 0; i < dim; i++) {
            v.add((float) rng.nextGaussian());
        }
        return ModalityEvent.newBuilder().setSchemaVersion(1).setLearnerId("learner-" + rng.nextInt(1000))
                .setSessionId("s").setModality(Modality.values()[rng.nextInt(3)])
                .setEventTime(Instant.ofEpochMilli(1_700_000_000_000L + rng.nextInt(1_000_000)))
                .setEmbedding(v).setQuality(quality).build();
    }

    @Test
    void modalityEventsEncodeAsAvroDoesAndDecodeBack() throws Exception {
        SplittableRandom rng = new SplittableRandom(3);
        var decoder = EventCodec.decoder();
        for (int i = 0; i < 20; i++) {
            ModalityEvent e = event(rng, new int[] {128, 512, 384, 0}[i % 4], i % 3 == 0 ? null : (float) rng.nextDouble());
            ByteBuffer avro = ModalityEvent.getEncoder().encode(e);
            byte[] expected = new byte[avro.remaining()];
            avro.get(expected);
            byte[] ours = EventCodec.encode(e);
            assertThat(ours).isEqualTo(expected);
            assertThat(decoder.decode(ours)).isEqualTo(e);
        }
    }

    @Test
    void outputRecordsEncodeAsAvroDoes() throws Exception {
        Prediction p = Prediction.newBuilder().setLearnerId("l").setSessionId("s")
                .setStepStart(Instant.ofEpochMilli(2_000)).setStepEnd(Instant.ofEpochMilli(4_000))
                .setProbabilities(Map.of("confusion", 0.1f, "curiosity", 0.7f, "boredom", 0.1f, "frustration", 0.1f))
                .setLabel("curiosity").setMieWeights(new ModalityWeights(0.2f, 0.5f, 0.3f))
                .setPresent(List.of(Modality.AUDIO, Modality.VISUAL, Modality.TEXT)).setModelVersion("1.1.0")
                .setEmitTime(Instant.ofEpochMilli(5_000)).build();
        ByteBuffer avro = Prediction.getEncoder().encode(p);
        byte[] expected = new byte[avro.remaining()];
        avro.get(expected);
        SingleObjectEncoder<Prediction> enc = new SingleObjectEncoder<>(SpecificData.getForClass(Prediction.class), Prediction.getClassSchema());
        assertThat(enc.encode(p)).isEqualTo(expected);
        assertThat(enc.encode(p)).as("reused").isEqualTo(expected);
    }
}
