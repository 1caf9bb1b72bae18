package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.ConsentAction;

/**
 * A validated consent change inside the job (a Flink POJO). It keeps only what the consent gate needs:
 * whether the change grants this job's purpose, when it was made and the request id a receipt quotes;
 * the purposes list and who made the change stay in the consent topic.
 */
public class ConsentUpdate {
    public String learnerId;
    public ConsentAction action;
    /** A grant that lists edu.privacy.purpose; false for a grant of other purposes only. */
    public boolean coversPurpose;
    /** When the change was made (ms since the epoch): a grant covers events from then on. */
    public long changedAt;
    public String requestId;

    public ConsentUpdate() {}

    public ConsentUpdate(String learnerId, ConsentAction action, boolean coversPurpose, long changedAt, String requestId) {
        this.learnerId = learnerId;
        this.action = action;
        this.coversPurpose = coversPurpose;
        this.changedAt = changedAt;
        this.requestId = requestId;
    }

    /** A grant of this job's purpose. */
    public boolean grants() {
        return action == ConsentAction.GRANTED && coversPurpose;
    }
}
