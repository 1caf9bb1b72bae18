package io.eduemotionnet.ingest;

/** A validated modality event inside the job (a Flink POJO: cheap to serialize, no Kryo). */
public class EmbeddingEvent {
    public String learnerId;
    public String sessionId;
    /** 0 audio, 1 visual, 2 text (the model's input order). */
    public int modality;
    public long eventTime;
    public float[] embedding;
    /** NaN when the producer sent no quality score. */
    public float quality;
    public int schemaVersion;

    public EmbeddingEvent() {}

    public EmbeddingEvent(String learnerId, String sessionId, int modality, long eventTime, float[] embedding,
                          float quality, int schemaVersion) {
        this.learnerId = learnerId;
        this.sessionId = sessionId;
        this.modality = modality;
        this.eventTime = eventTime;
        this.embedding = embedding;
        this.quality = quality;
        this.schemaVersion = schemaVersion;
    }
}
