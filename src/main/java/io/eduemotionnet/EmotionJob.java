package io.eduemotionnet;

import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.JobOptions;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point. On a cluster the job's keys come from Flink's configuration (config.yaml) and the
 * command line; run locally it starts an embedded cluster with the RocksDB backend. Without Kafka
 * settings it reads the built-in synthetic source and prints a summary against the generator's truth.
 */
public final class EmotionJob {
    private static final Logger LOG = LoggerFactory.getLogger(EmotionJob.class);

    private EmotionJob() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    static void run(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        boolean local = env instanceof LocalStreamEnvironment;
        Configuration merged = JobConfig.merge(env.getConfiguration(), args);
        JobConfig cfg = JobConfig.from(merged);
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        LOG.info("model {}: classes {}, step {} ms, state {} floats, trained on: {}", model.version, model.classes,
                model.stepMillis, model.stateSize, model.trainingData);
        if (local) {
            env = StreamExecutionEnvironment.getExecutionEnvironment(localConfiguration(cfg, merged));
        }
        SyntheticStream synthetic = null;
        DataStream<IngestResult> decoded;
        DataStream<IngestResult> consent = null; // the synthetic source sends its consent changes in line
        if (cfg.source == JobOptions.SourceType.KAFKA) {
            decoded = EmotionPipeline.kafkaSource(env, cfg, model);
            if (cfg.topicConsent != null) {
                consent = EmotionPipeline.consentSource(env, cfg);
            }
        } else {
            synthetic = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis())
                    .withConsent(cfg.syntheticNoConsentRate, cfg.syntheticWithdrawRate);
            if (!synthetic.spec.fingerprint.equals(model.benchmarkFingerprint)) {
                LOG.warn("the synthetic source's spec ({}) is not the one the model was trained on ({})",
                        synthetic.spec.fingerprint, model.benchmarkFingerprint);
            }
            decoded = EmotionPipeline.syntheticSource(env, cfg, model, synthetic);
        }
        EmotionPipeline.Outputs out;
        if (cfg.consentGateEnabled()) {
            out = EmotionPipeline.build(decoded, consent, cfg, model);
        } else {
            LOG.warn("{} is false and {} is empty: every learner is scored, and erasure requests cannot reach the job",
                    JobOptions.CONSENT_REQUIRED.key(), JobOptions.TOPIC_CONSENT.key());
            out = EmotionPipeline.build(decoded, cfg, model);
        }
        EmotionPipeline.writeAlignedSteps(out, cfg);
        if (cfg.sink == JobOptions.SinkType.KAFKA) {
            EmotionPipeline.writeToKafka(out, cfg);
            env.execute("edu-emotionnet");
        } else {
            new LocalSummary(cfg, model, synthetic).run(env, out);
        }
    }

    /** An embedded cluster like a production one: RocksDB, incremental checkpoints, exactly once. */
    static Configuration localConfiguration(JobConfig cfg, Configuration merged) {
        Configuration conf = new Configuration();
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "edu-emotionnet");
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, cfg.localCheckpointInterval);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, work.resolve("checkpoints").toUri().toString());
        conf.set(RocksDBOptions.LOCAL_DIRECTORIES, work.resolve("rocksdb").toString());
        conf.set(CoreOptions.DEFAULT_PARALLELISM, cfg.localParallelism);
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(512)); // RocksDB's memory
        // anything else given on the command line (e.g. a metrics reporter) goes to the local cluster
        for (String key : merged.keySet()) {
            if (!key.startsWith("edu.")) {
                conf.setString(key, merged.getString(key, null));
            }
        }
        return conf;
    }
}
