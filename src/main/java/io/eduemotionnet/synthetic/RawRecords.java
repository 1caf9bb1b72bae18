package io.eduemotionnet.synthetic;

/** The records one learner sends in one step (zero to three events, plus any injected anomalies). */
public class RawRecords {
    public RawRecord[] records;

    public RawRecords() {}

    public RawRecords(RawRecord[] records) {
        this.records = records;
    }
}
