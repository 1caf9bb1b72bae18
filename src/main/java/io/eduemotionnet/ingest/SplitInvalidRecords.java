package io.eduemotionnet.ingest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Dead letters to their side output; valid events and consent changes go on together, in the order they
 * came (so a grant sent before a learner's first event reaches the consent gate first). Events are counted
 * per modality, dead letters per reason (the consent gate counts the consent changes).
 */
public class SplitInvalidRecords extends ProcessFunction<IngestResult, IngestResult> {
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
    public void processElement(IngestResult value, Context ctx, Collector<IngestResult> out) {
        if (value.event != null) {
            eventsPerModality[value.event.modality].inc();
            out.collect(value);
        } else if (value.consent != null) {
            out.collect(value);
        } else {
            deadLettersPerReason[DeadLetterReason.valueOf(value.deadLetter.reason).ordinal()].inc();
            ctx.output(DEAD_LETTERS, value.deadLetter);
        }
    }
}
