package io.eduemotionnet.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.Test;

class JobConfigTest {

    private static JobConfig parse(String... args) {
        return JobConfig.from(JobConfig.merge(new Configuration(), args));
    }

    @Test
    void defaultsDescribeTheEmbeddedRun() {
        JobConfig cfg = parse();
        assertThat(cfg.source).isEqualTo(JobOptions.SourceType.SYNTHETIC);
        assertThat(cfg.sink).isEqualTo(JobOptions.SinkType.SUMMARY);
        assertThat(cfg.device).isEqualTo(JobOptions.Device.CPU);
        assertThat(cfg.maxBatchSize).isEqualTo(1024);
    }

    @Test
    void theTopicsToCreateFollowTheConsentGate() {
        // by default a Kafka job reads the consent topic (erasure requests) and writes receipts
        JobConfig gated = parse("--edu.kafka.bootstrap-servers", "k:9092");
        assertThat(gated.kafkaTopics()).containsExactly("learner-modality-events", "learner-consent",
                "learner-emotion-predictions", "learner-modality-dropout", "learner-modality-confidence",
                "learner-late-events", "learner-events-dead-letters", "learner-interventions", "cohort-affect",
                "learner-erasure-receipts");
        JobConfig ungated = parse("--edu.kafka.bootstrap-servers", "k:9092", "--edu.privacy.consent-required", "false",
                "--edu.kafka.topic.consent", "");
        assertThat(ungated.kafkaTopics()).doesNotContain("learner-consent", "learner-erasure-receipts").hasSize(8);
    }

    @Test
    void kafkaBrokersSwitchSourceAndSinksToKafka() {
        JobConfig cfg = parse("--edu.kafka.bootstrap-servers", "broker:9092");
        assertThat(cfg.source).isEqualTo(JobOptions.SourceType.KAFKA);
        assertThat(cfg.sink).isEqualTo(JobOptions.SinkType.KAFKA);
    }

    @Test
    void commandLineOverridesTheBaseConfiguration() {
        Configuration base = new Configuration();
        base.setString("edu.inference.max-batch-size", "64");
        JobConfig cfg = JobConfig.from(JobConfig.merge(base, new String[] {"--edu.state.ttl", "2 h"}));
        assertThat(cfg.maxBatchSize).isEqualTo(64);
        assertThat(cfg.stateTtl).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void interventionRulesAndCohortKAreReadAndChecked() {
        JobConfig defaults = parse();
        assertThat(defaults.interventionRules).extracting(r -> r.name + "=" + r.state + "/" + r.duration.getSeconds() + "s/"
                        + r.minMeanProbability + "/" + r.minLatestProbability)
                .containsExactly("sustained-confusion=confusion/20s/0.83/0.93", "sustained-frustration=frustration/10s/0.84/0.93",
                        "sustained-boredom=boredom/60s/0.0/0.0");
        assertThat(parse("--edu.interventions.rules", "").interventionRules).isEmpty();
        assertThat(parse("--edu.interventions.rules", "a:boredom:2min:0.5;b:confusion:30 s:0:0.9").interventionRules)
                .extracting(r -> r.duration.getSeconds() + "/" + r.minLatestProbability).containsExactly("120/0.0", "30/0.9");
        for (String bad : new String[] {"confusion:20s:0.7", "x:confusion:soon:0.7", "x:confusion:0s:0.7", "x:confusion:20s:1.5",
                "x:confusion:20s:high", "x::20s:0.5", "Bad Name:confusion:20s:0.5", "x:confusion:20s:0.5;x:boredom:60s:0",
                "x:confusion:20s:0.5:1.2", "x:confusion:20s:0.5:sure", "x:confusion:20s:0.5:0.9:0.1"}) {
            assertThatThrownBy(() -> parse("--edu.interventions.rules", bad)).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("edu.interventions.rules");
        }
        assertThatThrownBy(() -> parse("--edu.cohort.min-learners", "1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.cohort.min-learners");
        assertThatThrownBy(() -> parse("--edu.interventions.cooldown", "soon"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.interventions.cooldown");
    }

    @Test
    void wrongValuesFailNamingTheKey() {
        assertThatThrownBy(() -> parse("--edu.inference.max-batch-size", "0"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.inference.max-batch-size")
                .hasMessageContaining("between 1 and 65536");
        assertThatThrownBy(() -> parse("--edu.inference.device", "tpu"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.inference.device");
        assertThatThrownBy(() -> parse("--edu.ingest.idleness", "soon"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.ingest.idleness");
        assertThatThrownBy(() -> parse("--edu.synthetic.missing-rate", "0.9"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.synthetic.missing-rate");
        assertThatThrownBy(() -> parse("--edu.ingest.id-pattern", "[unclosed"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.ingest.id-pattern");
        assertThatThrownBy(() -> parse("--edu.kafka.starting-offsets", "yesterday"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.starting-offsets");
    }

    @Test
    void aKafkaTransactionTimeoutNotAboveTheCheckpointIntervalIsRefused() {
        Configuration cluster = new Configuration();
        cluster.setString("execution.checkpointing.interval", "5 min");
        assertThatThrownBy(() -> JobConfig.from(JobConfig.merge(cluster, new String[] {
                "--edu.kafka.bootstrap-servers", "broker:9092", "--edu.kafka.transaction-timeout", "2 min"})))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.transaction-timeout")
                .hasMessageContaining("above the checkpoint interval");
        // locally the embedded run's own interval counts
        assertThatThrownBy(() -> parse("--edu.kafka.bootstrap-servers", "broker:9092",
                "--edu.local.checkpoint-interval", "1 min", "--edu.kafka.transaction-timeout", "30 s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.transaction-timeout");
        assertThat(JobConfig.from(JobConfig.merge(cluster, new String[] {"--edu.kafka.bootstrap-servers", "broker:9092"}))
                .kafkaTransactionTimeout).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void interventionTemperaturesAreChecked() {
        assertThat(parse("--edu.interventions.temperatures", "0.9;1;1.2").interventionTemperatures).containsExactly(0.9, 1.0, 1.2);
        assertThatThrownBy(() -> parse("--edu.interventions.temperatures", "0.9;0;1.2"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.interventions.temperatures");
        assertThatThrownBy(() -> parse("--edu.interventions.temperatures", "0.9;NaN;1.2"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.interventions.temperatures");
    }

    @Test
    void theConsentCatchUpMustOutlastACheckpoint() {
        Configuration cluster = new Configuration();
        cluster.setString("execution.checkpointing.interval", "5 min");
        assertThatThrownBy(() -> JobConfig.from(JobConfig.merge(cluster, new String[] {
                "--edu.kafka.bootstrap-servers", "broker:9092", "--edu.kafka.consent-catch-up-timeout", "5 min"})))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.consent-catch-up-timeout")
                .hasMessageContaining("above the checkpoint interval");
        assertThatThrownBy(() -> parse("--edu.kafka.bootstrap-servers", "broker:9092", "--edu.kafka.consent-catch-up-timeout", "0 s"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.consent-catch-up-timeout");
        JobConfig kafka = parse("--edu.kafka.bootstrap-servers", "broker:9092");
        assertThat(kafka.waitsForConsent()).isTrue();
        assertThat(kafka.consentCatchUpTimeout).isEqualTo(Duration.ofMinutes(10));
        // nothing to wait for without the gate's consent topic, or with events from the synthetic source
        assertThat(parse("--edu.kafka.bootstrap-servers", "broker:9092", "--edu.privacy.consent-required", "false",
                "--edu.kafka.consent-catch-up-timeout", "1 s").waitsForConsent()).isFalse();
        assertThat(parse().waitsForConsent()).isFalse();
    }

    @Test
    void missingKafkaBrokersAreNamedWhenKafkaIsAskedFor() {
        assertThatThrownBy(() -> parse("--edu.source", "kafka"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.bootstrap-servers")
                .hasMessageContaining("is required");
    }

    @Test
    void unknownJobKeysAndValuelessArgumentsAreRejected() {
        assertThatThrownBy(() -> parse("--edu.infrence.device", "cpu"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.infrence.device").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> parse("--edu.state.ttl"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("has no value");
    }

    @Test
    void consentIsRequiredByDefaultAndItsTopicWithKafka() {
        JobConfig cfg = parse("--edu.kafka.bootstrap-servers", "broker:9092");
        assertThat(cfg.consentRequired).isTrue();
        assertThat(cfg.topicConsent).isEqualTo("learner-consent");
        assertThat(cfg.topicErasureReceipts).isEqualTo("learner-erasure-receipts");
        assertThat(cfg.consentGateEnabled()).isTrue();
        assertThatThrownBy(() -> parse("--edu.kafka.bootstrap-servers", "broker:9092", "--edu.kafka.topic.consent", " "))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.topic.consent")
                .hasMessageContaining("is required when edu.privacy.consent-required is true");
    }

    @Test
    void withoutTheConsentRequirementTheConsentTopicIsOptional() {
        JobConfig noTopic = parse("--edu.kafka.bootstrap-servers", "broker:9092", "--edu.privacy.consent-required", "false",
                "--edu.kafka.topic.consent", "");
        assertThat(noTopic.topicConsent).isNull();
        assertThat(noTopic.consentGateEnabled()).as("no gate: nothing could erase").isFalse();
        JobConfig withTopic = parse("--edu.kafka.bootstrap-servers", "broker:9092", "--edu.privacy.consent-required", "false");
        assertThat(withTopic.consentGateEnabled()).as("erasure requests are still honoured").isTrue();
    }

    @Test
    void privacyAndSyntheticConsentValuesAreChecked() {
        assertThatThrownBy(() -> parse("--edu.privacy.consent-required", "maybe"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.privacy.consent-required");
        assertThatThrownBy(() -> parse("--edu.privacy.purpose", " "))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.privacy.purpose");
        assertThatThrownBy(() -> parse("--edu.kafka.topic.erasure-receipts", ""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.kafka.topic.erasure-receipts");
        assertThatThrownBy(() -> parse("--edu.synthetic.no-consent-rate", "1.5"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.synthetic.no-consent-rate");
        assertThatThrownBy(() -> parse("--edu.synthetic.no-consent-rate", "0.6", "--edu.synthetic.withdraw-rate", "0.6"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.synthetic.withdraw-rate")
                .hasMessageContaining("at most 1");
    }

    /** flink-conf/config.yaml documents every key with the code's default: the two cannot drift. */
    @Test
    void configYamlListsEveryKeyWithItsDefault() throws Exception {
        String yaml = Files.readString(Path.of("flink-conf/config.yaml"));
        Map<String, String> listed = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#?\\s*(edu\\.[a-z0-9.\\-]+):\\s*(.*)$").matcher(yaml);
        while (m.find()) {
            listed.put(m.group(1), m.group(2).trim());
        }
        for (ConfigOption<?> option : JobOptions.all()) {
            assertThat(listed).as("flink-conf/config.yaml lists " + option.key()).containsKey(option.key());
            if (option.hasDefaultValue()) {
                String text = listed.get(option.key()).replaceAll("^\"|\"$", "");
                Configuration c = new Configuration();
                c.setString(option.key(), text);
                assertThat(normalise(c.get(option))).as(option.key()).isEqualTo(normalise(option.defaultValue()));
                assertThat(yaml).as(option.key() + " is set, not commented").containsPattern("(?m)^" + Pattern.quote(option.key()) + ":");
            }
        }
        JobConfig.from(JobConfig.merge(new Configuration(), new String[0])); // and the defaults are valid
    }

    private static Object normalise(Object v) {
        return v instanceof Duration ? TimeUtils.formatWithHighestUnit((Duration) v) : v;
    }
}
