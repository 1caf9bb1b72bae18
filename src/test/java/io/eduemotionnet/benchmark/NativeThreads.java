package io.eduemotionnet.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of this process's threads that are not Java threads, by what they do, from Linux's
 * /proc/self/task/<tid>/stat (utime + stime, clock ticks of 10 ms): the JVM's garbage collector and JIT
 * compilers and RocksDB's background flushes and compactions. Empty where /proc is not there.
 */
final class NativeThreads {
    private static final double NANOS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux

    private NativeThreads() {}

    /** Nanoseconds by kind, for the threads alive now. */
    static Map<String, Long> byKind() {
        Map<String, Long> out = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(task -> {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int close = stat.lastIndexOf(')');
                    String name = stat.substring(stat.indexOf('(') + 1, close);
                    String[] f = stat.substring(close + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                    String kind = kind(name);
                    if (kind != null) {
                        out.merge(kind, (long) (ticks * NANOS_PER_TICK), Long::sum);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            });
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    static final String JIT = "JVM JIT compilers";

    /** The kind of a native thread by its name (Linux keeps 15 characters), or null for others. */
    static String kind(String name) {
        if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            return "JVM garbage collection (G1 threads)";
        }
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            return JIT;
        }
        if (name.startsWith("rocksdb:")) {
            return "RocksDB background flush and compaction";
        }
        if (name.equals("VM Thread") || name.equals("VM Periodic Tas")) {
            return "JVM VM thread (safepoints)";
        }
        return null;
    }
}
