package io.eduemotionnet.benchmark;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.apache.flink.streaming.api.graph.StreamNode;

/**
 * The job's state per learner, from a canonical savepoint of the running job: each live key and value
 * written once (a checkpoint's SST files also hold older versions until RocksDB compacts them). Sizes by
 * operator, named by their uids. Taken once every learner's last step is in: the learner operator then
 * holds each learner's carried state and one open step (spilled into keyed state at the snapshot).
 */
final class SavepointState {
    private SavepointState() {}

    static Map<String, Object> measure(String savepointPath, StreamGraph graph, int learners) throws Exception {
        Path dir = Path.of(java.net.URI.create(savepointPath.startsWith("file:") ? savepointPath : "file:" + savepointPath));
        CheckpointMetadata metadata;
        try (InputStream in = Files.newInputStream(dir.resolve("_metadata"))) {
            metadata = Checkpoints.loadCheckpointMetadata(new DataInputStream(in),
                    SavepointState.class.getClassLoader(), dir.toString());
        }
        Map<OperatorID, String> names = new HashMap<>();
        for (StreamNode node : graph.getStreamNodes()) {
            if (node.getTransformationUID() != null) {
                names.put(new OperatorID(StreamGraphHasherV2.generateUserSpecifiedHash(node.getTransformationUID())),
                        node.getTransformationUID());
            }
        }
        long total = 0;
        Map<String, Long> byOperator = new LinkedHashMap<>();
        for (OperatorState op : metadata.getOperatorStates()) {
            total += op.getStateSize();
            if (op.getStateSize() > 0) {
                byOperator.merge(names.getOrDefault(op.getOperatorID(), op.getOperatorID().toString()), op.getStateSize(), Long::sum);
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("savepoint_bytes", total);
        r.put("bytes_per_learner", Math.round((double) total / learners));
        Map<String, Object> perLearner = new LinkedHashMap<>();
        byOperator.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> perLearner.put(e.getKey(), Math.round((double) e.getValue() / learners)));
        r.put("bytes_per_learner_by_operator_uid", perLearner);
        return r;
    }
}
