package io.eduemotionnet.config;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Every key the job reads, with its default and meaning. The same keys, with the same defaults, are
 * listed in {@code flink-conf/config.yaml} (a test keeps the two in step). Values come from Flink's
 * configuration (config.yaml on a cluster) and are overridden by {@code --key value} arguments.
 */
public final class JobOptions {
    private JobOptions() {}

    public enum SourceType { AUTO, SYNTHETIC, KAFKA }

    public enum SinkType { AUTO, SUMMARY, KAFKA }

    public enum Device { CPU, CUDA }

    public enum CudaFallback { CPU, FAIL }

    // ---- model and inference -------------------------------------------------------------------
    public static final ConfigOption<String> MODEL_PATH = ConfigOptions.key("edu.model.path")
            .stringType().defaultValue("classpath:model/edu_emotionnet.onnx")
            .withDescription("The ONNX model: a file path, or classpath:<resource> for the model inside the job jar.");
    public static final ConfigOption<Device> INFERENCE_DEVICE = ConfigOptions.key("edu.inference.device")
            .enumType(Device.class).defaultValue(Device.CPU)
            .withDescription("cpu, or cuda for ONNX Runtime's CUDA execution provider (build with -Pcuda).");
    public static final ConfigOption<Integer> CUDA_DEVICE_ID = ConfigOptions.key("edu.inference.cuda.device-id")
            .intType().defaultValue(0).withDescription("GPU ordinal for the CUDA execution provider.");
    public static final ConfigOption<CudaFallback> CUDA_FALLBACK = ConfigOptions.key("edu.inference.cuda.fallback")
            .enumType(CudaFallback.class).defaultValue(CudaFallback.CPU)
            .withDescription("When CUDA cannot start: cpu (run on CPU, count it in cudaFallbacks) or fail.");
    public static final ConfigOption<Integer> MAX_BATCH = ConfigOptions.key("edu.inference.max-batch-size")
            .intType().defaultValue(1024)
            .withDescription("Most learner-steps in one ONNX call; 1 scores each learner with its own call.");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = ConfigOptions.key("edu.inference.intra-op-threads")
            .intType().defaultValue(1)
            .withDescription("ONNX Runtime threads per inference task; size it to the cores of a task slot.");

    // ---- ingest and alignment ------------------------------------------------------------------
    public static final ConfigOption<Duration> OUT_OF_ORDERNESS = ConfigOptions.key("edu.ingest.out-of-orderness")
            .durationType().defaultValue(Duration.ofMillis(500))
            .withDescription("How far behind the newest event time an event may arrive and still be on time.");
    public static final ConfigOption<Duration> IDLENESS = ConfigOptions.key("edu.ingest.idleness")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("A source partition without events for this long stops holding back the watermark.");
    public static final ConfigOption<Duration> MAX_FUTURE = ConfigOptions.key("edu.ingest.max-future")
            .durationType().defaultValue(Duration.ofMinutes(5))
            .withDescription("Events whose event time is further than this ahead of the wall clock are dead letters.");
    public static final ConfigOption<String> ID_PATTERN = ConfigOptions.key("edu.ingest.id-pattern")
            .stringType().defaultValue("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
            .withDescription("Regular expression a learner id and a session id must match (pseudonymous ids).");
    public static final ConfigOption<Duration> ALLOWED_LATENESS = ConfigOptions.key("edu.align.allowed-lateness")
            .durationType().defaultValue(Duration.ZERO)
            .withDescription("How long after its end a step still takes late events; it is scored only then.");

    // ---- per-learner state ---------------------------------------------------------------------
    public static final ConfigOption<Integer> MAX_GAP_STEPS = ConfigOptions.key("edu.state.max-gap-steps")
            .intType().defaultValue(30)
            .withDescription("Steps without any event that are still scored from the carried state; after that the"
                    + " learner's state is deleted and the next event starts afresh.");
    public static final ConfigOption<Duration> STATE_TTL = ConfigOptions.key("edu.state.ttl")
            .durationType().defaultValue(Duration.ofHours(1))
            .withDescription("Processing-time retention of a learner's state after its last update (privacy bound).");

    // ---- privacy -------------------------------------------------------------------------------
    public static final ConfigOption<Boolean> CONSENT_REQUIRED = ConfigOptions.key("edu.privacy.consent-required")
            .booleanType().defaultValue(true)
            .withDescription("Score only learners with a current grant of edu.privacy.purpose on the consent topic; "
                    + "other events are discarded before any state is written (counted in eduEventsWithoutConsent).");
    public static final ConfigOption<String> CONSENT_PURPOSE = ConfigOptions.key("edu.privacy.purpose")
            .stringType().defaultValue("emotion-recognition")
            .withDescription("The purpose a ConsentChange grant must list to cover this job.");
    // ---- signals: interventions and cohort affect -----------------------------------------------
    public static final ConfigOption<List<String>> INTERVENTION_RULES = ConfigOptions.key("edu.interventions.rules")
            .stringType().asList().defaultValues(
                    "sustained-confusion:confusion:20s:0.83:0.93",
                    "sustained-frustration:frustration:10s:0.84:0.93",
                    "sustained-boredom:boredom:60s:0.0")
            .withDescription("Intervention rules, each <rule>:<state>:<duration>:<min mean probability>[:<min latest"
                    + " probability>]: the rule fires once per episode when a learner's predicted label has been <state>"
                    + " for <duration> of steps with input (steps without input are not evidence), the state's mean"
                    + " probability over them is at least the minimum and its probability at the firing step at least"
                    + " the latest minimum (0 when left out). Empty: no interventions.");
    public static final ConfigOption<List<Double>> INTERVENTION_TEMPERATURES = ConfigOptions.key("edu.interventions.temperatures")
            .doubleType().asList().defaultValues(0.92, 1.07, 1.26)
            .withDescription("Temperatures by which the rules calibrate a step's probabilities, one per number of modalities"
                    + " present (1, 2, 3): softmax(log p / T). Fitted for the shipped model by the interventions command"
                    + " (--fit-temperatures); refit after retraining. All 1: the model's probabilities as they are.");
    public static final ConfigOption<Duration> INTERVENTION_COOLDOWN = ConfigOptions.key("edu.interventions.cooldown")
            .durationType().defaultValue(Duration.ofMinutes(5))
            .withDescription("After a rule fired for a learner, the same rule stays silent for that learner this long (event time).");
    public static final ConfigOption<Integer> COHORT_MIN_LEARNERS = ConfigOptions.key("edu.cohort.min-learners")
            .intType().defaultValue(5)
            .withDescription("k-anonymity of cohort affect: a cohort's minute is published only when at least this many"
                    + " distinct learners were scored in it; otherwise it is counted (eduCohortWindowsSuppressed), never written.");

    // ---- Kafka ---------------------------------------------------------------------------------
    public static final ConfigOption<String> KAFKA_BOOTSTRAP = ConfigOptions.key("edu.kafka.bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka brokers; setting it switches source and sinks to Kafka (see edu.source, edu.sink).");
    public static final ConfigOption<String> KAFKA_GROUP = ConfigOptions.key("edu.kafka.group-id")
            .stringType().defaultValue("edu-emotionnet").withDescription("Consumer group of the source.");
    public static final ConfigOption<String> KAFKA_STARTING_OFFSETS = ConfigOptions.key("edu.kafka.starting-offsets")
            .stringType().defaultValue("committed-or-earliest")
            .withDescription("earliest, latest or committed-or-earliest (first start of the consumer group).");
    public static final ConfigOption<String> KAFKA_SECURITY_PROPERTIES = ConfigOptions.key("edu.kafka.properties-file")
            .stringType().noDefaultValue()
            .withDescription("Optional file of extra Kafka client properties (security.protocol, sasl.*, ssl.*), "
                    + "e.g. mounted from a Kubernetes Secret.");
    public static final ConfigOption<Duration> KAFKA_TRANSACTION_TIMEOUT = ConfigOptions.key("edu.kafka.transaction-timeout")
            .durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("transaction.timeout.ms of the exactly-once sinks; must be below the brokers' "
                    + "transaction.max.timeout.ms (15 min by default) and above the checkpoint interval.");
    public static final ConfigOption<Duration> CONSENT_CATCH_UP_TIMEOUT = ConfigOptions.key("edu.kafka.consent-catch-up-timeout")
            .durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("At every start with the consent gate, the modality events wait until the job has taken in the "
                    + "consent topic as it stood (its committed offsets reach the topic's end, so at least one checkpoint); "
                    + "after this long they are read anyway, with a warning. Must be above the checkpoint interval.");
    public static final ConfigOption<String> TOPIC_EVENTS = topic("events", "learner-modality-events", "input modality events");
    public static final ConfigOption<String> TOPIC_PREDICTIONS = topic("predictions", "learner-emotion-predictions", "predictions");
    public static final ConfigOption<String> TOPIC_DROPOUT = topic("dropout", "learner-modality-dropout", "modality dropout reports");
    public static final ConfigOption<String> TOPIC_CONFIDENCE = topic("confidence", "learner-modality-confidence", "confidence (MIE) reports");
    public static final ConfigOption<String> TOPIC_LATE = topic("late", "learner-late-events", "late events");
    public static final ConfigOption<String> TOPIC_DEAD_LETTERS = topic("dead-letters", "learner-events-dead-letters", "dead letters");
    public static final ConfigOption<String> TOPIC_CONSENT = ConfigOptions.key("edu.kafka.topic.consent")
            .stringType().defaultValue("learner-consent")
            .withDescription("Compacted Kafka topic of ConsentChange records keyed by learner id (grants, withdrawals, "
                    + "erasure requests), read from the start; may be empty only when edu.privacy.consent-required is false "
                    + "(then the job cannot erase on request).");
    public static final ConfigOption<String> TOPIC_ERASURE_RECEIPTS = topic("erasure-receipts", "learner-erasure-receipts",
            "ErasureReceipt records (one per erasure, visible once the deletion is in a checkpoint)");
    public static final ConfigOption<String> TOPIC_INTERVENTIONS = topic("interventions", "learner-interventions", "intervention events");
    public static final ConfigOption<String> TOPIC_COHORT_AFFECT = topic("cohort-affect", "cohort-affect", "k-anonymous cohort affect per minute");

    // ---- where data comes from and goes to -----------------------------------------------------
    public static final ConfigOption<SourceType> SOURCE = ConfigOptions.key("edu.source")
            .enumType(SourceType.class).defaultValue(SourceType.AUTO)
            .withDescription("auto (kafka when edu.kafka.bootstrap-servers is set, else synthetic), synthetic or kafka.");
    public static final ConfigOption<SinkType> SINK = ConfigOptions.key("edu.sink")
            .enumType(SinkType.class).defaultValue(SinkType.AUTO)
            .withDescription("auto (kafka when edu.kafka.bootstrap-servers is set, else summary), summary "
                    + "(collect predictions in the client, print progress and a summary) or kafka.");
    public static final ConfigOption<String> ALIGNED_STEPS_PATH = ConfigOptions.key("edu.output.aligned-steps.path")
            .stringType().noDefaultValue()
            .withDescription("Off when unset. A directory (file://, s3://, …) to write every aligned step's pooled "
                    + "inputs in the model's training format (JSON Lines, label null). Contains embeddings: sensitive.");

    // ---- the built-in synthetic source ---------------------------------------------------------
    public static final ConfigOption<String> SYNTHETIC_SPEC = ConfigOptions.key("edu.synthetic.spec-path")
            .stringType().defaultValue("classpath:model/benchmark/spec.json")
            .withDescription("The benchmark spec the synthetic source samples from (the file the Python generator reads).");
    public static final ConfigOption<Integer> SYNTHETIC_LEARNERS = ConfigOptions.key("edu.synthetic.learners")
            .intType().defaultValue(200).withDescription("Simulated learners.");
    public static final ConfigOption<Integer> SYNTHETIC_SESSIONS = ConfigOptions.key("edu.synthetic.sessions-per-learner")
            .intType().defaultValue(1).withDescription("Sessions per learner, one after the other; 0 = unbounded.");
    public static final ConfigOption<Double> SYNTHETIC_MISSING_RATE = ConfigOptions.key("edu.synthetic.missing-rate")
            .doubleType().defaultValue(0.2).withDescription("Overall missing rate of modality-steps, in [0, 0.8].");
    public static final ConfigOption<Double> SYNTHETIC_INVALID_RATE = ConfigOptions.key("edu.synthetic.invalid-rate")
            .doubleType().defaultValue(0.001)
            .withDescription("Share of records corrupted on purpose (bad bytes, wrong sizes, NaN, bad ids, future times).");
    public static final ConfigOption<Long> SYNTHETIC_SEED = ConfigOptions.key("edu.synthetic.seed")
            .longType().defaultValue(1L).withDescription("Seed of the synthetic source; same seed, same stream.");
    public static final ConfigOption<Integer> SYNTHETIC_COHORT_SIZE = ConfigOptions.key("edu.synthetic.cohort-size")
            .intType().defaultValue(25)
            .withDescription("Learners per cohort in the synthetic source (cohort_id synthetic-cohort-<n>); 0 = no cohort ids.");
    public static final ConfigOption<Double> SYNTHETIC_SPEED = ConfigOptions.key("edu.synthetic.speed")
            .doubleType().defaultValue(0.0)
            .withDescription("Event time per wall-clock time: 1 = real time, 10 = ten times faster, 0 = as fast as possible.");

    public static final ConfigOption<Double> SYNTHETIC_NO_CONSENT_RATE = ConfigOptions.key("edu.synthetic.no-consent-rate")
            .doubleType().defaultValue(0.05)
            .withDescription("Share of simulated learners who never grant consent (their events must not be scored).");
    public static final ConfigOption<Double> SYNTHETIC_WITHDRAW_RATE = ConfigOptions.key("edu.synthetic.withdraw-rate")
            .doubleType().defaultValue(0.05)
            .withDescription("Share of simulated learners who withdraw consent in the middle of their first session.");

    // ---- local runs ----------------------------------------------------------------------------
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("edu.local.parallelism")
            .intType().defaultValue(2).withDescription("Parallelism of a local (embedded) run.");
    public static final ConfigOption<Duration> LOCAL_CHECKPOINT_INTERVAL = ConfigOptions.key("edu.local.checkpoint-interval")
            .durationType().defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval of a local (embedded) run; on a cluster config.yaml sets it.");

    private static ConfigOption<String> topic(String name, String defaultTopic, String what) {
        return ConfigOptions.key("edu.kafka.topic." + name).stringType().defaultValue(defaultTopic)
                .withDescription("Kafka topic of " + what + ".");
    }

    /** All options, for documentation checks and unknown-key detection. */
    public static List<ConfigOption<?>> all() {
        return List.of(MODEL_PATH, INFERENCE_DEVICE, CUDA_DEVICE_ID, CUDA_FALLBACK, MAX_BATCH, INTRA_OP_THREADS,
                OUT_OF_ORDERNESS, IDLENESS, MAX_FUTURE, ID_PATTERN, ALLOWED_LATENESS, MAX_GAP_STEPS, STATE_TTL,
                CONSENT_REQUIRED, CONSENT_PURPOSE, KAFKA_BOOTSTRAP, KAFKA_GROUP, KAFKA_STARTING_OFFSETS, KAFKA_SECURITY_PROPERTIES,
                KAFKA_TRANSACTION_TIMEOUT, CONSENT_CATCH_UP_TIMEOUT, TOPIC_EVENTS, TOPIC_PREDICTIONS, TOPIC_DROPOUT, TOPIC_CONFIDENCE,
                TOPIC_LATE, TOPIC_DEAD_LETTERS, TOPIC_CONSENT, TOPIC_ERASURE_RECEIPTS, TOPIC_INTERVENTIONS, TOPIC_COHORT_AFFECT,
                INTERVENTION_RULES, INTERVENTION_TEMPERATURES, INTERVENTION_COOLDOWN, COHORT_MIN_LEARNERS, SOURCE, SINK, ALIGNED_STEPS_PATH, SYNTHETIC_SPEC,
                SYNTHETIC_LEARNERS, SYNTHETIC_SESSIONS, SYNTHETIC_MISSING_RATE, SYNTHETIC_INVALID_RATE,
                SYNTHETIC_SEED, SYNTHETIC_COHORT_SIZE, SYNTHETIC_SPEED, SYNTHETIC_NO_CONSENT_RATE, SYNTHETIC_WITHDRAW_RATE,
                PARALLELISM, LOCAL_CHECKPOINT_INTERVAL);
    }
}
