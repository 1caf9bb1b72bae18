package io.eduemotionnet.learner;

import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.privacy.ErasureOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** The learner operator's side outputs (predictions are its main output), and its late-event records. */
public final class LearnerOutputs {
    private LearnerOutputs() {}

    /** Valid events that came after their step closed, with the watermark they missed. */
    public static final OutputTag<LateEvent> LATE_EVENTS =
            new OutputTag<>("late-events", TypeInformation.of(LateEvent.class));
    public static final OutputTag<DropoutReport> DROPOUT =
            new OutputTag<>("modality-dropout", TypeInformation.of(DropoutReport.class));
    public static final OutputTag<ConfidenceReport> CONFIDENCE =
            new OutputTag<>("confidence", TypeInformation.of(ConfidenceReport.class));
    /** Scored steps with their pooled inputs and session step number, for training-data collection. */
    public static final OutputTag<AlignedStep> ALIGNED_STEPS =
            new OutputTag<>("aligned-steps", TypeInformation.of(AlignedStep.class));
    /** Erasure orders carried out, with what was deleted, emitted as soon as the order arrives. */
    public static final OutputTag<ErasureOrder> ERASURES =
            new OutputTag<>("erasures", TypeInformation.of(ErasureOrder.class));

    /** A late event; {@code pooledEvents} > 0 for the mean of that many events of one step. */
    static LateEvent lateEvent(EmbeddingEvent e, long watermark, int pooledEvents) {
        List<Float> values = new ArrayList<>(e.embedding.length);
        for (float v : e.embedding) {
            values.add(v);
        }
        ModalityEvent event = ModalityEvent.newBuilder()
                .setSchemaVersion(e.schemaVersion)
                .setLearnerId(e.learnerId)
                .setSessionId(e.sessionId)
                .setModality(Modality.values()[e.modality])
                .setEventTime(Instant.ofEpochMilli(e.eventTime))
                .setEmbedding(values)
                .setQuality(Float.isNaN(e.quality) ? null : e.quality)
                .setCohortId(e.cohortId)
                .build();
        return LateEvent.newBuilder()
                .setEvent(event)
                .setWatermark(Instant.ofEpochMilli(Math.max(0, watermark)))
                .setPooledEvents(pooledEvents > 0 ? pooledEvents : null)
                .build();
    }

    /** A step's pooled inputs as late events: one per present modality, marked with its event count. */
    static List<LateEvent> pooledLateEvents(AlignedStep step, long watermark) {
        List<LateEvent> out = new ArrayList<>(3);
        for (int m = 0; m < 3; m++) {
            if (step.present(m)) {
                EmbeddingEvent pooled = new EmbeddingEvent(step.learnerId, step.sessionId, m, step.stepStart,
                        step.embedding(m), step.meanQuality[m], 1);
                pooled.cohortId = step.cohortId;
                out.add(lateEvent(pooled, watermark, Math.max(1, step.counts[m])));
            }
        }
        return out;
    }
}
