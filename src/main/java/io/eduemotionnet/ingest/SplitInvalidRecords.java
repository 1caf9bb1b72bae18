package io.eduemotionnet.ingest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Valid events go on, dead letters to their side output; both are counted (per modality, per reason). */
public class SplitInvalidRecords extends ProcessFunction<IngestResult, EmbeddingEvent> {
    private static final long serialVersionUID = 1L;
    /** Invalid records, with the reason (the dead-letter topic). */
    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetterRecord.class));
    private transient Counter[] eventsPerModality;
    private transient Counter[] deadLettersPerReason;

    @Override
    public void open(OpenContext openContext) {
        eventsPerModality = IngestMetrics.eventsPerModality(getRuntimeContext().getMetricGroup());
        deadLettersPerReason = IngestMetrics.deadLettersPerReason(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(IngestResult value, Context ctx, Collector<EmbeddingEvent> out) {
        if (value.event != null) {
            eventsPerModality[value.event.modality].inc();
            out.collect(value.event);
        } else {
            deadLettersPerReason[DeadLetterReason.valueOf(value.deadLetter.reason).ordinal()].inc();
            ctx.output(DEAD_LETTERS, value.deadLetter);
        }
    }
}
