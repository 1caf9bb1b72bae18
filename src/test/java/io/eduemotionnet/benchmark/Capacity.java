package io.eduemotionnet.benchmark;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sizing derived from one measured row (docs/capacity.md explains it): at real-time pace every learner
 * needs one prediction per step, so cores = learners / step seconds x the job's CPU per prediction, with
 * headroom to catch up after a restart; memory = heap and RocksDB state per learner x learners; the
 * TaskManagers are the Helm chart's default pods (2 cores, 2 slots, 4 GiB).
 */
final class Capacity {
    /** Cores kept free for catching up after a restart or a burst: the job runs at most at 70 %. */
    static final double TARGET_UTILISATION = 0.7;
    static final int CORES_PER_TASKMANAGER = 2;

    private Capacity() {}

    static Map<String, Object> forLearners(long learners, long stepMillis, Map<String, Object> measured, String from) {
        double cpuMicros = ((Number) measured.get("cpu_microseconds_per_prediction")).doubleValue();
        double heapPerLearner = ((Number) measured.get("heap_bytes_per_learner")).doubleValue();
        double statePerLearner = ((Number) measured.get("rocksdb_bytes_per_learner")).doubleValue();
        double predictionsPerS = learners * 1000.0 / stepMillis;
        double busyCores = predictionsPerS * cpuMicros / 1e6;
        int cores = (int) Math.ceil(busyCores / TARGET_UTILISATION);
        int byCpu = (int) Math.ceil((double) cores / CORES_PER_TASKMANAGER);
        double heapGib = Math.max(0, heapPerLearner) * learners / (1L << 30);
        double taskHeapGib = taskManagerTaskHeapBytes() / (double) (1L << 30);
        int byHeap = (int) Math.ceil(heapGib / taskHeapGib);
        int taskManagers = Math.max(1, Math.max(byCpu, byHeap));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("from", from);
        r.put("learners", learners);
        r.put("predictions_per_s", Math.round(predictionsPerS));
        r.put("busy_cores", InferenceBenchmark.round(busyCores));
        r.put("cores_at_70_percent", cores);
        r.put("heap_gib_for_learners", InferenceBenchmark.round(heapGib));
        Map<?, ?> replay = (Map<?, ?>) measured.get("replay");
        double eventsPerPrediction = ((Number) replay.get("events")).doubleValue() / ((Number) replay.get("predictions")).doubleValue();
        Object bytesPerEvent = ((Map<?, ?>) replay.get("producer")).get("bytes_per_event");
        if (bytesPerEvent != null) { // what the brokers take in (not sized here: they are not the job)
            r.put("kafka_input_mb_per_s", InferenceBenchmark.round(predictionsPerS * eventsPerPrediction
                    * ((Number) bytesPerEvent).doubleValue() / 1e6));
        }
        r.put("rocksdb_state_gib", InferenceBenchmark.round(statePerLearner * learners / (1L << 30)));
        r.put("taskmanager_task_heap_gib", InferenceBenchmark.round(taskHeapGib));
        r.put("taskmanagers_2_cores_4_gib", taskManagers);
        r.put("parallelism", taskManagers * CORES_PER_TASKMANAGER);
        return r;
    }

    /** The task heap Flink's memory model gives the chart's TaskManager (4 GiB process, 512 MiB task off-heap). */
    static long taskManagerTaskHeapBytes() {
        org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
        conf.setString("taskmanager.memory.process.size", "4096m");
        conf.setString("taskmanager.memory.task.off-heap.size", "512m");
        return org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils.processSpecFromConfig(conf)
                .getTaskHeapSize().getBytes();
    }
}
