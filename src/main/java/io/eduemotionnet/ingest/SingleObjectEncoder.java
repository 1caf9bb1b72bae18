package io.eduemotionnet.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;

/**
 * Avro single-object encoding (marker {@code C3 01}, the writer schema's CRC-64-AVRO fingerprint
 * little-endian, the binary body), byte for byte what Avro's {@code BinaryMessageEncoder} writes.
 * Avro's encoder writes the body through a direct encoder: one stream write per float of an
 * embedding, which profiling showed as a large share of the job's CPU. This one buffers. Not
 * thread-safe: one per thread (or per operator instance).
 */
public final class SingleObjectEncoder<T> {
    private final byte[] header;
    private final DatumWriter<T> writer;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    private BinaryEncoder encoder;

    /** {@code model}: the generated class's own model ({@code SpecificData.getForClass}), for its logical types. */
    @SuppressWarnings("unchecked")
    public SingleObjectEncoder(SpecificData model, Schema schema) {
        long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        header = new byte[10];
        header[0] = (byte) 0xC3;
        header[1] = (byte) 0x01;
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (byte) (fingerprint >>> (8 * i));
        }
        writer = (DatumWriter<T>) model.createDatumWriter(schema);
    }

    public byte[] encode(T datum) {
        try {
            out.reset();
            out.write(header);
            encoder = EncoderFactory.get().binaryEncoder(out, encoder);
            writer.write(datum, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
