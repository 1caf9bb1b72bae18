package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.ModalityEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Avro single-object encoding of modality events (Avro spec: 2-byte marker, 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, binary body). No registry is needed: the fingerprint says which
 * schema wrote the message, and the decoder resolves every schema version this job ships
 * ({@code avro/history/}) to the current one.
 */
public final class EventCodec {
    /** Older writer schemas the job still reads; add a file to avro/history/ with each evolution. */
    static final List<String> HISTORY = List.of("avro/history/ModalityEvent.v1.avsc");

    private EventCodec() {}

    public static BinaryMessageDecoder<ModalityEvent> decoder() {
        BinaryMessageDecoder<ModalityEvent> decoder = ModalityEvent.createDecoder(null);
        for (String resource : HISTORY) {
            decoder.addSchema(load(resource));
        }
        return decoder;
    }

    public static byte[] encode(ModalityEvent event) {
        try {
            ByteBuffer buf = ModalityEvent.getEncoder().encode(event);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Schema load(String resource) {
        try (InputStream in = EventCodec.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema resource " + resource + " is missing from the job jar");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
