package io.eduemotionnet.signals;

import io.eduemotionnet.privacy.ErasureOrder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** Side outputs of the per-learner signals operator. */
public final class SignalTags {
    private SignalTags() {}

    public static final OutputTag<CohortContribution> COHORT_CONTRIBUTIONS =
            new OutputTag<>("cohort-contributions", TypeInformation.of(CohortContribution.class));
    /** Erasure orders, passed on at once with this stage's deletions counted (SIGNAL_STATE). */
    public static final OutputTag<ErasureOrder> ERASURES =
            new OutputTag<>("signal-erasures", TypeInformation.of(ErasureOrder.class));
}
