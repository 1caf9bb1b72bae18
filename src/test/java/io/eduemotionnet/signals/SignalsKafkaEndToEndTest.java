package io.eduemotionnet.signals;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.KafkaBroker;
import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.TestKafka;
import io.eduemotionnet.avro.CohortAffect;
import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.ResourceLoader;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.BenchmarkSpec;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Synthetic learners with cohort ids -> Kafka -> the whole job (parallelism 2) -> Kafka, read back with
 * read_committed: the interventions are exactly those the job's rules give on the job's own predictions
 * (none lost, none twice), and cohort affect is written for the cohort of k learners only.
 */
class SignalsKafkaEndToEndTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    @RegisterExtension
    static final KafkaBroker kafka = new KafkaBroker();
    static final int PARTITIONS = 2;

    @Test
    void interventionsAndCohortAffectThroughTheBroker() throws Exception {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                "--edu.kafka.bootstrap-servers", kafka.bootstrapServers(),
                "--edu.kafka.topic.events", "events", "--edu.kafka.topic.predictions", "predictions",
                "--edu.kafka.topic.dropout", "dropout", "--edu.kafka.topic.confidence", "confidence",
                "--edu.kafka.topic.late", "late", "--edu.kafka.topic.dead-letters", "dead-letters",
                "--edu.kafka.topic.interventions", "interventions", "--edu.kafka.topic.cohort-affect", "cohorts",
                "--edu.kafka.starting-offsets", "earliest", "--edu.ingest.idleness", "10 min", // no partition idle: see TestKafka.closeStepsBefore
                "--edu.kafka.transaction-timeout", "1 min"}));
        TestKafka.createTopics(kafka.bootstrapServers(), cfg, PARTITIONS);
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        // 10 learners, one session each: learners 0-5 in cohort 0 (6 >= k), 6-9 in cohort 1 (4 < k)
        int learners = 10;
        SyntheticStream stream = new SyntheticStream(BenchmarkSpec.parse(ResourceLoader.read(cfg.syntheticSpecPath, "spec")),
                learners, 1, 0.2, 0.0, 3, 0.0, model.stepMillis, System.currentTimeMillis(), 6);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model), cfg, model);
        EmotionPipeline.writeToKafka(out, cfg);
        JobClient job = env.executeAsync("signals-kafka-end-to-end");
        try {
            Set<String> withInput = produce(stream, learners);
            List<Prediction> predictions = new ArrayList<>();
            List<Intervention> interventions = new ArrayList<>();
            List<CohortAffect> cohorts = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 180_000;
            long settled = Long.MAX_VALUE;
            try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
                consumer.subscribe(List.of("predictions", "interventions", "cohorts"));
                // until every step with input is scored, then two more checkpoints for the later stages
                while (System.currentTimeMillis() < deadline && System.currentTimeMillis() < settled) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        switch (r.topic()) {
                            case "predictions": predictions.add(Prediction.getDecoder().decode(r.value())); break;
                            case "interventions": interventions.add(Intervention.getDecoder().decode(r.value())); break;
                            default: cohorts.add(CohortAffect.getDecoder().decode(r.value()));
                        }
                    }
                    if (settled == Long.MAX_VALUE && scored(predictions).containsAll(withInput)) {
                        settled = System.currentTimeMillis() + 5_000;
                    }
                }
            }
            assertThat(scored(predictions)).containsAll(withInput);

            // the job's interventions are exactly the rules' detections over its own predictions
            Set<String> expected = replay(predictions, cfg, model);
            Set<String> got = new TreeSet<>();
            for (Intervention i : interventions) {
                assertThat(got.add(i.getLearnerId() + " " + i.getRule() + " " + i.getDetectedAt().toEpochMilli()))
                        .as("no intervention twice (exactly once)").isTrue();
                assertThat(i.getModelVersion()).isEqualTo(model.version);
            }
            assertThat(expected).as("some rule fires on 10 learners' sessions").isNotEmpty();
            assertThat(got).isEqualTo(expected);

            // cohort 0 (6 learners) is published for minutes with >= 5 of them; cohort 1 (4 learners) never
            assertThat(cohorts).isNotEmpty();
            for (CohortAffect c : cohorts) {
                assertThat(c.getCohortId()).isEqualTo(stream.cohortId(0));
                assertThat(c.getLearners()).isBetween(cfg.cohortMinLearners, 6);
                assertThat(c.getStateShare().values().stream().mapToDouble(Float::doubleValue).sum())
                        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            }
            assertThat(predictions).anyMatch(p -> stream.cohortId(7).equals(p.getCohortId()));
        } finally {
            job.cancel().get();
        }
    }

    /** Produces every learner's session (cohort ids set), and last events that close the last steps. */
    private static Set<String> produce(SyntheticStream stream, int learners) throws Exception {
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null);
        Set<String> withInput = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (long t = 0; t < stream.totalSteps; t++) {
                for (int l = 0; l < learners; l++) {
                    for (RawRecord r : generator.map(t * learners + l).records) {
                        producer.send(new ProducerRecord<>("events", SyntheticStream.learnerId(l).getBytes(), r.value));
                        withInput.add(SyntheticStream.learnerId(l) + "@" + (stream.baseMillis + t * stream.stepMillis));
                    }
                }
            }
            TestKafka.closeStepsBefore(producer, "events", PARTITIONS, stream.baseMillis + (stream.totalSteps + 40) * stream.stepMillis, 1);
            producer.flush();
        }
        return withInput;
    }

    private static Set<String> scored(List<Prediction> predictions) {
        Set<String> out = new HashSet<>();
        for (Prediction p : predictions) {
            if (!p.getPresent().isEmpty()) {
                out.add(p.getLearnerId() + "@" + p.getStepStart().toEpochMilli());
            }
        }
        return out;
    }

    /** The configured rules run over each learner's predictions in step order (as the signals stage sees them). */
    private static Set<String> replay(List<Prediction> predictions, JobConfig cfg, ModelInfo model) {
        InterventionRules rules = InterventionRules.of(cfg, model);
        Map<String, List<Prediction>> byLearner = new HashMap<>();
        predictions.forEach(p -> byLearner.computeIfAbsent(p.getLearnerId(), k -> new ArrayList<>()).add(p));
        Set<String> out = new TreeSet<>();
        for (List<Prediction> ps : byLearner.values()) {
            ps.sort((a, b) -> a.getStepStart().compareTo(b.getStepStart()));
            LearnerSignals state = LearnerSignals.start(rules.rules().size());
            for (Prediction p : ps) {
                float[] probs = new float[model.classes.size()];
                for (int c = 0; c < probs.length; c++) {
                    probs[c] = p.getProbabilities().get(model.classes.get(c));
                }
                for (Detection d : rules.observe(state, p.getSessionId(), p.getStepStart().toEpochMilli(),
                        p.getStepEnd().toEpochMilli(), p.getPresent().size(), model.classes.indexOf(p.getLabel()), probs)) {
                    out.add(p.getLearnerId() + " " + rules.rules().get(d.rule).name + " " + d.detectedAt);
                }
            }
        }
        return out;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return TestKafka.producer(kafka.bootstrapServers());
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", "signals-reader");
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
