package io.eduemotionnet.ingest;

import io.eduemotionnet.metrics.EmotionMetrics;
import io.eduemotionnet.sideoutput.OutputTags;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Valid events go on, dead letters to their side output; both are counted (per modality, per reason). */
public class SplitInvalidRecords extends ProcessFunction<IngestResult, EmbeddingEvent> {
    private static final long serialVersionUID = 1L;
    private transient Counter[] eventsPerModality;
    private transient Counter[] deadLettersPerReason;

    @Override
    public void open(OpenContext openContext) {
        eventsPerModality = EmotionMetrics.perModality(getRuntimeContext().getMetricGroup(), EmotionMetrics.EVENTS);
        deadLettersPerReason = EmotionMetrics.deadLetters(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(IngestResult value, Context ctx, Collector<EmbeddingEvent> out) {
        if (value.event != null) {
            eventsPerModality[value.event.modality].inc();
            out.collect(value.event);
        } else {
            deadLettersPerReason[DeadLetterReason.valueOf(value.deadLetter.reason).ordinal()].inc();
            ctx.output(OutputTags.DEAD_LETTERS, value.deadLetter);
        }
    }
}
