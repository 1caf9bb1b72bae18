package io.eduemotionnet.testing;

import org.apache.flink.runtime.event.WatermarkEvent;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.io.PushingAsyncDataInput;
import org.apache.flink.streaming.runtime.streamrecord.LatencyMarker;
import org.apache.flink.streaming.runtime.streamrecord.RecordAttributes;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.StatusWatermarkValve;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * Several input channels in front of a one-input operator harness, combined by Flink's own {@link
 * StatusWatermarkValve} (as a task's input does): per-channel watermarks and idleness, the operator sees
 * the combined watermark only when it advances.
 */
public final class ChannelValve<IN> {
    private final OneInputStreamOperatorTestHarness<IN, ?> harness;
    private final StatusWatermarkValve valve;
    private final PushingAsyncDataInput.DataOutput<IN> toOperator;

    public ChannelValve(OneInputStreamOperatorTestHarness<IN, ?> harness, int channels) {
        this.harness = harness;
        this.valve = new StatusWatermarkValve(channels);
        this.toOperator = new PushingAsyncDataInput.DataOutput<>() {
            @Override
            public void emitRecord(StreamRecord<IN> record) throws Exception {
                harness.processElement(record);
            }

            @Override
            public void emitWatermark(Watermark watermark) throws Exception {
                harness.processWatermark(watermark);
            }

            @Override
            public void emitWatermarkStatus(WatermarkStatus status) throws Exception {
                harness.processWatermarkStatus(status);
            }

            @Override
            public void emitLatencyMarker(LatencyMarker marker) {}

            @Override
            public void emitRecordAttributes(RecordAttributes attributes) {}

            @Override
            public void emitWatermark(WatermarkEvent event) {}
        };
    }

    public void element(IN value, long timestamp) throws Exception {
        harness.processElement(value, timestamp);
    }

    public void watermark(int channel, long watermark) throws Exception {
        valve.inputWatermark(new Watermark(watermark), channel, toOperator);
    }

    public void idle(int channel) throws Exception {
        valve.inputWatermarkStatus(WatermarkStatus.IDLE, channel, toOperator);
    }

    public void active(int channel) throws Exception {
        valve.inputWatermarkStatus(WatermarkStatus.ACTIVE, channel, toOperator);
    }

    public AbstractStreamOperatorTestHarness<?> harness() {
        return harness;
    }
}
