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
    /**
     * 0: one event as the producer sent it. n > 0: the mean of n events of one modality in one step
     * (a step that reached the inference operator after its slot was scored); eventTime is then the
     * step's start and quality the events' mean quality.
     */
    public int pooledEvents;
    /** The learner's cohort as the producer gave it (schema_version 2), or null. */
    public String cohortId;

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
