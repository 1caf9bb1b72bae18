package io.eduemotionnet.ingest;

/**
 * What the source stage makes of one raw record: a valid event, a valid consent change, or a dead letter
 * (exactly one is set).
 */
public class IngestResult {
    public EmbeddingEvent event;
    public DeadLetterRecord deadLetter;
    public ConsentUpdate consent;

    public IngestResult() {}

    public static IngestResult valid(EmbeddingEvent event) {
        IngestResult r = new IngestResult();
        r.event = event;
        return r;
    }

    public static IngestResult consent(ConsentUpdate consent) {
        IngestResult r = new IngestResult();
        r.consent = consent;
        return r;
    }

    public static IngestResult invalid(DeadLetterRecord deadLetter) {
        IngestResult r = new IngestResult();
        r.deadLetter = deadLetter;
        return r;
    }
}
