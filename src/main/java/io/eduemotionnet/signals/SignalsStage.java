package io.eduemotionnet.signals;

import io.eduemotionnet.avro.CohortAffect;
import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.privacy.ErasureOrder;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;

/**
 * The stages after scoring: intervention events per learner, and k-anonymous affect per cohort and
 * minute. Takes the learner operator's predictions and the erasure orders it carried out, and returns
 * its outputs (the orders passed on with this stage's deletions counted); the caller attaches the sinks.
 */
public final class SignalsStage {
    private SignalsStage() {}

    public static final Duration COHORT_WINDOW = Duration.ofMinutes(1);

    /** Every stream the signals stages produce. */
    public static final class Outputs {
        public final DataStream<Intervention> interventions;
        public final DataStream<CohortAffect> cohortAffect;
        /** Erasure orders after this stage, its deletions added: the last stage's, for the receipts. */
        public final DataStream<ErasureOrder> erasures;

        Outputs(SingleOutputStreamOperator<Intervention> interventions, DataStream<CohortAffect> cohortAffect) {
            this.interventions = interventions;
            this.cohortAffect = cohortAffect;
            this.erasures = interventions.getSideOutput(SignalTags.ERASURES);
        }
    }

    /**
     * @param predictions the learner operator's output, still partitioned by learner exactly as its keyBy
     *     left it (same parallelism, forward connection): reinterpreted as keyed, so there is no second shuffle
     * @param erasures erasure orders on the same partitioning (the learner operator's side output), or null
     */
    public static Outputs build(DataStream<Prediction> predictions, DataStream<ErasureOrder> erasures, JobConfig cfg,
                                ModelInfo model) {
        InterventionRules rules = InterventionRules.of(cfg, model);
        DataStream<SignalInput> inputs = predictions.map(SignalInput::of).returns(SignalInput.class)
                .name("signal-inputs").uid("signal-inputs");
        if (erasures != null) {
            inputs = inputs.union(erasures.map(SignalInput::erase).returns(SignalInput.class)
                    .name("signal-erasure-inputs").uid("signal-erasure-inputs"));
        }
        SingleOutputStreamOperator<Intervention> interventions = DataStreamUtils
                .reinterpretAsKeyedStream(inputs, SignalInput::learnerId, TypeInformation.of(String.class))
                .process(new SignalsFunction(rules, model.classes, cfg.stateTtl))
                .returns(Intervention.class)
                .name("learner-signals").uid("learner-signals");
        DataStream<CohortAffect> cohorts = interventions.getSideOutput(SignalTags.COHORT_CONTRIBUTIONS)
                .keyBy(c -> c.cohortId)
                .window(TumblingEventTimeWindows.of(COHORT_WINDOW))
                .aggregate(new CohortAggregate(model.classes.size()), new CohortAffectWindow(model.classes, cfg.cohortMinLearners))
                .returns(CohortAffect.class)
                .name("cohort-affect").uid("cohort-affect");
        return new Outputs(interventions, cohorts);
    }
}
