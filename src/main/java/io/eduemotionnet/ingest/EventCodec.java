package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.ModalityEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;

/**
 * Avro single-object encoding of modality events (Avro spec: 2-byte marker, 8-byte CRC-64-AVRO
 * fingerprint of the writer schema, binary body). No registry is needed: the fingerprint says which
 * schema wrote the message, and the decoder resolves every schema version this job ships
 * ({@code avro/history/}) to the current one.
 */
public final class EventCodec {
    /** Older writer schemas the job still reads; add a file to avro/history/ with each evolution. */
    static final List<String> HISTORY = List.of("avro/history/ModalityEvent.v1.avsc");

    private static final ThreadLocal<SingleObjectEncoder<ModalityEvent>> ENCODER = ThreadLocal.withInitial(
            () -> new SingleObjectEncoder<>(SpecificData.getForClass(ModalityEvent.class), ModalityEvent.getClassSchema()));

    private EventCodec() {}

    /**
     * A decoder for every schema version the job reads (Avro's resolving decoder). The job decodes
     * messages of the current schema with {@link CurrentSchemaReader} first, which is much faster.
     */
    public static BinaryMessageDecoder<ModalityEvent> decoder() {
        BinaryMessageDecoder<ModalityEvent> decoder = ModalityEvent.createDecoder(null);
        for (String resource : HISTORY) {
            decoder.addSchema(load(resource));
        }
        return decoder;
    }

    public static byte[] encode(ModalityEvent event) {
        return ENCODER.get().encode(event);
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
