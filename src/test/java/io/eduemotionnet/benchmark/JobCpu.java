package io.eduemotionnet.benchmark;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the job's CPU goes between two moments: the process's CPU time (the broker and the producer run
 * in other JVMs, so this is the job's), split by thread. Flink runs each task (a chain of operators) on
 * one thread named after the chain, so a task thread's CPU time is exactly what its operators spent;
 * the other Java threads are grouped by name (Kafka clients, checkpointing, ...), and the JVM's and
 * RocksDB's native threads by kind ({@link NativeThreads}: GC, JIT, RocksDB background work).
 */
final class JobCpu {
    static final String NATIVE = "other native threads, and threads that ended";
    static final String BENCHMARK = "main";

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long processStart;
    private final Map<Long, Long> threadStart = new HashMap<>();

    private final Map<String, Long> nativeStart;

    JobCpu() {
        nativeStart = NativeThreads.byKind();
        processStart = os.getProcessCpuTime();
        for (long id : threads.getAllThreadIds()) {
            threadStart.put(id, threads.getThreadCpuTime(id));
        }
    }

    /** The CPU spent since this was created, by thread group. */
    Window end() {
        Map<String, Long> nanos = new HashMap<>();
        long javaThreads = 0;
        long process = os.getProcessCpuTime() - processStart;
        for (long id : threads.getAllThreadIds()) {
            ThreadInfo info = threads.getThreadInfo(id);
            long cpu = threads.getThreadCpuTime(id);
            if (info == null || cpu < 0) {
                continue;
            }
            long spent = cpu - threadStart.getOrDefault(id, 0L);
            javaThreads += spent;
            nanos.merge(group(info.getThreadName()), spent, Long::sum);
        }
        long named = 0;
        for (Map.Entry<String, Long> e : NativeThreads.byKind().entrySet()) {
            long spent = Math.max(0, e.getValue() - nativeStart.getOrDefault(e.getKey(), 0L));
            nanos.put(e.getKey(), spent);
            named += spent;
        }
        nanos.put(NATIVE, Math.max(0, process - javaThreads - named));
        // the benchmark's own thread (it polls the job's metrics) is not the job's
        return new Window(process - nanos.getOrDefault(BENCHMARK, 0L), nanos);
    }

    static final class Window {
        private final long processNanos;
        private final Map<String, Long> nanos;

        Window(long jobNanos, Map<String, Long> nanos) {
            this.processNanos = jobNanos;
            this.nanos = new HashMap<>(nanos);
            this.nanos.remove(BENCHMARK);
        }

        /** The process's CPU time less the benchmark's own thread. */
        long jobNanos() {
            return processNanos;
        }

        /** The same less the JIT compilers' threads: the steady state's cost, once the code is compiled. */
        long jobNanosLessJit() {
            return processNanos - nanos.getOrDefault(NativeThreads.JIT, 0L);
        }

        /** Share and µs per prediction of each task (subtasks summed) and thread group, largest first. */
        Map<String, Object> byTask(long predictions) {
            long floor = processNanos / 200; // groups under 0.5 % are summed into one
            Map<String, Object> out = new LinkedHashMap<>();
            nanos.entrySet().stream()
                    .filter(e -> e.getValue() >= floor)
                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                    .forEach(e -> out.put(e.getKey(), entry(e.getValue(), processNanos, predictions)));
            long small = nanos.values().stream().filter(v -> v < floor).mapToLong(Long::longValue).sum();
            out.put("other threads (each under 0.5 %)", entry(small, processNanos, predictions));
            return out;
        }
    }

    private static Map<String, Object> entry(long nanos, long total, long predictions) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("share", Math.round(1000.0 * nanos / total) / 1000.0);
        e.put("microseconds_per_prediction", InferenceBenchmark.round(nanos / 1000.0 / predictions));
        return e;
    }

    /**
     * A task thread "Source: a -> b (1/2)#0" becomes "task: Source: a -> b"; other threads lose their
     * numbers ("kafka-producer-network-thread | producer-12" -> "kafka-producer-network-thread | producer-").
     */
    static String group(String threadName) {
        String task = threadName.replaceFirst(" \\(\\d+/\\d+\\)#\\d+$", "");
        if (!task.equals(threadName)) {
            return "task: " + task;
        }
        return threadName.replaceAll("\\d+", "");
    }
}
