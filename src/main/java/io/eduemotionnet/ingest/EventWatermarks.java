package io.eduemotionnet.ingest;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/** Bounded out-of-orderness on valid events' event time; dead letters never advance the watermark. */
public final class EventWatermarks {
    private EventWatermarks() {}

    public static WatermarkStrategy<IngestResult> strategy(Duration outOfOrderness, Duration idleness) {
        return WatermarkStrategy.<IngestResult>forBoundedOutOfOrderness(outOfOrderness)
                .withTimestampAssigner((r, previous) -> r.event != null ? r.event.eventTime : Long.MIN_VALUE)
                .withIdleness(idleness);
    }
}
