package io.eduemotionnet.signals;

import org.apache.flink.api.common.functions.AggregateFunction;

/** Sums a cohort-minute's contributions; learners are counted by the contributions marked new. */
public class CohortAggregate implements AggregateFunction<CohortContribution, CohortSums, CohortSums> {
    private static final long serialVersionUID = 1L;
    private final int classes;

    public CohortAggregate(int classes) {
        this.classes = classes;
    }

    @Override
    public CohortSums createAccumulator() {
        return CohortSums.create(classes);
    }

    @Override
    public CohortSums add(CohortContribution c, CohortSums acc) {
        acc.learners += c.newLearner;
        acc.steps++;
        if (c.label >= 0 && c.label < classes) {
            acc.perState[c.label]++;
        }
        for (int m = 0; m < 3; m++) {
            if ((c.presentBits & (1 << m)) != 0) {
                acc.presentSteps[m]++;
                acc.mieSums[m] += c.mieWeights[m];
            }
        }
        acc.modelVersion = c.modelVersion;
        return acc;
    }

    @Override
    public CohortSums getResult(CohortSums acc) {
        return acc;
    }

    @Override
    public CohortSums merge(CohortSums a, CohortSums b) {
        a.learners += b.learners;
        a.steps += b.steps;
        for (int c = 0; c < classes; c++) {
            a.perState[c] += b.perState[c];
        }
        for (int m = 0; m < 3; m++) {
            a.mieSums[m] += b.mieSums[m];
            a.presentSteps[m] += b.presentSteps[m];
        }
        if (b.modelVersion != null) {
            a.modelVersion = b.modelVersion;
        }
        return a;
    }
}
