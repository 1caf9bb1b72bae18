package io.eduemotionnet.align;

import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Adds the learner and the step's bounds to the pooled step, and when the window closed (for latency). */
public class StepAssembler extends ProcessWindowFunction<AlignedStep, AlignedStep, String, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(String learnerId, Context ctx, Iterable<AlignedStep> pooled, Collector<AlignedStep> out) {
        for (AlignedStep step : pooled) {
            step.learnerId = learnerId;
            step.stepStart = ctx.window().getStart();
            step.stepEnd = ctx.window().getEnd();
            step.closedAt = System.currentTimeMillis();
            out.collect(step);
        }
    }
}
