package io.eduemotionnet.ingest;

import io.eduemotionnet.model.ModelInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** The ingest stage's metrics (docs/metrics.md): valid events per modality, dead letters per reason. */
public final class IngestMetrics {
    private IngestMetrics() {}

    public static final String EVENTS = "eduEventsReceived";
    public static final String DEAD_LETTERS = "eduDeadLetters";
    /** 1 while the events source's reader waits for the consent topic to be taken in, then 0. */
    public static final String EVENTS_HELD_FOR_CONSENT = "eduEventsHeldForConsent";

    public static Counter[] eventsPerModality(MetricGroup group) {
        Counter[] out = new Counter[ModelInfo.MODALITIES.size()];
        for (int m = 0; m < out.length; m++) {
            out[m] = group.addGroup("modality", ModelInfo.MODALITIES.get(m)).counter(EVENTS);
        }
        return out;
    }

    public static Counter[] deadLettersPerReason(MetricGroup group) {
        DeadLetterReason[] reasons = DeadLetterReason.values();
        Counter[] out = new Counter[reasons.length];
        for (DeadLetterReason r : reasons) {
            out[r.ordinal()] = group.addGroup("reason", r.name()).counter(DEAD_LETTERS);
        }
        return out;
    }
}
