package io.eduemotionnet.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eduemotionnet.avro.ModalityEvent;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written reader of the current schema agrees with Avro's decoder and refuses corrupt bodies. */
class CurrentSchemaReaderTest {

    @Test
    void itIsWrittenForTheCurrentSchema() {
        // fails when avro/ModalityEvent.avsc evolves: update CurrentSchemaReader (and its LAYOUT) with it
        assertThat(CurrentSchemaReader.layout(ModalityEvent.getClassSchema())).isEqualTo(CurrentSchemaReader.LAYOUT);
        assertThat(CurrentSchemaReader.SUPPORTED).isTrue();
    }

    @Test
    void readsWhatAvroReads() throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        CurrentSchemaReader reader = new CurrentSchemaReader();
        var avro = EventCodec.decoder();
        for (int i = 0; i < 50; i++) {
            ModalityEvent event = SingleObjectEncoderTest.event(rng, rng.nextInt(600), i % 2 == 0 ? null : (float) rng.nextGaussian());
            event.setCohortId(i % 3 == 0 ? null : "cohort-" + i);
            byte[] msg = EventCodec.encode(event);
            assertThat(CurrentSchemaReader.claims(msg)).isTrue();
            ModalityEvent ours = reader.read(msg);
            assertThat(ours).isEqualTo(avro.decode(msg));
            assertThat(ours.getEmbedding()).isInstanceOf(CurrentSchemaReader.Floats.class);
        }
    }

    @Test
    void corruptBodiesAreRefusedNotMisread() throws Exception {
        byte[] msg = EventCodec.encode(SingleObjectEncoderTest.event(new SplittableRandom(1), 128, 0.5f));
        CurrentSchemaReader reader = new CurrentSchemaReader();
        for (int cut : new int[] {11, 20, msg.length - 3, msg.length - 1}) {
            byte[] truncated = Arrays.copyOf(msg, cut);
            assertThatThrownBy(() -> reader.read(truncated)).as("cut at %d", cut).isInstanceOf(Exception.class);
        }
        byte[] trailing = Arrays.copyOf(msg, msg.length + 2);
        assertThatThrownBy(() -> reader.read(trailing)).isInstanceOf(IOException.class);
        // an array count far beyond the message (100 000 floats, zig-zag varint) is refused before allocating
        byte[] header = Arrays.copyOf(msg, 10);
        byte[] body = {2, 2, 'a', 2, 'b', 0, 2, (byte) 0xC0, (byte) 0x9A, 0x0C, 0};
        byte[] huge = new byte[header.length + body.length];
        System.arraycopy(header, 0, huge, 0, 10);
        System.arraycopy(body, 0, huge, 10, body.length);
        assertThatThrownBy(() -> reader.read(huge)).isInstanceOf(IOException.class).hasMessageContaining("exceeds");
        // another schema's fingerprint is not claimed (it goes through Avro's resolving decoder)
        byte[] other = msg.clone();
        other[5] ^= 1;
        assertThat(CurrentSchemaReader.claims(other)).isFalse();
    }
}
