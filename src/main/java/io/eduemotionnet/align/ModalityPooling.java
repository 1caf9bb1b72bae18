package io.eduemotionnet.align;

import io.eduemotionnet.ingest.EmbeddingEvent;
import org.apache.flink.api.common.functions.AggregateFunction;

/** Pools each modality's events in a step to their mean embedding (incrementally: one sum per modality). */
public class ModalityPooling implements AggregateFunction<EmbeddingEvent, StepAccumulator, AlignedStep> {
    private static final long serialVersionUID = 1L;

    @Override
    public StepAccumulator createAccumulator() {
        return new StepAccumulator();
    }

    @Override
    public StepAccumulator add(EmbeddingEvent e, StepAccumulator acc) {
        float[] sum = acc.sums[e.modality];
        if (sum == null) {
            sum = new float[e.embedding.length];
            acc.sums[e.modality] = sum;
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += e.embedding[i];
        }
        acc.counts[e.modality]++;
        if (!Float.isNaN(e.quality)) {
            acc.qualitySums[e.modality] += e.quality;
            acc.qualityCounts[e.modality]++;
        }
        if (e.eventTime >= acc.sessionEventTime) {
            acc.sessionEventTime = e.eventTime;
            acc.sessionId = e.sessionId;
        }
        return acc;
    }

    @Override
    public AlignedStep getResult(StepAccumulator acc) {
        AlignedStep step = new AlignedStep();
        step.sessionId = acc.sessionId;
        for (int m = 0; m < 3; m++) {
            step.counts[m] = acc.counts[m];
            if (acc.counts[m] > 0) {
                float[] mean = new float[acc.sums[m].length];
                float inv = 1f / acc.counts[m];
                for (int i = 0; i < mean.length; i++) {
                    mean[i] = acc.sums[m][i] * inv;
                }
                step.setEmbedding(m, mean);
            }
            step.meanQuality[m] = acc.qualityCounts[m] > 0 ? (float) (acc.qualitySums[m] / acc.qualityCounts[m]) : Float.NaN;
        }
        return step;
    }

    @Override
    public StepAccumulator merge(StepAccumulator a, StepAccumulator b) {
        for (int m = 0; m < 3; m++) {
            if (b.sums[m] != null) {
                if (a.sums[m] == null) {
                    a.sums[m] = b.sums[m].clone();
                } else {
                    for (int i = 0; i < a.sums[m].length; i++) {
                        a.sums[m][i] += b.sums[m][i];
                    }
                }
            }
            a.counts[m] += b.counts[m];
            a.qualitySums[m] += b.qualitySums[m];
            a.qualityCounts[m] += b.qualityCounts[m];
        }
        if (b.sessionEventTime >= a.sessionEventTime) {
            a.sessionEventTime = b.sessionEventTime;
            a.sessionId = b.sessionId;
        }
        return a;
    }
}
