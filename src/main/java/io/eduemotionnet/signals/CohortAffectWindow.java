package io.eduemotionnet.signals;

import io.eduemotionnet.avro.CohortAffect;
import io.eduemotionnet.avro.ModalityWeights;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns a cohort-minute's sums into a {@link CohortAffect} record, or into nothing below k learners. */
public class CohortAffectWindow extends ProcessWindowFunction<CohortSums, CohortAffect, String, TimeWindow> {
    private static final long serialVersionUID = 1L;
    private final List<String> classes;
    private final int minLearners;
    /** Accumulator names: the embedded run's summary reports them. */
    public static final String PUBLISHED_ACCUMULATOR = "cohort-windows-published";
    public static final String SUPPRESSED_ACCUMULATOR = "cohort-windows-suppressed";
    private transient Counter published;
    private transient Counter suppressed;
    private transient LongCounter publishedTotal;
    private transient LongCounter suppressedTotal;

    public CohortAffectWindow(List<String> classes, int minLearners) {
        this.classes = List.copyOf(classes);
        this.minLearners = minLearners;
    }

    @Override
    public void open(OpenContext context) {
        published = getRuntimeContext().getMetricGroup().counter(SignalMetrics.COHORT_WINDOWS_PUBLISHED);
        suppressed = getRuntimeContext().getMetricGroup().counter(SignalMetrics.COHORT_WINDOWS_SUPPRESSED);
        publishedTotal = getRuntimeContext().getLongCounter(PUBLISHED_ACCUMULATOR);
        suppressedTotal = getRuntimeContext().getLongCounter(SUPPRESSED_ACCUMULATOR);
    }

    @Override
    public void process(String cohort, Context ctx, Iterable<CohortSums> sums, Collector<CohortAffect> out) {
        for (CohortSums s : sums) {
            if (s.learners < minLearners) {
                suppressed.inc(); // k-anonymity: too few learners to publish without singling one out
                suppressedTotal.add(1L);
                continue;
            }
            Map<String, Float> shares = new HashMap<>(classes.size() * 2);
            for (int c = 0; c < classes.size(); c++) {
                shares.put(classes.get(c), (float) s.perState[c] / s.steps);
            }
            float[] mie = new float[3];
            float[] missing = new float[3];
            for (int m = 0; m < 3; m++) {
                mie[m] = s.presentSteps[m] == 0 ? 0f : (float) (s.mieSums[m] / s.presentSteps[m]);
                missing[m] = (float) (s.steps - s.presentSteps[m]) / s.steps;
            }
            out.collect(new CohortAffect(cohort, Instant.ofEpochMilli(ctx.window().getStart()),
                    Instant.ofEpochMilli(ctx.window().getEnd()), s.learners, s.steps, shares,
                    new ModalityWeights(mie[0], mie[1], mie[2]), new ModalityWeights(missing[0], missing[1], missing[2]),
                    s.modelVersion));
            published.inc();
            publishedTotal.add(1L);
        }
    }

}
