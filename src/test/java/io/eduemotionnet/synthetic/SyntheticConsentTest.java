package io.eduemotionnet.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.ConsentDecoder;
import io.eduemotionnet.ingest.IngestResult;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** The synthetic learners' consent records: where they are in the stream, and how many of each kind. */
class SyntheticConsentTest {
    static final long STEP = 2_000;

    static SyntheticStream stream(int learners) {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(),
                new String[] {"--edu.synthetic.learners", Integer.toString(learners), "--edu.synthetic.invalid-rate", "0"}));
        return SyntheticStream.fromConfig(cfg, STEP, 1_780_000_000_000L).withConsent(0.1, 0.2);
    }

    @Test
    void grantsComeBeforeTheFirstEventAndWithdrawalsMidSession() throws Exception {
        SyntheticStream stream = stream(40);
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null);
        ConsentDecoder consent = new ConsentDecoder("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", SyntheticConsent.PURPOSE,
                Long.MAX_VALUE / 4, Clock.systemUTC());
        List<List<String>> perLearner = new ArrayList<>();
        for (int i = 0; i < stream.learners; i++) {
            perLearner.add(new ArrayList<>());
        }
        for (long index = 0; index < stream.totalSteps * stream.learners; index++) {
            int learner = (int) (index % stream.learners);
            long t = index / stream.learners;
            for (RawRecord r : generator.map(index).records) {
                if (r.topic.equals(SyntheticStream.CONSENT_TOPIC)) {
                    IngestResult c = consent.decode(null, r.value, r.topic, r.partition, r.offset, null);
                    assertThat(c.consent).as("a valid consent record").isNotNull();
                    assertThat(c.consent.learnerId).isEqualTo(SyntheticStream.learnerId(learner));
                    perLearner.get(learner).add(c.consent.action + "@" + t);
                    if (c.consent.action == ConsentAction.GRANTED) {
                        assertThat(c.consent.grants()).isTrue();
                        assertThat(c.consent.changedAt).isLessThan(stream.baseMillis);
                    } else {
                        assertThat(c.consent.changedAt).isEqualTo(stream.baseMillis + t * STEP);
                    }
                } else {
                    perLearner.get(learner).add("event@" + t);
                }
            }
        }
        Map<SyntheticConsent.Kind, Integer> kinds = new EnumMap<>(SyntheticConsent.Kind.class);
        for (int i = 0; i < stream.learners; i++) {
            SyntheticConsent.Kind kind = stream.consent.kind(i);
            kinds.merge(kind, 1, Integer::sum);
            List<String> records = perLearner.get(i);
            assertThat(records).as("learner %d sends events", i).anyMatch(r -> r.startsWith("event@"));
            if (kind == SyntheticConsent.Kind.NEVER_GRANTS) {
                assertThat(records).allMatch(r -> r.startsWith("event@"));
                continue;
            }
            assertThat(records.get(0)).as("the grant before everything else").isEqualTo("GRANTED@0");
            long withdrawn = stream.consent.withdrawalStep(i);
            if (kind == SyntheticConsent.Kind.WITHDRAWS) {
                int at = records.indexOf("WITHDRAWN@" + withdrawn);
                assertThat(at).as("one withdrawal, before that step's events").isPositive();
                assertThat(records.subList(0, at)).as("events before it").anyMatch(r -> r.startsWith("event@"));
                assertThat(records.subList(at + 1, records.size())).as("and after it, in the same session")
                        .contains("event@" + withdrawn);
            } else {
                assertThat(records).noneMatch(r -> r.startsWith("WITHDRAWN"));
            }
        }
        assertThat(kinds).containsKeys(SyntheticConsent.Kind.values());
    }

    @Test
    void theSharesFollowTheRates() {
        SyntheticStream stream = stream(4_000);
        int never = 0;
        int withdraw = 0;
        for (int i = 0; i < stream.learners; i++) {
            SyntheticConsent.Kind k = stream.consent.kind(i);
            never += k == SyntheticConsent.Kind.NEVER_GRANTS ? 1 : 0;
            withdraw += k == SyntheticConsent.Kind.WITHDRAWS ? 1 : 0;
        }
        // binomial: 0.1 * 4000 = 400 (sd 19), 0.2 * 4000 = 800 (sd 25)
        assertThat(never).isBetween(330, 470);
        assertThat(withdraw).isBetween(720, 880);
    }
}
