package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import java.io.IOException;
import java.time.Instant;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Reads a {@link ModalityEvent} written with the job's current schema straight from its binary body,
 * the embedding into a {@code float[]} (exposed as a {@link Floats} list, no boxing). Profiling showed
 * Avro's generic reading of {@code array<float>} (one parser step and one boxed {@code Float} per
 * value) as the largest cost of the whole job. Messages of older schema versions go through Avro's
 * resolving decoder ({@link EventCodec#decoder()}); this reader only claims the exact schema it was
 * written for ({@link #SUPPORTED}: a test fails when the schema evolves and this reader does not).
 * Not thread-safe (it reuses a decoder).
 */
final class CurrentSchemaReader {
    static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(ModalityEvent.getClassSchema());
    /** The fields, in order, this reader decodes; checked against the generated class's schema. */
    static final String LAYOUT = "schema_version:INT learner_id:STRING session_id:STRING modality:ENUM "
            + "event_time:LONG embedding:ARRAY<FLOAT> quality:UNION<NULL,FLOAT> cohort_id:UNION<NULL,STRING>";
    static final boolean SUPPORTED = LAYOUT.equals(layout(ModalityEvent.getClassSchema()));
    private static final int HEADER = 10;
    private static final Modality[] MODALITIES = Modality.values();

    private BinaryDecoder decoder;

    /** Whether {@code message} (single-object encoded) was written with the schema this reader decodes. */
    static boolean claims(byte[] message) {
        if (!SUPPORTED || message.length < HEADER || message[0] != (byte) 0xC3 || message[1] != (byte) 0x01) {
            return false;
        }
        long fp = 0;
        for (int i = 0; i < 8; i++) {
            fp |= (message[2 + i] & 0xFFL) << (8 * i);
        }
        return fp == FINGERPRINT;
    }

    ModalityEvent read(byte[] message) throws IOException {
        BinaryDecoder in = decoder = DecoderFactory.get().binaryDecoder(message, HEADER, message.length - HEADER, decoder);
        int schemaVersion = in.readInt();
        String learner = in.readString();
        String session = in.readString();
        int symbol = in.readEnum();
        if (symbol < 0 || symbol >= MODALITIES.length) {
            throw new IOException("modality symbol " + symbol + " out of range");
        }
        long eventTime = in.readLong();
        float[] values = new float[0];
        int size = 0;
        for (long n = in.readArrayStart(); n > 0; n = in.arrayNext()) {
            // every float takes 4 bytes: a count beyond the remaining bytes is corrupt, not an allocation
            if (n > (message.length - HEADER) / 4 - size) {
                throw new IOException("array block of " + n + " floats exceeds the message");
            }
            if (size + n > values.length) {
                values = java.util.Arrays.copyOf(values, (int) (size + n));
            }
            for (long i = 0; i < n; i++) {
                values[size++] = in.readFloat();
            }
        }
        Float quality;
        switch (in.readIndex()) {
            case 0: quality = null; break;
            case 1: quality = in.readFloat(); break;
            default: throw new IOException("quality union branch out of range");
        }
        String cohort;
        switch (in.readIndex()) {
            case 0: cohort = null; break;
            case 1: cohort = in.readString(); break;
            default: throw new IOException("cohort_id union branch out of range");
        }
        if (!in.isEnd()) {
            throw new IOException("trailing bytes after the record");
        }
        return ModalityEvent.newBuilder()
                .setSchemaVersion(schemaVersion)
                .setLearnerId(learner)
                .setSessionId(session)
                .setModality(MODALITIES[symbol])
                .setEventTime(Instant.ofEpochMilli(eventTime))
                .setEmbedding(new Floats(size == values.length ? values : java.util.Arrays.copyOf(values, size)))
                .setQuality(quality)
                .setCohortId(cohort)
                .build();
    }

    /** A schema's fields as "name:TYPE" in order (array items and union branches in brackets). */
    static String layout(Schema record) {
        StringBuilder sb = new StringBuilder();
        for (Schema.Field f : record.getFields()) {
            sb.append(sb.length() == 0 ? "" : " ").append(f.name()).append(':').append(type(f.schema()));
        }
        return sb.toString();
    }

    private static String type(Schema s) {
        switch (s.getType()) {
            case ARRAY: return "ARRAY<" + type(s.getElementType()) + ">";
            case UNION: {
                StringBuilder sb = new StringBuilder("UNION<");
                for (int i = 0; i < s.getTypes().size(); i++) {
                    sb.append(i == 0 ? "" : ",").append(type(s.getTypes().get(i)));
                }
                return sb.append('>').toString();
            }
            default: return s.getType().name();
        }
    }

    /** An embedding read into a float array, seen as the {@code List<Float>} the generated class holds. */
    static final class Floats extends AbstractList<Float> implements RandomAccess {
        final float[] values;

        Floats(float[] values) {
            this.values = values;
        }

        @Override
        public Float get(int index) {
            return values[index];
        }

        @Override
        public int size() {
            return values.length;
        }

        /** The values themselves, when {@code list} is one of these; otherwise unboxed into a new array. */
        static float[] toArray(List<Float> list) {
            if (list instanceof Floats) {
                return ((Floats) list).values;
            }
            float[] out = new float[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = list.get(i);
            }
            return out;
        }
    }
}
