package io.eduemotionnet.benchmark;

import java.lang.management.ManagementFactory;

/** The JVM heap the job holds: what is still used after full collections (the live objects). */
final class Heap {
    private Heap() {}

    static long usedAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
