package io.eduemotionnet.privacy;

import io.eduemotionnet.ingest.EmbeddingEvent;

/**
 * What reaches the learner operator for one learner: a valid modality event that may be scored, or an
 * order to erase the learner. Exactly one of the two fields is set. Without a consent gate the pipeline
 * wraps every valid event; with one, the gate decides what passes and sends the erasure orders.
 */
public class LearnerInput {
    public EmbeddingEvent event;
    public ErasureOrder erasure;

    public LearnerInput() {}

    public static LearnerInput of(EmbeddingEvent event) {
        LearnerInput in = new LearnerInput();
        in.event = event;
        return in;
    }

    public static LearnerInput erase(ErasureOrder order) {
        LearnerInput in = new LearnerInput();
        in.erasure = order;
        return in;
    }

    public String learnerId() {
        return event != null ? event.learnerId : erasure.learnerId;
    }
}
