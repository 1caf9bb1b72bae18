package io.eduemotionnet.reliability;

import io.eduemotionnet.model.ModelInfo;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.core.execution.JobClient;

/**
 * The uninterrupted run the others are compared with: the whole LearnerStream as one backlog, no
 * failure, no bad record. Run once per test JVM and kept (both reliability tests compare with it).
 */
final class ReferenceRun {
    static final int PARTITIONS = 4;
    private static ReferenceRun cached;

    final LearnerStream stream;
    final RunOutputs outputs;

    private ReferenceRun(LearnerStream stream, RunOutputs outputs) {
        this.stream = stream;
        this.outputs = outputs;
    }

    static synchronized ReferenceRun get(String bootstrap, ModelInfo model, String savepoints)
            throws Exception {
        if (cached == null) {
            LearnerStream stream = new LearnerStream(model.stepMillis);
            String prefix = "reference";
            try (TopicIo io = new TopicIo(bootstrap)) {
                io.createTopics(PARTITIONS, RunOutputs.topics(prefix));
                List<TopicIo.Record> all = new ArrayList<>();
                for (int phase = 0; phase < LearnerStream.PHASES; phase++) {
                    all.addAll(stream.phase(phase, PARTITIONS));
                }
                all.addAll(stream.sentinels(0, PARTITIONS, 0, 1, 2, 3));
                io.produce(prefix + "-events", all);
                JobClient job = JobRuns.start(JobRuns.config(bootstrap, prefix), model, 2, null);
                Sentinels.await(io, prefix, stream, 0, 0, 1, 2, 3);
                JobRuns.stopWithSavepoint(job, savepoints);
                cached = new ReferenceRun(stream, RunOutputs.read(io, prefix));
            }
        }
        return cached;
    }
}
