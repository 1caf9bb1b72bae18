package io.eduemotionnet.align;

import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.metrics.EmotionMetrics;
import io.eduemotionnet.sink.AvroRecords;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Counts events that arrived after their step closed and keeps them, with the watermark they missed.
 * A record the inference operator pooled from a step that came after it was scored stands for
 * {@link EmbeddingEvent#pooledEvents} events: it is counted as that many and marked so
 * (LateEvent.pooled_events).
 */
public class LateEvents extends ProcessFunction<EmbeddingEvent, LateEvent> {
    private static final long serialVersionUID = 1L;
    private transient Counter late;

    @Override
    public void open(OpenContext openContext) {
        late = getRuntimeContext().getMetricGroup().counter(EmotionMetrics.LATE_EVENTS);
    }

    @Override
    public void processElement(EmbeddingEvent e, Context ctx, Collector<LateEvent> out) {
        late.inc(e.pooledEvents > 0 ? e.pooledEvents : 1);
        out.collect(LateEvent.newBuilder()
                .setEvent(AvroRecords.modalityEvent(e))
                .setWatermark(Instant.ofEpochMilli(Math.max(0, ctx.timerService().currentWatermark())))
                .setPooledEvents(e.pooledEvents > 0 ? e.pooledEvents : null)
                .build());
    }
}
