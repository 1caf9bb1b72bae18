package io.eduemotionnet.reliability;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Bad input made from valid records of fuzz learners (ids "fz-…", which no mutation turns into a
 * valid learner's id): bit flips, truncations, splices of two records, random bytes, a wrong
 * fingerprint, ids of odd length and alphabet, extreme floats and times, wrong embedding sizes. Some
 * mutations still decode as valid events (a flipped bit in an embedding's mantissa): those are events
 * of fuzz learners like any other.
 */
final class RecordFuzzer {
    static final String[] KINDS = {"bit-flips", "truncation", "splice", "random-bytes", "wrong-fingerprint",
        "odd-id", "extreme-float", "extreme-time", "wrong-size", "huge"};
    private static final String[] ODD_IDS = {"", " ", "a b", "fz-\u00e9l\u00e8ve", "fz-\u5b66\u751f", "fz-\u0000",
        "fz-\n", "-fz", ".fz", "fz/1", "fz@1", "x".repeat(129), "y".repeat(10_000), "fz-\ud83d\ude00", "fz-%s"};
    private static final float[] ODD_FLOATS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0.0f, 1e-45f, 3.4e38f};
    private static final long[] ODD_TIMES = {0, -1, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2, 1, 4_102_444_800_000L};

    private final Random random;
    private final LearnerStream stream;

    RecordFuzzer(long seed, LearnerStream stream) {
        this.random = new Random(seed);
        this.stream = stream;
    }

    /** A valid event of a fuzz learner at a time within the stream's span, fraction in [0, 1) of the way through. */
    ModalityEvent base(double fraction) {
        Modality m = Modality.values()[random.nextInt(Modality.values().length)];
        long span = (long) LearnerStream.PHASES * LearnerStream.STEPS_PER_PHASE * stream.step;
        String id = String.format("fz-%03d", random.nextInt(60));
        return TestEvents.event(id, m, stream.t0 + (long) (fraction * span), random.nextLong());
    }

    /** The i-th of n mutated records; every kind in turn. */
    byte[] mutate(int i, int n) {
        double fraction = (double) i / n;
        String kind = KINDS[i % KINDS.length];
        byte[] valid = EventCodec.encode(base(fraction));
        switch (kind) {
            case "bit-flips": {
                byte[] b = valid.clone();
                for (int k = 1 + random.nextInt(8); k > 0; k--) {
                    int bit = random.nextInt(b.length * 8);
                    b[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                return b;
            }
            case "truncation":
                return Arrays.copyOf(valid, random.nextInt(valid.length));
            case "splice": {
                byte[] other = EventCodec.encode(base(fraction));
                int cutA = random.nextInt(valid.length);
                int cutB = random.nextInt(other.length);
                byte[] b = Arrays.copyOf(valid, cutA + other.length - cutB);
                System.arraycopy(other, cutB, b, cutA, other.length - cutB);
                return b;
            }
            case "random-bytes": {
                byte[] b = new byte[random.nextInt(4096)];
                random.nextBytes(b);
                if (b.length > 2 && random.nextBoolean()) {
                    b[0] = (byte) 0xc3; // the single-object marker, then garbage
                    b[1] = 0x01;
                }
                return b;
            }
            case "wrong-fingerprint": {
                byte[] b = valid.clone();
                b[2 + random.nextInt(8)] ^= (byte) (1 + random.nextInt(255));
                return b;
            }
            case "odd-id":
                return changed(fraction, e -> random.nextBoolean()
                        ? ModalityEvent.newBuilder(e).setLearnerId(ODD_IDS[random.nextInt(ODD_IDS.length)]).build()
                        : ModalityEvent.newBuilder(e).setSessionId(ODD_IDS[random.nextInt(ODD_IDS.length)]).build());
            case "extreme-float":
                return changed(fraction, e -> {
                    List<Float> values = new ArrayList<>(e.getEmbedding());
                    float odd = ODD_FLOATS[random.nextInt(ODD_FLOATS.length)];
                    if (random.nextBoolean()) {
                        values.set(random.nextInt(values.size()), odd);
                        return ModalityEvent.newBuilder(e).setEmbedding(values).build();
                    }
                    return ModalityEvent.newBuilder(e).setQuality(odd).build();
                });
            case "extreme-time":
                return changed(fraction, e -> {
                    long t = random.nextInt(3) == 0
                            ? System.currentTimeMillis() + (1L << (20 + random.nextInt(20))) // ahead of the wall clock
                            : ODD_TIMES[random.nextInt(ODD_TIMES.length)];
                    return ModalityEvent.newBuilder(e).setEventTime(Instant.ofEpochMilli(t)).build();
                });
            case "wrong-size":
                return changed(fraction, e -> ModalityEvent.newBuilder(e)
                        .setEmbedding(e.getEmbedding().subList(0, random.nextInt(e.getEmbedding().size()))).build());
            case "huge": {
                // records larger than any event, a few far larger (the dead letter keeps their first 512 KiB)
                byte[] b = new byte[i % (KINDS.length * 400) == KINDS.length - 1 ? 700_000 : 5_000 + random.nextInt(5_000)];
                random.nextBytes(b);
                System.arraycopy(valid, 0, b, 0, 10);
                return b;
            }
            default:
                throw new IllegalStateException(kind);
        }
    }

    private byte[] changed(double fraction, UnaryOperator<ModalityEvent> change) {
        return EventCodec.encode(change.apply(base(fraction)));
    }
}
