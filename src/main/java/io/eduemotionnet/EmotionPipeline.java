package io.eduemotionnet;

import io.eduemotionnet.learner.AlignedStep;
import io.eduemotionnet.learner.LearnerOperator;
import io.eduemotionnet.learner.LearnerOutputs;
import io.eduemotionnet.avro.CohortAffect;
import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.ingest.ConsentCatchUp;
import io.eduemotionnet.ingest.ConsentDecoder;
import io.eduemotionnet.ingest.ConsentFirstSource;
import io.eduemotionnet.ingest.DeadLetterRecord;
import io.eduemotionnet.ingest.EventWatermarks;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.ingest.KafkaConsentDeserializer;
import io.eduemotionnet.ingest.KafkaEventDeserializer;
import io.eduemotionnet.ingest.RecordDecoder;
import io.eduemotionnet.ingest.SplitInvalidRecords;
import io.eduemotionnet.privacy.ConsentGate;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.LearnerInput;
import io.eduemotionnet.avro.ErasureReceipt;
import io.eduemotionnet.signals.SignalsStage;
import io.eduemotionnet.sink.AvroRecords;
import io.eduemotionnet.sink.ErasureReceipts;
import io.eduemotionnet.sink.KafkaOutputs;
import io.eduemotionnet.sink.TrainingFormatEncoder;
import io.eduemotionnet.synthetic.SyntheticSource;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.time.Clock;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The job's wiring, stage by stage: ingest (decode, validate, watermark) -> the learner operator (one
 * keyBy: open steps, carried state, batched ONNX) -> signals (interventions, cohort affect; no second
 * shuffle) -> outputs. Sources and sinks are attached separately,
 * so tests and benchmarks feed their own records and collect every output.
 */
public final class EmotionPipeline {
    private EmotionPipeline() {}

    /** Every stream the job produces. */
    public static final class Outputs {
        public final DataStream<Prediction> predictions;
        public final DataStream<DropoutReport> dropout;
        public final DataStream<ConfidenceReport> confidence;
        public final DataStream<LateEvent> lateEvents;
        public final DataStream<DeadLetterRecord> deadLetters;
        public final DataStream<AlignedStep> alignedSteps;
        /** Erasure orders carried out by the learner operator and then the signals stage (with what each deleted). */
        public final DataStream<ErasureOrder> erasures;
        /**
         * One receipt per order that has passed every per-learner stage (learner operator, signals); null
         * without a consent gate, where nothing can order an erasure.
         */
        public final DataStream<ErasureReceipt> receipts;
        public final DataStream<Intervention> interventions;
        public final DataStream<CohortAffect> cohortAffect;

        public Outputs(SingleOutputStreamOperator<Prediction> predictions, DataStream<DeadLetterRecord> deadLetters,
                       SignalsStage.Outputs signals) {
            this(predictions, deadLetters, signals, false);
        }

        Outputs(SingleOutputStreamOperator<Prediction> predictions, DataStream<DeadLetterRecord> deadLetters,
                SignalsStage.Outputs signals, boolean gated) {
            this.predictions = predictions;
            this.dropout = predictions.getSideOutput(LearnerOutputs.DROPOUT);
            this.confidence = predictions.getSideOutput(LearnerOutputs.CONFIDENCE);
            this.alignedSteps = predictions.getSideOutput(LearnerOutputs.ALIGNED_STEPS);
            this.lateEvents = predictions.getSideOutput(LearnerOutputs.LATE_EVENTS);
            this.deadLetters = deadLetters;
            this.erasures = signals.erasures;
            this.interventions = signals.interventions;
            this.cohortAffect = signals.cohortAffect;
            this.receipts = gated ? erasures.map(new ErasureReceipts()).name("erasure-receipts").uid("erasure-receipts") : null;
        }
    }

    /**
     * The job: ingest -> consent gate -> learner operator -> signals, from decoded records with timestamps and
     * watermarks. {@code consent} is the consent topic's records, or null when consent changes come in line
     * with the events (the synthetic source). The gate's output is already partitioned by learner, so the
     * learner operator takes it as a keyed stream without a second shuffle.
     */
    public static Outputs build(DataStream<IngestResult> decoded, DataStream<IngestResult> consent, JobConfig cfg,
                                ModelInfo model) {
        Gated gated = gate(decoded, consent, cfg);
        KeyedStream<LearnerInput, String> inputs =
                DataStreamUtils.reinterpretAsKeyedStream(gated.inputs, LearnerInput::learnerId, Types.STRING);
        SingleOutputStreamOperator<Prediction> predictions = learnKeyed(inputs, cfg, model);
        return new Outputs(predictions, gated.deadLetters, signals(predictions, cfg, model), true);
    }

    /**
     * Ingest -> learner operator without a consent gate: every valid event is scored and nothing can erase
     * (tests and benchmarks; the job uses it only with edu.privacy.consent-required false and no consent topic).
     */
    public static Outputs build(DataStream<IngestResult> decoded, JobConfig cfg, ModelInfo model) {
        SingleOutputStreamOperator<IngestResult> valid = validate(decoded);
        DataStream<LearnerInput> inputs = valid.map(EmotionPipeline::ungatedInput).returns(LearnerInput.class)
                .name("learner-input").uid("learner-input");
        SingleOutputStreamOperator<Prediction> predictions = learn(inputs, cfg, model);
        return new Outputs(predictions, valid.getSideOutput(SplitInvalidRecords.DEAD_LETTERS), signals(predictions, cfg, model));
    }

    private static LearnerInput ungatedInput(IngestResult valid) {
        if (valid.event == null) { // only a consent source makes consent changes, and it needs the gated build
            throw new IllegalStateException("a consent change reached a job built without the consent gate");
        }
        return LearnerInput.of(valid.event);
    }

    /**
     * Signals after the learner operator, on its partitioning (no second shuffle): the learner operator's
     * erasure orders go on through the signals stage, which erases its own per-learner state.
     */
    public static SignalsStage.Outputs signals(SingleOutputStreamOperator<Prediction> predictions, JobConfig cfg, ModelInfo model) {
        return SignalsStage.build(predictions, predictions.getSideOutput(LearnerOutputs.ERASURES), cfg, model);
    }

    /** Ingest: valid records on (events, consent changes), dead letters to their side output. */
    public static SingleOutputStreamOperator<IngestResult> validate(DataStream<IngestResult> decoded) {
        return decoded.process(new SplitInvalidRecords()).name("split-invalid-records").uid("split-invalid-records");
    }

    /**
     * The learner operator, keyed by learner: events to predictions and the side outputs, erasure orders
     * carried out. (Named tfl-inference as the scoring stage before it, so dashboards keep their operator
     * names; a new uid: state of the separate align and inference operators is not restored into it.)
     */
    public static SingleOutputStreamOperator<Prediction> learn(DataStream<LearnerInput> inputs, JobConfig cfg, ModelInfo model) {
        return learnKeyed(inputs.keyBy(LearnerInput::learnerId), cfg, model);
    }

    static SingleOutputStreamOperator<Prediction> learnKeyed(KeyedStream<LearnerInput, String> inputs, JobConfig cfg,
                                                             ModelInfo model) {
        return inputs.transform("tfl-inference", TypeInformation.of(Prediction.class), new LearnerOperator(cfg, model))
                .uid("learner-operator");
    }

    /** What the consent gate lets through (events and erasure orders, keyed by learner), and the dead letters of its inputs. */
    public static final class Gated {
        public final SingleOutputStreamOperator<LearnerInput> inputs;
        public final DataStream<DeadLetterRecord> deadLetters;

        Gated(SingleOutputStreamOperator<LearnerInput> inputs, DataStream<DeadLetterRecord> deadLetters) {
            this.inputs = inputs;
            this.deadLetters = deadLetters;
        }
    }

    /**
     * Privacy: dead letters aside, then the consent gate keyed by learner. {@code consent} is the consent
     * topic, or null when consent changes come in line with the events (the synthetic source).
     */
    public static Gated gate(DataStream<IngestResult> decoded, DataStream<IngestResult> consent, JobConfig cfg) {
        // same parallelism as the source: forwarded, not rebalanced, so a learner's consent changes and events
        // reach the gate in the order the source read them
        SingleOutputStreamOperator<IngestResult> valid = validate(decoded).setParallelism(decoded.getParallelism());
        DataStream<DeadLetterRecord> dead = valid.getSideOutput(SplitInvalidRecords.DEAD_LETTERS);
        TypeInformation<LearnerInput> type = TypeInformation.of(LearnerInput.class);
        ConsentGate gate = new ConsentGate(cfg.consentRequired);
        SingleOutputStreamOperator<LearnerInput> gated;
        if (consent == null) {
            gated = valid.keyBy(EmotionPipeline::learnerOf).transform("consent-gate", type, gate).uid("consent-gate");
        } else {
            SingleOutputStreamOperator<IngestResult> changes = consent.process(new SplitInvalidRecords())
                    .name("split-invalid-consent").uid("split-invalid-consent").setParallelism(consent.getParallelism());
            dead = dead.union(changes.getSideOutput(SplitInvalidRecords.DEAD_LETTERS));
            gated = valid.connect(changes).keyBy(EmotionPipeline::learnerOf, EmotionPipeline::learnerOf)
                    .transform("consent-gate", type, gate).uid("consent-gate");
        }
        return new Gated(gated, dead);
    }

    static String learnerOf(IngestResult r) {
        return r.event != null ? r.event.learnerId : r.consent.learnerId;
    }

    /**
     * The compacted consent topic, from its start on a fresh start (each learner's latest change), from the
     * checkpoint's offsets on a restore. Consent changes never make watermarks (the gate ignores this input's).
     */
    public static DataStream<IngestResult> consentSource(StreamExecutionEnvironment env, JobConfig cfg) {
        KafkaSource<IngestResult> source = KafkaSource.<IngestResult>builder()
                .setBootstrapServers(cfg.kafkaBootstrap)
                .setTopics(cfg.topicConsent)
                .setGroupId(cfg.kafkaGroupId)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new KafkaConsentDeserializer(consentDecoder(cfg)))
                .setProperties(KafkaOutputs.clientProperties(cfg))
                .setProperty("isolation.level", "read_committed")
                .build();
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-consent").uid("kafka-consent");
    }

    public static ConsentDecoder consentDecoder(JobConfig cfg) {
        return new ConsentDecoder(cfg.idPattern, cfg.consentPurpose, cfg.maxFuture.toMillis(), Clock.systemUTC());
    }

    public static RecordDecoder decoder(JobConfig cfg, ModelInfo model) {
        return new RecordDecoder(model, cfg.idPattern, cfg.maxFuture.toMillis(), Clock.systemUTC());
    }

    public static WatermarkStrategy<IngestResult> watermarks(JobConfig cfg) {
        return EventWatermarks.strategy(cfg.outOfOrderness, cfg.idleness);
    }

    /**
     * Modality events from Kafka, decoded and validated in the source (per-partition watermarks). Behind the
     * consent gate the source waits at each start until the gate has taken in the consent topic
     * ({@link ConsentFirstSource}); its operator id stays the same, so savepoints of either kind restore.
     */
    public static DataStream<IngestResult> kafkaSource(StreamExecutionEnvironment env, JobConfig cfg, ModelInfo model) {
        OffsetsInitializer offsets;
        switch (cfg.kafkaStartingOffsets) {
            case "earliest":
                offsets = OffsetsInitializer.earliest();
                break;
            case "latest":
                offsets = OffsetsInitializer.latest();
                break;
            default:
                offsets = OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
        Properties client = KafkaOutputs.clientProperties(cfg); // read once: the source and the consent check
        KafkaSource<IngestResult> source = KafkaSource.<IngestResult>builder()
                .setBootstrapServers(cfg.kafkaBootstrap)
                .setTopics(cfg.topicEvents)
                .setGroupId(cfg.kafkaGroupId)
                .setStartingOffsets(offsets)
                .setDeserializer(new KafkaEventDeserializer(decoder(cfg, model)))
                .setProperties(client)
                .setProperty("isolation.level", "read_committed")
                .build();
        if (!cfg.waitsForConsent()) {
            return env.fromSource(source, watermarks(cfg), "kafka-modality-events").uid("kafka-modality-events");
        }
        Properties admin = new Properties();
        admin.putAll(client);
        admin.setProperty("bootstrap.servers", cfg.kafkaBootstrap);
        ConsentCatchUp catchUp = new ConsentCatchUp(admin, cfg.topicConsent, cfg.kafkaGroupId, cfg.consentCatchUpTimeout);
        return env.fromSource(new ConsentFirstSource<>(source, catchUp), watermarks(cfg), "kafka-modality-events")
                .uid("kafka-modality-events");
    }

    /** The built-in synthetic source (one reader: learners advance through event time together). */
    public static DataStream<IngestResult> syntheticSource(StreamExecutionEnvironment env, JobConfig cfg, ModelInfo model,
                                                           SyntheticStream stream) {
        return env.fromSource(SyntheticSource.create(stream), WatermarkStrategy.noWatermarks(), "synthetic-learners")
                .uid("synthetic-learners").setParallelism(1)
                .flatMap(new SyntheticSource.Decode(decoder(cfg, model), stream.consent == null ? null : consentDecoder(cfg)))
                .name("decode-validate").uid("decode-validate")
                .setParallelism(1)
                .assignTimestampsAndWatermarks(watermarks(cfg)).name("event-time").uid("event-time").setParallelism(1);
    }

    /** Every output to its Kafka topic, exactly once; aligned steps to files when enabled. */
    public static void writeToKafka(Outputs out, JobConfig cfg) {
        KafkaOutputs.write(out.predictions, cfg, cfg.topicPredictions, "predictions", p -> p.getLearnerId());
        KafkaOutputs.write(out.dropout, cfg, cfg.topicDropout, "dropout", r -> r.getLearnerId());
        KafkaOutputs.write(out.confidence, cfg, cfg.topicConfidence, "confidence", r -> r.getLearnerId());
        KafkaOutputs.write(out.lateEvents, cfg, cfg.topicLate, "late-events", r -> r.getEvent().getLearnerId());
        KafkaOutputs.write(out.deadLetters.map(AvroRecords::deadLetter).returns(DeadLetter.class)
                        .name("dead-letter-records").uid("dead-letter-records"),
                cfg, cfg.topicDeadLetters, "dead-letters", d -> null);
        KafkaOutputs.write(out.interventions, cfg, cfg.topicInterventions, "interventions", i -> i.getLearnerId());
        // keyed by cohort: no learner id in a cohort record, its key included
        KafkaOutputs.write(out.cohortAffect, cfg, cfg.topicCohortAffect, "cohort-affect", c -> c.getCohortId());
        if (out.receipts != null) {
            KafkaOutputs.write(out.receipts, cfg, cfg.topicErasureReceipts, "erasure-receipts", r -> r.getLearnerId());
        }
    }

    /**
     * Training data, when enabled: JSON Lines part files named {@code part-<uid>-<n>.jsonl} (the suffix
     * the model's reader looks for) in hourly bucket directories. Flink's default rolling policy for
     * row formats: a part file is finished at 128 MB, after 60 s open or 60 s without writes (checked
     * every 60 s) and at the end of the input, and committed at the next checkpoint; until then it is a
     * hidden {@code .part-….jsonl.inprogress.<uuid>} file, which the reader skips.
     */
    public static void writeAlignedSteps(Outputs out, JobConfig cfg) {
        if (cfg.alignedStepsEnabled()) {
            out.alignedSteps.sinkTo(FileSink.forRowFormat(new Path(cfg.alignedStepsPath), new TrainingFormatEncoder())
                            .withOutputFileConfig(OutputFileConfig.builder().withPartSuffix(TrainingFormatEncoder.SUFFIX).build())
                            .build())
                    .name("aligned-steps-files").uid("aligned-steps-files");
        }
    }
}
