package io.eduemotionnet.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.ErasureReceipt;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.learner.SavepointKeys;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.SyntheticConsent;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * After the erasures, a savepoint taken from the running job (synthetic learners with consent, the gate
 * and the learner operator) holds no key of an erased learner in any operator, read back with Flink's State
 * Processor API (2.2.0, reading the 2.2.1 job's canonical savepoint on RocksDB), while learners who still
 * consent are there (so the check can fail).
 */
class ErasureSavepointTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    @Test
    void aSavepointAfterTheErasuresHoldsNoKeyOfAnErasedLearner(@TempDir Path savepoints) throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", "12", "--edu.synthetic.sessions-per-learner", "0",
                "--edu.synthetic.speed", "40", "--edu.synthetic.invalid-rate", "0"}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis())
                .withConsent(0.25, 0.35);
        Set<String> withdrawing = new TreeSet<>();
        Set<String> granting = new TreeSet<>();
        Set<String> never = new TreeSet<>();
        for (int i = 0; i < stream.learners; i++) {
            SyntheticConsent.Kind kind = stream.consent.kind(i);
            (kind == SyntheticConsent.Kind.WITHDRAWS ? withdrawing : kind == SyntheticConsent.Kind.GRANTS ? granting : never)
                    .add(SyntheticStream.learnerId(i));
        }
        assertThat(withdrawing).isNotEmpty();
        assertThat(granting).isNotEmpty();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.syntheticSource(env, cfg, model, stream), null, cfg, model);
        CloseableIterator<ErasureReceipt> receipts = out.receipts.collectAsync();
        JobClient job = env.executeAsync("erasure-then-savepoint");
        Set<String> erased = new HashSet<>();
        while (!erased.containsAll(withdrawing) && receipts.hasNext()) {
            ErasureReceipt r = receipts.next();
            erased.add(r.getLearnerId());
            assertThat(r.getDeleted()).containsEntry("CONSENT", 1L);
        }
        assertThat(erased).as("every withdrawal has its receipt").containsExactlyInAnyOrderElementsOf(withdrawing);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
        receipts.close();

        Set<String> gateKeys = SavepointKeys.gate(savepoint);
        Set<String> learnerKeys = SavepointKeys.learner(savepoint);
        assertThat(gateKeys).as("learners who still consent are in the gate's state").containsExactlyInAnyOrderElementsOf(granting);
        assertThat(learnerKeys).as("the learner operator holds state of consenting learners").isNotEmpty().isSubsetOf(granting);
        for (Set<String> keys : List.of(gateKeys, learnerKeys)) {
            assertThat(keys).as("no key of an erased learner, nor of one who never consented")
                    .doesNotContainAnyElementsOf(withdrawing).doesNotContainAnyElementsOf(never);
        }
    }
}
