package io.eduemotionnet.reliability;

import io.eduemotionnet.EmotionPipeline;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/** The job as EmotionJob wires it for Kafka, started, watched and stopped in a MiniCluster. */
final class JobRuns {
    static final long CHECKPOINT_INTERVAL_MS = 1000;

    private JobRuns() {}

    /** The job's configuration for topics {@code <prefix>-events}, ... and its own transactional ids. */
    static JobConfig config(String bootstrap, String prefix, String... more) {
        String[] base = {
            "--edu.kafka.bootstrap-servers", bootstrap, "--edu.kafka.group-id", prefix,
            "--edu.kafka.topic.events", prefix + "-events", "--edu.kafka.topic.predictions", prefix + "-predictions",
            "--edu.kafka.topic.dropout", prefix + "-dropout", "--edu.kafka.topic.confidence", prefix + "-confidence",
            "--edu.kafka.topic.late", prefix + "-late", "--edu.kafka.topic.dead-letters", prefix + "-dead-letters",
            "--edu.kafka.topic.interventions", prefix + "-interventions",
            "--edu.kafka.topic.cohort-affect", prefix + "-cohort-affect",
            "--edu.kafka.starting-offsets", "earliest", "--edu.kafka.transaction-timeout", "1 min",
            // the job without a consent gate, as EmotionJob builds it only with consent not required
            "--edu.privacy.consent-required", "false",
            // no partition ever counts as idle here: the streams keep every partition busy (LearnerStream)
            "--edu.ingest.idleness", "1 h",
            "--edu.state.max-gap-steps", String.valueOf(LearnerStream.MAX_GAP_STEPS)};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return JobConfig.from(JobConfig.merge(new Configuration(), args));
    }

    /** Submits the job (EmotionPipeline.kafkaSource, build, writeToKafka), from a savepoint if one is given. */
    static JobClient start(JobConfig cfg, ModelInfo model, int parallelism, String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(parallelism);
        env.enableCheckpointing(CHECKPOINT_INTERVAL_MS);
        EmotionPipeline.Outputs out = EmotionPipeline.build(EmotionPipeline.kafkaSource(env, cfg, model), cfg, model);
        EmotionPipeline.writeToKafka(out, cfg);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("reliability-" + cfg.kafkaGroupId + "-p" + parallelism);
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        return env.executeAsync(graph);
    }

    /** Stops with a savepoint (the sinks commit their last transactions) and waits for the job's end. */
    static String stopWithSavepoint(JobClient job, String dir) throws Exception {
        return stop(job, dir, false);
    }

    /**
     * Stops with a savepoint after the end of the input has been signalled (the last watermark): every
     * step still open is scored, as when a bounded input ends.
     */
    static String drainWithSavepoint(JobClient job, String dir) throws Exception {
        return stop(job, dir, true);
    }

    private static String stop(JobClient job, String dir, boolean drain) throws Exception {
        String savepoint = job.stopWithSavepoint(drain, dir, SavepointFormatType.CANONICAL).get();
        job.getJobExecutionResult().get();
        return savepoint;
    }

    static AccessExecutionGraph graph(MiniCluster cluster, JobID id) throws Exception {
        return cluster.getExecutionGraph(id).get();
    }

    /** Every task of the job is running (after a start or a restart). */
    static void awaitRunning(MiniCluster cluster, JobID id) throws Exception {
        await("job " + id + " running", Duration.ofSeconds(90), () -> {
            AccessExecutionGraph g = graph(cluster, id);
            for (AccessExecutionVertex v : g.getAllExecutionVertices()) {
                if (v.getExecutionState() != ExecutionState.RUNNING) {
                    return false;
                }
            }
            return true;
        });
    }

    static long completedCheckpoints(MiniCluster cluster, JobID id) throws Exception {
        return graph(cluster, id).getCheckpointStatsSnapshot().getCounts().getNumberOfCompletedCheckpoints();
    }

    /** Waits until n more checkpoints have completed: what was read before is committed downstream. */
    static void awaitCheckpoints(MiniCluster cluster, JobID id, int n) throws Exception {
        long target = completedCheckpoints(cluster, id) + n;
        await(n + " checkpoints of " + id, Duration.ofSeconds(90), () -> completedCheckpoints(cluster, id) >= target);
    }

    /** Restarts of a job so far: every task of it restarts on a failure (one pipelined region). */
    static int restarts(MiniCluster cluster, JobID id) throws Exception {
        int restarts = 0;
        for (AccessExecutionVertex v : graph(cluster, id).getAllExecutionVertices()) {
            restarts = Math.max(restarts, v.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return restarts;
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
