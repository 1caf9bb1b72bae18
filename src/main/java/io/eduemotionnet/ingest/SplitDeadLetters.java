package io.eduemotionnet.ingest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * In front of the consent gate: dead letters to their side output; valid events and consent changes go on
 * together, in the order they came (so a grant sent before a learner's first event reaches the gate first).
 * Counted like {@link SplitInvalidRecords} (the consent gate counts the consent changes).
 */
public class SplitDeadLetters extends ProcessFunction<IngestResult, IngestResult> {
    private static final long serialVersionUID = 1L;
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
            ctx.output(SplitInvalidRecords.DEAD_LETTERS, value.deadLetter);
        }
    }
}
