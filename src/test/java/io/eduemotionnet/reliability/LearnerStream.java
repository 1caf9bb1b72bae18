package io.eduemotionnet.reliability;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.ingest.EventCodec;
import io.eduemotionnet.ingest.TestEvents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A multi-learner stream of valid events in phases, the same whatever the run: learners send their
 * modalities step by step, some modalities missing, some steps without any input. Within a partition
 * event times never go back, and every partition gets events in every phase, so no valid event is ever
 * late, before or after a restart (a restored job starts its watermark afresh): the predictions are a
 * function of the events alone, which is what lets runs with failures be compared with one without.
 */
final class LearnerStream {
    static final int LEARNERS = 24;
    static final int PHASES = 5;
    static final int STEPS_PER_PHASE = 8;
    /** edu.state.max-gap-steps for these runs: a learner's last steps are followed by this many empty ones. */
    static final int MAX_GAP_STEPS = 3;

    final long t0;
    final long step;

    LearnerStream(long stepMillis) {
        this.step = stepMillis;
        // two hours ago on a step boundary: every time is in the past, far from edu.ingest.max-future
        this.t0 = (System.currentTimeMillis() - 7_200_000L) / stepMillis * stepMillis;
    }

    static String learner(int l) {
        return "learner-" + l;
    }

    /** The valid events of one phase, in event-time order; learner l on partition l % partitions. */
    List<TopicIo.Record> phase(int phase, int partitions) {
        List<TopicIo.Record> records = new ArrayList<>();
        for (int t = phase * STEPS_PER_PHASE; t < (phase + 1) * STEPS_PER_PHASE; t++) {
            for (Modality m : Modality.values()) {
                for (int l = 0; l < LEARNERS; l++) {
                    Random r = new Random(t * 1_000L + l * 10L + m.ordinal());
                    boolean stepWithoutInput = (t + l) % 11 == 0;
                    if (stepWithoutInput || r.nextDouble() < 0.25) {
                        continue;
                    }
                    long time = t0 + t * step + 100L * (m.ordinal() + 1) + l;
                    ModalityEvent e = TestEvents.event(learner(l), m, time, r.nextLong());
                    records.add(new TopicIo.Record(l % partitions, learner(l).getBytes(StandardCharsets.UTF_8), EventCodec.encode(e)));
                }
            }
        }
        return records;
    }

    /** The start of the sentinel step of a round: after every learner's last step and its empty steps. */
    long sentinelStep(int round) {
        return t0 + (PHASES * STEPS_PER_PHASE + MAX_GAP_STEPS + 2 + 40L * round) * step;
    }

    static String sentinel(int partition) {
        return "sentinel-" + partition;
    }


    /**
     * One sentinel learner per partition with an event in the sentinel step, then on every partition an
     * event far later: the watermark passes the sentinel step only when every partition is past it, so
     * the sentinels' predictions say that every learner's steps before them have been scored.
     */
    List<TopicIo.Record> sentinels(int round, int partitions, int... onPartitions) {
        List<TopicIo.Record> records = new ArrayList<>();
        for (int p : onPartitions) {
            ModalityEvent e = TestEvents.event(sentinel(p), Modality.AUDIO, sentinelStep(round) + 100, p);
            records.add(new TopicIo.Record(p, sentinel(p).getBytes(StandardCharsets.UTF_8), EventCodec.encode(e)));
        }
        for (int p = 0; p < partitions; p++) {
            String id = "closer-" + p;
            ModalityEvent e = TestEvents.event(id, Modality.AUDIO, sentinelStep(round) + 20 * step, p);
            records.add(new TopicIo.Record(p, id.getBytes(StandardCharsets.UTF_8), EventCodec.encode(e)));
        }
        return records;
    }
}
