package io.eduemotionnet.config;


import io.eduemotionnet.config.JobOptions.CudaFallback;
import io.eduemotionnet.config.JobOptions.Device;
import io.eduemotionnet.config.JobOptions.SinkType;
import io.eduemotionnet.config.JobOptions.SourceType;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.util.ParameterTool;

/** The job's settings, read once at start-up and checked: a wrong value fails here, naming its key. */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String modelPath;
    public final Device device;
    public final int cudaDeviceId;
    public final CudaFallback cudaFallback;
    public final int maxBatchSize;
    public final int intraOpThreads;
    public final Duration outOfOrderness;
    public final Duration idleness;
    public final Duration maxFuture;
    public final String idPattern;
    public final Duration allowedLateness;
    public final int maxGapSteps;
    public final Duration stateTtl;
    public final boolean consentRequired;
    public final String consentPurpose;
    public final String kafkaBootstrap;
    public final String kafkaGroupId;
    public final String kafkaStartingOffsets;
    public final String kafkaPropertiesFile;
    public final Duration kafkaTransactionTimeout;
    public final Duration consentCatchUpTimeout;
    public final String topicEvents;
    public final String topicPredictions;
    public final String topicDropout;
    public final String topicConfidence;
    public final String topicLate;
    public final String topicDeadLetters;
    /** null when not set (allowed only without edu.privacy.consent-required). */
    public final String topicConsent;
    public final String topicErasureReceipts;
    public final String topicInterventions;
    public final String topicCohortAffect;
    public final List<InterventionRuleSpec> interventionRules;
    public final Duration interventionCooldown;
    public final List<Double> interventionTemperatures;
    public final int cohortMinLearners;
    public final SourceType source;
    public final SinkType sink;
    public final String alignedStepsPath;
    public final String syntheticSpecPath;
    public final int syntheticLearners;
    public final int syntheticSessionsPerLearner;
    public final double syntheticMissingRate;
    public final double syntheticInvalidRate;
    public final long syntheticSeed;
    public final int syntheticCohortSize;
    public final double syntheticSpeed;
    public final double syntheticNoConsentRate;
    public final double syntheticWithdrawRate;
    public final int localParallelism;
    public final Duration localCheckpointInterval;

    private JobConfig(ReadableConfig c) {
        modelPath = nonBlank(c, JobOptions.MODEL_PATH);
        device = get(c, JobOptions.INFERENCE_DEVICE);
        cudaDeviceId = atLeast(c, JobOptions.CUDA_DEVICE_ID, 0);
        cudaFallback = get(c, JobOptions.CUDA_FALLBACK);
        maxBatchSize = between(c, JobOptions.MAX_BATCH, 1, 65_536);
        intraOpThreads = between(c, JobOptions.INTRA_OP_THREADS, 1, 256);
        outOfOrderness = nonNegative(c, JobOptions.OUT_OF_ORDERNESS);
        idleness = positive(c, JobOptions.IDLENESS);
        maxFuture = positive(c, JobOptions.MAX_FUTURE);
        idPattern = regex(c, JobOptions.ID_PATTERN);
        allowedLateness = nonNegative(c, JobOptions.ALLOWED_LATENESS);
        maxGapSteps = between(c, JobOptions.MAX_GAP_STEPS, 0, 100_000);
        stateTtl = positive(c, JobOptions.STATE_TTL);
        if (stateTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException(JobOptions.STATE_TTL.key(), "must be at least 1 s, got " + stateTtl);
        }
        consentRequired = get(c, JobOptions.CONSENT_REQUIRED);
        consentPurpose = nonBlank(c, JobOptions.CONSENT_PURPOSE);
        kafkaBootstrap = get(c, JobOptions.KAFKA_BOOTSTRAP);
        kafkaGroupId = nonBlank(c, JobOptions.KAFKA_GROUP);
        kafkaStartingOffsets = oneOf(c, JobOptions.KAFKA_STARTING_OFFSETS, Set.of("earliest", "latest", "committed-or-earliest"));
        kafkaPropertiesFile = get(c, JobOptions.KAFKA_SECURITY_PROPERTIES);
        kafkaTransactionTimeout = positive(c, JobOptions.KAFKA_TRANSACTION_TIMEOUT);
        consentCatchUpTimeout = positive(c, JobOptions.CONSENT_CATCH_UP_TIMEOUT);
        topicEvents = nonBlank(c, JobOptions.TOPIC_EVENTS);
        topicPredictions = nonBlank(c, JobOptions.TOPIC_PREDICTIONS);
        topicDropout = nonBlank(c, JobOptions.TOPIC_DROPOUT);
        topicConfidence = nonBlank(c, JobOptions.TOPIC_CONFIDENCE);
        topicLate = nonBlank(c, JobOptions.TOPIC_LATE);
        topicDeadLetters = nonBlank(c, JobOptions.TOPIC_DEAD_LETTERS);
        String consent = get(c, JobOptions.TOPIC_CONSENT);
        topicConsent = consent == null || consent.isBlank() ? null : consent.trim();
        topicErasureReceipts = nonBlank(c, JobOptions.TOPIC_ERASURE_RECEIPTS);
        topicInterventions = nonBlank(c, JobOptions.TOPIC_INTERVENTIONS);
        topicCohortAffect = nonBlank(c, JobOptions.TOPIC_COHORT_AFFECT);
        interventionRules = InterventionRuleSpec.parseAll(get(c, JobOptions.INTERVENTION_RULES), JobOptions.INTERVENTION_RULES.key());
        interventionCooldown = nonNegative(c, JobOptions.INTERVENTION_COOLDOWN);
        interventionTemperatures = List.copyOf(get(c, JobOptions.INTERVENTION_TEMPERATURES));
        for (double t : interventionTemperatures) {
            if (!(t >= 0.1 && t <= 10)) { // also NaN
                throw new ConfigException(JobOptions.INTERVENTION_TEMPERATURES.key(), "temperatures must lie in [0.1, 10], got "
                        + interventionTemperatures);
            }
        }
        // k = 1 would publish a single learner's affect under a cohort's name
        cohortMinLearners = between(c, JobOptions.COHORT_MIN_LEARNERS, 2, 1_000_000);
        boolean kafkaSet = kafkaBootstrap != null && !kafkaBootstrap.isBlank();
        SourceType s = get(c, JobOptions.SOURCE);
        source = s == SourceType.AUTO ? (kafkaSet ? SourceType.KAFKA : SourceType.SYNTHETIC) : s;
        SinkType k = get(c, JobOptions.SINK);
        sink = k == SinkType.AUTO ? (kafkaSet ? SinkType.KAFKA : SinkType.SUMMARY) : k;
        if ((source == SourceType.KAFKA || sink == SinkType.KAFKA) && !kafkaSet) {
            throw new ConfigException(JobOptions.KAFKA_BOOTSTRAP.key(), "is required when "
                    + (source == SourceType.KAFKA ? JobOptions.SOURCE.key() : JobOptions.SINK.key())
                    + " is kafka (e.g. --" + JobOptions.KAFKA_BOOTSTRAP.key() + " broker:9092)");
        }
        if (source == SourceType.KAFKA && consentRequired && topicConsent == null) {
            throw new ConfigException(JobOptions.TOPIC_CONSENT.key(), "is required when " + JobOptions.CONSENT_REQUIRED.key()
                    + " is true and events come from Kafka: without the consent topic no learner could be scored "
                    + "(set the topic, e.g. learner-consent, or, where another legal basis than consent applies, "
                    + JobOptions.CONSENT_REQUIRED.key() + ": false)");
        }
        alignedStepsPath = get(c, JobOptions.ALIGNED_STEPS_PATH);
        syntheticSpecPath = nonBlank(c, JobOptions.SYNTHETIC_SPEC);
        syntheticLearners = between(c, JobOptions.SYNTHETIC_LEARNERS, 1, 10_000_000);
        syntheticSessionsPerLearner = between(c, JobOptions.SYNTHETIC_SESSIONS, 0, 1_000_000);
        syntheticMissingRate = between(c, JobOptions.SYNTHETIC_MISSING_RATE, 0.0, 0.8);
        syntheticInvalidRate = between(c, JobOptions.SYNTHETIC_INVALID_RATE, 0.0, 0.5);
        syntheticSeed = get(c, JobOptions.SYNTHETIC_SEED);
        syntheticCohortSize = between(c, JobOptions.SYNTHETIC_COHORT_SIZE, 0, 10_000_000);
        syntheticSpeed = between(c, JobOptions.SYNTHETIC_SPEED, 0.0, 1e6);
        syntheticNoConsentRate = between(c, JobOptions.SYNTHETIC_NO_CONSENT_RATE, 0.0, 1.0);
        syntheticWithdrawRate = between(c, JobOptions.SYNTHETIC_WITHDRAW_RATE, 0.0, 1.0);
        if (syntheticNoConsentRate + syntheticWithdrawRate > 1.0) {
            throw new ConfigException(JobOptions.SYNTHETIC_WITHDRAW_RATE.key(), "plus " + JobOptions.SYNTHETIC_NO_CONSENT_RATE.key()
                    + " must be at most 1 (shares of the same learners), got " + (syntheticNoConsentRate + syntheticWithdrawRate));
        }
        localParallelism = between(c, JobOptions.PARALLELISM, 1, 1024);
        localCheckpointInterval = positive(c, JobOptions.LOCAL_CHECKPOINT_INTERVAL);
        Duration checkpoints = get(c, CheckpointingOptions.CHECKPOINTING_INTERVAL);
        Duration every = checkpoints != null ? checkpoints : localCheckpointInterval;
        // the consent source's offsets are committed when a checkpoint completes: nothing shows the catch-up sooner
        if (waitsForConsent() && consentCatchUpTimeout.compareTo(every) <= 0) {
            throw new ConfigException(JobOptions.CONSENT_CATCH_UP_TIMEOUT.key(), "must be above the checkpoint interval ("
                    + every + "): the consent topic counts as taken in only when a checkpoint has completed; got "
                    + consentCatchUpTimeout);
        }
        if (sink == SinkType.KAFKA) {
            // an exactly-once transaction stays open until the next checkpoint completes: a shorter timeout
            // makes the broker abort it, and the job fails at commit
            if (kafkaTransactionTimeout.compareTo(every) <= 0) {
                throw new ConfigException(JobOptions.KAFKA_TRANSACTION_TIMEOUT.key(), "must be above the checkpoint "
                        + "interval (" + every + "), with room for a slow checkpoint; got " + kafkaTransactionTimeout);
            }
        }
    }

    /** Checks and reads the job's keys from a Flink configuration. */
    public static JobConfig from(ReadableConfig config) {
        if (config instanceof Configuration) {
            rejectUnknownKeys(((Configuration) config).keySet());
        }
        return new JobConfig(config);
    }

    /** Command-line arguments {@code --key value} over a base configuration (a cluster's config.yaml). */
    public static Configuration merge(ReadableConfig base, String[] args) {
        Configuration merged = new Configuration();
        if (base instanceof Configuration) {
            merged.addAll((Configuration) base);
        }
        ParameterTool params;
        try {
            params = ParameterTool.fromArgs(args);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Invalid command line: " + e.getMessage()
                    + " (arguments are --key value pairs, e.g. --edu.synthetic.learners 500)");
        }
        for (Map.Entry<String, String> e : params.toMap().entrySet()) {
            if ("__NO_VALUE_KEY".equals(e.getValue())) { // ParameterTool's marker for a key without a value
                throw new ConfigException(e.getKey(), "has no value on the command line (use --" + e.getKey() + " <value>)");
            }
            merged.setString(e.getKey(), e.getValue());
        }
        return merged;
    }

    /** The consent gate runs when consent is required or a consent topic can carry erasure requests. */
    public boolean consentGateEnabled() {
        return consentRequired || (source == SourceType.KAFKA ? topicConsent != null : true);
    }

    /** Whether the events source waits, at each start, for the consent topic (the consent gate reading Kafka). */
    public boolean waitsForConsent() {
        return source == SourceType.KAFKA && consentRequired && topicConsent != null;
    }

    /**
     * Every Kafka topic the job reads or writes with this configuration, the events topic first. All must
     * exist before it starts: the exactly-once sinks look up their open transactions on their topics.
     */
    public List<String> kafkaTopics() {
        List<String> topics = new ArrayList<>(List.of(topicEvents));
        if (topicConsent != null) {
            topics.add(topicConsent);
        }
        topics.addAll(List.of(topicPredictions, topicDropout, topicConfidence, topicLate, topicDeadLetters,
                topicInterventions, topicCohortAffect));
        if (consentGateEnabled()) {
            topics.add(topicErasureReceipts);
        }
        return topics;
    }

    public boolean alignedStepsEnabled() {
        return alignedStepsPath != null && !alignedStepsPath.isBlank();
    }

    public Pattern idRegex() {
        return Pattern.compile(idPattern);
    }

    private static void rejectUnknownKeys(Set<String> keys) {
        Set<String> known = JobOptions.all().stream().map(ConfigOption::key).collect(Collectors.toSet());
        for (String key : keys) {
            if (key.startsWith("edu.") && !known.contains(key)) {
                throw new ConfigException(key, "unknown key; the job's keys are listed in flink-conf/config.yaml");
            }
        }
    }

    private static <T> T get(ReadableConfig c, ConfigOption<T> option) {
        try {
            return c.get(option);
        } catch (IllegalArgumentException e) {
            String hint = e.getMessage() == null ? "cannot be parsed" : e.getMessage();
            throw new ConfigException(option.key(), hint + " (default: " + describeDefault(option) + ")");
        }
    }

    private static String describeDefault(ConfigOption<?> option) {
        return option.hasDefaultValue() ? String.valueOf(option.defaultValue()).toLowerCase() : "none";
    }

    private static String nonBlank(ReadableConfig c, ConfigOption<String> option) {
        String v = get(c, option);
        if (v == null || v.isBlank()) {
            throw new ConfigException(option.key(), "must not be empty");
        }
        return v.trim();
    }

    private static String oneOf(ReadableConfig c, ConfigOption<String> option, Set<String> allowed) {
        String v = nonBlank(c, option);
        if (!allowed.contains(v)) {
            throw new ConfigException(option.key(), "must be one of " + allowed + ", got '" + v + "'");
        }
        return v;
    }

    private static String regex(ReadableConfig c, ConfigOption<String> option) {
        String v = nonBlank(c, option);
        try {
            Pattern.compile(v);
        } catch (PatternSyntaxException e) {
            throw new ConfigException(option.key(), "is not a valid regular expression: " + e.getDescription());
        }
        return v;
    }

    private static int atLeast(ReadableConfig c, ConfigOption<Integer> option, int min) {
        return between(c, option, min, Integer.MAX_VALUE);
    }

    private static int between(ReadableConfig c, ConfigOption<Integer> option, int min, int max) {
        int v = get(c, option);
        if (v < min || v > max) {
            throw new ConfigException(option.key(), "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    private static double between(ReadableConfig c, ConfigOption<Double> option, double min, double max) {
        double v = get(c, option);
        if (!(v >= min && v <= max)) {
            throw new ConfigException(option.key(), "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    private static Duration nonNegative(ReadableConfig c, ConfigOption<Duration> option) {
        Duration v = get(c, option);
        if (v.isNegative()) {
            throw new ConfigException(option.key(), "must not be negative, got " + v);
        }
        return v;
    }

    private static Duration positive(ReadableConfig c, ConfigOption<Duration> option) {
        Duration v = get(c, option);
        if (v.isNegative() || v.isZero()) {
            throw new ConfigException(option.key(), "must be positive, got " + v);
        }
        return v;
    }
}
