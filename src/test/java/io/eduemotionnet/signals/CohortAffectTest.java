package io.eduemotionnet.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.CohortAffect;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cohort affect through the real signals stages: k-anonymity at k - 1 and k learners, and what a record holds. */
class CohortAffectTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    static final long MINUTE = 60_000;
    // a minute boundary: T0 is 1_700_000_000_000 = ...:20 past a minute, so start at the next one
    static final long M0 = (SignalsFunctionTest.T0 / MINUTE + 1) * MINUTE;

    @Test
    void aCohortMinuteIsWrittenFromKLearnersAndSuppressedBelow() throws Exception {
        JobConfig cfg = JobConfig.from(new Configuration()); // k = 5
        assertThat(cfg.cohortMinLearners).isEqualTo(5);
        List<Prediction> in = new ArrayList<>();
        // minute 0: cohort "small" has k - 1 learners, cohort "large" k (one of them with many steps);
        // minute 1: a fifth learner joins "small"
        for (int i = 0; i < 4; i++) {
            steps(in, "small-" + i, "small", 0, 3, "boredom");
        }
        for (int i = 0; i < 5; i++) {
            steps(in, "large-" + i, "large", 0, i == 0 ? 30 : 2, i < 2 ? "confusion" : "curiosity");
        }
        for (int i = 0; i < 5; i++) {
            steps(in, "small-" + i, "small", 30, 32, "frustration");
        }
        in.sort((a, b) -> a.getStepStart().compareTo(b.getStepStart()));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        DataStream<Prediction> predictions = env.fromData(in).assignTimestampsAndWatermarks(
                WatermarkStrategy.<Prediction>forMonotonousTimestamps()
                        .withTimestampAssigner((p, ts) -> p.getStepEnd().toEpochMilli() - 1));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SignalsStage.Outputs out = SignalsStage.build(predictions, null, cfg, model);
        List<CohortAffect> written = new ArrayList<>();
        JobExecutionResult result;
        try (CloseableIterator<CohortAffect> it = out.cohortAffect.collectAsync()) {
            out.interventions.collectAsync(); // (a sink for the main output; none expected from these short runs)
            var client = env.executeAsync("cohort-affect-test");
            it.forEachRemaining(written::add);
            result = client.getJobExecutionResult().get();
        }
        assertThat(written).extracting(c -> c.getCohortId() + "@" + (c.getWindowStart().toEpochMilli() - M0) / MINUTE)
                .containsExactlyInAnyOrder("large@0", "small@1");
        assertThat(result.<Long>getAccumulatorResult(CohortAffectWindow.SUPPRESSED_ACCUMULATOR)).isEqualTo(1L); // small@0
        CohortAffect large = written.stream().filter(c -> c.getCohortId().equals("large")).findFirst().orElseThrow();
        assertThat(large.getLearners()).isEqualTo(5); // distinct learners, not steps
        assertThat(large.getSteps()).isEqualTo(30 + 4 * 2);
        assertThat(large.getStateShare().get("confusion")).isEqualTo((30f + 2) / 38, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(large.getStateShare().get("curiosity")).isEqualTo(6f / 38, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(large.getMeanMieWeight().getVisual()).isEqualTo(0.5f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(large.getMissingShare().getText()).isEqualTo(1f); // the test predictions carry audio and visual
        assertThat(large.getMissingShare().getAudio()).isZero();
        CohortAffect small = written.stream().filter(c -> c.getCohortId().equals("small")).findFirst().orElseThrow();
        assertThat(small.getLearners()).isEqualTo(5);
        assertThat(small.getStateShare().get("frustration")).isEqualTo(1f);
    }

    @Test
    void noLearnerIdInTheRecordNorInTheCohortState() {
        assertThat(CohortAffect.getClassSchema().getFields()).noneMatch(f -> f.name().contains("learner_id"));
        // the cohort stage's state and input: counts, the cohort and the model version only
        for (Class<?> c : List.of(CohortSums.class, CohortContribution.class)) {
            TypeInformation<?> t = TypeInformation.of(c);
            assertThat(t).isInstanceOf(PojoTypeInfo.class);
            PojoTypeInfo<?> pojo = (PojoTypeInfo<?>) t;
            for (int i = 0; i < pojo.getArity(); i++) {
                String name = pojo.getPojoFieldAt(i).getField().getName();
                assertThat(name).as(c.getSimpleName()).isIn("cohortId", "modelVersion", "learners", "newLearner", "steps",
                        "perState", "label", "mieSums", "mieWeights", "presentSteps", "presentBits");
            }
        }
    }

    /** Steps [from, to) of minute-aligned event time from M0, with audio and visual present. */
    private static void steps(List<Prediction> out, String learner, String cohort, int from, int to, String label) {
        for (int t = from; t < to; t++) {
            Prediction p = SignalsFunctionTest.prediction(learner, "s1", 0, label, 0.9f, true, cohort);
            p.setStepStart(java.time.Instant.ofEpochMilli(M0 + t * SignalsFunctionTest.STEP));
            p.setStepEnd(java.time.Instant.ofEpochMilli(M0 + (t + 1) * SignalsFunctionTest.STEP));
            out.add(p);
        }
    }

}
