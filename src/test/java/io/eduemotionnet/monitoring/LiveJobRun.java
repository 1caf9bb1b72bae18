package io.eduemotionnet.monitoring;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.TestClusters;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.TestKafka;
import io.eduemotionnet.synthetic.RawRecords;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * A real local run of the job as it is deployed: a KRaft Kafka broker in-process, a producer thread
 * writing the synthetic source's Avro events (with corrupted ones) in real time, and the job reading
 * Kafka and writing every output through the exactly-once Kafka sinks, on a MiniCluster like the
 * other tests' (RocksDB, checkpoints every second) with Flink's Prometheus reporter on {@link #reporterPort}.
 */
final class LiveJobRun implements AutoCloseable {
    static final String JOB_NAME = "edu-emotionnet";
    static final int LEARNERS = 100;
    /** Share of valid events followed by a corrupted or late copy: dead letters and late events. */
    static final double ANOMALY_RATE = 0.02;

    final int reporterPort;
    private final MiniCluster cluster;
    private final KafkaClusterTestKit kafka;
    private final Thread producerThread;
    private final AtomicReference<Throwable> producerError = new AtomicReference<>();
    private final AtomicLong produced = new AtomicLong();
    private volatile boolean stopping;
    private JobClient job;

    private LiveJobRun(int reporterPort, MiniCluster cluster, KafkaClusterTestKit kafka, SyntheticStream stream, String topic,
                       String consentTopic) {
        this.reporterPort = reporterPort;
        this.cluster = cluster;
        this.kafka = kafka;
        this.producerThread = new Thread(() -> produce(stream, topic, consentTopic), "synthetic-producer");
        this.producerThread.setDaemon(true);
    }

    static LiveJobRun start() throws Exception {
        int reporterPort = FreePorts.find();
        Configuration conf = TestClusters.configuration();
        conf.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", String.valueOf(reporterPort));
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(2)
                .build());
        cluster.start();
        KafkaClusterTestKit kafka = null;
        LiveJobRun run = null;
        try {
            kafka = io.eduemotionnet.TestKafka.start();
            JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {
                    "--edu.kafka.bootstrap-servers", kafka.bootstrapServers(),
                    "--edu.kafka.starting-offsets", "earliest",
                    // longer than the producer's pause between steps (it writes each 2-s step at once),
                    // as in production (30 s): partitions must not flap idle between steps
                    "--edu.ingest.idleness", "10 s",
                    "--edu.kafka.transaction-timeout", "1 min",
                    "--edu.synthetic.learners", String.valueOf(LEARNERS),
                    "--edu.synthetic.sessions-per-learner", "0", // unbounded sessions
                    "--edu.synthetic.invalid-rate", String.valueOf(ANOMALY_RATE),
                    "--edu.synthetic.speed", "1.0", // real time: event time = now
                    // as on a cluster (the default there): the consent gate, fed by a compacted consent
                    // topic on which the producer writes each learner's grant (or withdrawal) in line
                    "--edu.privacy.consent-required", "true",
                    "--edu.kafka.topic.consent", "learner-consent"}));
            TestKafka.createTopics(kafka.bootstrapServers(), cfg, 2);
            ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
            SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis())
                    .withConsent(cfg.syntheticNoConsentRate, cfg.syntheticWithdrawRate);
            run = new LiveJobRun(reporterPort, cluster, kafka, stream, cfg.topicEvents, cfg.topicConsent);
            run.producerThread.start();

            StreamExecutionEnvironment env = new TestStreamEnvironment(cluster, conf, 2, List.of(), List.of());
            env.enableCheckpointing(1000); // the exactly-once sinks commit at checkpoints
            EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model),
                    EmotionPipeline.consentSource(env, cfg), cfg, model);
            EmotionPipeline.writeToKafka(out, cfg);
            run.job = env.executeAsync(JOB_NAME);
            return run;
        } catch (Exception | Error e) {
            if (run != null) {
                run.close();
            } else {
                if (kafka != null) {
                    kafka.close();
                }
                cluster.close();
            }
            throw e;
        }
    }

    /** Learner i's records of step t, in real time (the generator sleeps until each step is due). */
    private void produce(SyntheticStream stream, String topic, String consentTopic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "20");
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null); // the reader context is not used
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long index = 0; !stopping; index++) {
                RawRecords records = generator.map(index);
                byte[] key = SyntheticStream.learnerId((int) (index % stream.learners)).getBytes(StandardCharsets.UTF_8);
                for (RawRecord r : records.records) {
                    boolean consent = SyntheticStream.CONSENT_TOPIC.equals(r.topic);
                    producer.send(new ProducerRecord<>(consent ? consentTopic : topic, key, r.value));
                    produced.incrementAndGet();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            if (!stopping) {
                producerError.set(t);
            }
        }
    }

    long produced() {
        return produced.get();
    }

    /** Fails fast if the producer thread or the job died (every query would otherwise time out). */
    void checkHealthy() throws Exception {
        Throwable t = producerError.get();
        if (t != null) {
            throw new IllegalStateException("the synthetic producer failed", t);
        }
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (status.isGloballyTerminalState()) {
            try {
                job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the job is " + status, e.getCause());
            }
            throw new IllegalStateException("the job is " + status);
        }
    }

    @Override
    public void close() throws Exception {
        stopping = true;
        producerThread.interrupt();
        producerThread.join(10_000);
        try {
            if (job != null && !job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } finally {
            try {
                kafka.close();
            } finally {
                cluster.close();
            }
        }
    }
}
