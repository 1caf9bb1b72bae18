package io.eduemotionnet.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.inference.ModelInfo;
import io.eduemotionnet.inference.OnnxEmotionModel;
import io.eduemotionnet.synthetic.SyntheticConsent;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * After the erasures, a savepoint taken from the running job holds no key of an erased learner, read back
 * with Flink's State Processor API (2.2.0, reading the 2.2.1 job's canonical savepoint on RocksDB), while
 * the learners who still consent are there (so the check can fail).
 */
class ErasureSavepointTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    /** Every key of the gate's state. */
    static final class GateKeys extends KeyedStateReaderFunction<String, String> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<Long> grantedFrom;

        @Override
        public void open(OpenContext context) {
            grantedFrom = getRuntimeContext().getState(new ValueStateDescriptor<>("consent-granted-from", Types.LONG));
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            if (grantedFrom.value() != null) {
                out.collect(key);
            }
        }
    }

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
        for (int i = 0; i < stream.learners; i++) {
            SyntheticConsent.Kind kind = stream.consent.kind(i);
            if (kind == SyntheticConsent.Kind.WITHDRAWS) {
                withdrawing.add(SyntheticStream.learnerId(i));
            } else if (kind == SyntheticConsent.Kind.GRANTS) {
                granting.add(SyntheticStream.learnerId(i));
            }
        }
        assertThat(withdrawing).isNotEmpty();
        assertThat(granting).isNotEmpty();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        EmotionPipeline.Gated gated = EmotionPipeline.gate(EmotionPipeline.syntheticSource(env, cfg, model, stream), null, cfg);
        CloseableIterator<LearnerInput> outputs = gated.inputs.collectAsync();
        JobClient job = env.executeAsync("erasure-then-savepoint");
        Set<String> erased = new HashSet<>();
        while (!erased.containsAll(withdrawing) && outputs.hasNext()) {
            LearnerInput in = outputs.next();
            if (in.erasure != null) {
                erased.add(in.erasure.learnerId);
            }
        }
        assertThat(erased).as("every withdrawal was carried out").containsExactlyInAnyOrderElementsOf(withdrawing);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
        outputs.close();

        StreamExecutionEnvironment reader = StreamExecutionEnvironment.getExecutionEnvironment();
        reader.setParallelism(1);
        Set<String> keys = new TreeSet<>();
        try (CloseableIterator<String> it = SavepointReader.read(reader, savepoint, new EmbeddedRocksDBStateBackend())
                .readKeyedState(OperatorIdentifier.forUid("consent-gate"), new GateKeys())
                .executeAndCollect("read-savepoint")) {
            it.forEachRemaining(keys::add);
        }
        assertThat(keys).as("learners who still consent are in the savepoint").containsExactlyInAnyOrderElementsOf(granting);
        assertThat(keys).as("no key of an erased learner").doesNotContainAnyElementsOf(withdrawing);
    }
}
