package io.eduemotionnet.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.ingest.RecordDecoder;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.synthetic.SyntheticConsent;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gate in a real cluster (RocksDB, parallelism 2) behind the synthetic source with consent in line:
 * every event of a learner who granted passes, none of one who never did, a withdrawing learner's events
 * pass only until the withdrawal, which becomes exactly one erasure order.
 */
class ConsentGatePipelineTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    @Test
    void theGateLetsThroughExactlyTheConsentedEvents() throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.synthetic.learners", "24", "--edu.synthetic.invalid-rate", "0.01"}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis())
                .withConsent(0.2, 0.3);
        Map<String, Long> expectedEvents = new HashMap<>();
        Map<String, Long> lastAllowedTime = new HashMap<>();
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null);
        RecordDecoder decoder = EmotionPipeline.decoder(cfg, model);
        for (long index = 0; index < stream.totalSteps * stream.learners; index++) {
            for (RawRecord r : generator.map(index).records) {
                if (!r.topic.equals(SyntheticStream.CONSENT_TOPIC)) {
                    IngestResult d = decoder.decode(r.value, r.topic, r.partition, r.offset, null);
                    if (d.event != null) {
                        int learner = SyntheticStream.learnerIndex(d.event.learnerId);
                        SyntheticConsent.Kind kind = stream.consent.kind(learner);
                        long withdrawal = kind == SyntheticConsent.Kind.WITHDRAWS ? stream.consent.withdrawalStep(learner) : Long.MAX_VALUE;
                        long grantedAt = stream.baseMillis - stream.stepMillis;
                        // sent before the withdrawal, and happened after the grant (injected late events may not)
                        if (kind != SyntheticConsent.Kind.NEVER_GRANTS && index / stream.learners < withdrawal
                                && d.event.eventTime >= grantedAt) {
                            expectedEvents.merge(d.event.learnerId, 1L, Long::sum);
                        }
                        lastAllowedTime.put(d.event.learnerId, withdrawal == Long.MAX_VALUE ? Long.MAX_VALUE
                                : stream.baseMillis + withdrawal * stream.stepMillis);
                    }
                }
            }
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        EmotionPipeline.Gated gated = EmotionPipeline.gate(EmotionPipeline.syntheticSource(env, cfg, model, stream), null, cfg);
        Map<String, Long> passed = new HashMap<>();
        List<ErasureOrder> orders = new ArrayList<>();
        try (CloseableIterator<LearnerInput> it = gated.inputs.executeAndCollect("consent-gate")) {
            while (it.hasNext()) {
                LearnerInput in = it.next();
                if (in.erasure != null) {
                    orders.add(in.erasure);
                } else {
                    passed.merge(in.event.learnerId, 1L, Long::sum);
                    assertThat(in.event.eventTime).as("nothing after a withdrawal").isLessThan(lastAllowedTime.get(in.event.learnerId));
                }
            }
        }
        assertThat(passed).isEqualTo(expectedEvents);
        List<String> withdrawn = new ArrayList<>();
        for (int i = 0; i < stream.learners; i++) {
            if (stream.consent.kind(i) == SyntheticConsent.Kind.WITHDRAWS) {
                withdrawn.add(SyntheticStream.learnerId(i));
            }
            if (stream.consent.kind(i) == SyntheticConsent.Kind.NEVER_GRANTS) {
                assertThat(passed).doesNotContainKey(SyntheticStream.learnerId(i));
            }
        }
        assertThat(withdrawn).isNotEmpty();
        assertThat(orders).extracting(o -> o.learnerId).containsExactlyInAnyOrderElementsOf(withdrawn);
        assertThat(orders).allSatisfy(o -> {
            assertThat(o.cause).isEqualTo("WITHDRAWAL");
            assertThat(o.deleted(ErasureOrder.Deleted.CONSENT)).isEqualTo(1);
            assertThat(o.requestId).isEqualTo("w-" + SyntheticStream.learnerIndex(o.learnerId));
        });
    }
}
