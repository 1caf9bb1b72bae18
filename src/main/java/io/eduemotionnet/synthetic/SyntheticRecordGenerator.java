package io.eduemotionnet.synthetic;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.ingest.EventCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * Index {@code t * learners + i} is learner i's step t: its events, Avro-encoded exactly as producers
 * write them to Kafka (so the job's decoding and validation run on them), plus, at the configured
 * rate, anomalies: corrupted records (they must end as dead letters) and late events.
 */
public class SyntheticRecordGenerator implements GeneratorFunction<Long, RawRecords> {
    private static final long serialVersionUID = 1L;
    private static final RawRecords NOTHING = new RawRecords(new RawRecord[0]);
    private static final byte[][] NO_CONSENT = new byte[0][];
    private static final int PACE_EVERY = 50;

    /** Kinds of injected anomalies, in the order they are drawn. */
    public enum Anomaly { TRUNCATED, GARBAGE, WRONG_SIZE, NAN, BAD_LEARNER_ID, EMPTY_SESSION_ID, FUTURE_TIME, LATE }

    private final SyntheticStream stream;
    private transient LearnerSimulator[] sims;
    private transient long offset;
    private transient long consentOffset;
    private transient long wallStart;

    public SyntheticRecordGenerator(SyntheticStream stream) {
        this.stream = stream;
    }

    @Override
    public void open(SourceReaderContext readerContext) {
        sims = new LearnerSimulator[stream.learners];
        wallStart = System.currentTimeMillis();
    }

    @Override
    public RawRecords map(Long index) throws Exception {
        long t = index / stream.learners;
        int learner = (int) (index % stream.learners);
        if (stream.speed > 0 && learner % PACE_EVERY == 0) {
            pace(t, learner);
        }
        return recordsAt(index);
    }

    /**
     * The records of index {@code t * learners + i}, without pacing (indexes asked in increasing order):
     * the benchmark's Kafka producer generates them ahead and releases them itself.
     */
    public RawRecords recordsAt(long index) {
        long t = index / stream.learners;
        int learner = (int) (index % stream.learners);
        LearnerSimulator sim = sims[learner];
        if (sim == null) {
            sim = stream.simulator(learner);
            sims[learner] = sim;
        }
        LearnerSimulator.Step step = sim.stepTo(t);
        byte[][] consent = stream.consent == null ? NO_CONSENT : stream.consent.recordsAt(learner, t);
        if (step == null && consent.length == 0) {
            return NOTHING;
        }
        List<RawRecord> out = new ArrayList<>(4);
        for (byte[] c : consent) {
            // in line with the events and before them: a grant reaches the consent gate before the first event
            out.add(new RawRecord(c, SyntheticStream.CONSENT_TOPIC, 0, consentOffset++));
        }
        if (step == null) {
            return new RawRecords(out.toArray(new RawRecord[0]));
        }
        SplittableRandom rng = sim.stepRandom(t);
        for (int m = 0; m < 3; m++) {
            if (!step.present[m]) {
                continue;
            }
            long eventTime = stream.baseMillis + t * stream.stepMillis + offsetInStep(learner, rng);
            ModalityEvent event = ModalityEvent.newBuilder()
                    .setSchemaVersion(2)
                    .setLearnerId(SyntheticStream.learnerId(learner))
                    .setSessionId(SyntheticStream.sessionId(learner, step.session))
                    .setModality(Modality.values()[m])
                    .setEventTime(Instant.ofEpochMilli(eventTime))
                    .setEmbedding(boxed(sim.embedding(m, step, rng)))
                    .setQuality(sim.quality(m, step, rng))
                    .setCohortId(stream.cohortId(learner))
                    .build();
            out.add(record(EventCodec.encode(event)));
            if (stream.anomalyRate > 0 && rng.nextDouble() < stream.anomalyRate) {
                out.add(record(anomaly(event, rng)));
            }
        }
        return new RawRecords(out.toArray(new RawRecord[0]));
    }

    /**
     * Where in its step an event happened. Replayed, anywhere in the step. Live (speed 1), records
     * are released at the learner's slot in the step, so events happened up to 250 ms before that:
     * as with a real stream, nothing arrives before it happened.
     */
    private long offsetInStep(int learner, SplittableRandom rng) {
        if (stream.speed != 1.0) {
            return rng.nextLong(stream.stepMillis);
        }
        long slot = (long) ((double) learner / stream.learners * stream.stepMillis);
        return Math.max(0, slot - rng.nextLong(250));
    }

    private RawRecord record(byte[] value) {
        return new RawRecord(value, SyntheticStream.TOPIC, 0, offset++);
    }

    /** A corrupted or late variant of a valid event. */
    static byte[] anomaly(ModalityEvent valid, SplittableRandom rng) {
        Anomaly kind = Anomaly.values()[rng.nextInt(Anomaly.values().length)];
        ModalityEvent e = ModalityEvent.newBuilder(valid).build();
        switch (kind) {
            case TRUNCATED: {
                byte[] bytes = EventCodec.encode(e);
                return java.util.Arrays.copyOf(bytes, bytes.length / 2);
            }
            case GARBAGE: {
                byte[] bytes = new byte[64];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) rng.nextInt(256);
                }
                return bytes;
            }
            case WRONG_SIZE:
                e.setEmbedding(new ArrayList<>(e.getEmbedding().subList(0, e.getEmbedding().size() - 1)));
                break;
            case NAN: {
                List<Float> values = new ArrayList<>(e.getEmbedding());
                values.set(rng.nextInt(values.size()), Float.NaN);
                e.setEmbedding(values);
                break;
            }
            case BAD_LEARNER_ID:
                e.setLearnerId("not a pseudonymous id!");
                break;
            case EMPTY_SESSION_ID:
                e.setSessionId("");
                break;
            case FUTURE_TIME:
                e.setEventTime(Instant.now().plusSeconds(86_400));
                break;
            case LATE:
                e.setEventTime(e.getEventTime().minusSeconds(120));
                break;
            default:
                throw new IllegalStateException(kind.name());
        }
        return EventCodec.encode(e);
    }

    private static List<Float> boxed(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) {
            out.add(v);
        }
        return out;
    }

    /**
     * Pacing (speed = event time per wall-clock time): learners' records are spread over their step,
     * as a live stream arrives. In real time (speed 1) event time is wall-clock time.
     */
    private void pace(long t, int learner) throws InterruptedException {
        long origin = stream.speed == 1.0 ? stream.baseMillis : wallStart;
        double position = t + (double) learner / stream.learners;
        long due = origin + (long) (position * stream.stepMillis / stream.speed);
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }
}
