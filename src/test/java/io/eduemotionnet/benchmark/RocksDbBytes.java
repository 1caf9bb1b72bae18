package io.eduemotionnet.benchmark;

import java.util.LinkedHashMap;
import java.util.Map;

/** RocksDB's live data per learner, in all and by operator and state (column family). */
final class RocksDbBytes {
    private RocksDbBytes() {}

    static Map<String, Object> perLearner(Map<String, Long> liveBytes, int learners) {
        long total = liveBytes.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "RocksDB's estimate-live-data-size after a checkpoint flushed the memtables, summed over subtasks");
        r.put("bytes_per_learner", Math.round((double) total / learners));
        Map<String, Object> byState = new LinkedHashMap<>();
        liveBytes.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> byState.put(e.getKey(), Math.round((double) e.getValue() / learners)));
        r.put("bytes_per_learner_by_operator_and_state", byState);
        return r;
    }
}
