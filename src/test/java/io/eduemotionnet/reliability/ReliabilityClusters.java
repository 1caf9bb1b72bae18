package io.eduemotionnet.reliability;

import io.eduemotionnet.TestClusters;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * Two TaskManagers of one slot each, RocksDB, checkpoints every second: a job of parallelism 2 has a
 * task on both, so terminating either one fails the job, which restarts from its last checkpoint.
 */
final class ReliabilityClusters {
    private ReliabilityClusters() {}

    static MiniClusterExtension twoTaskManagers() {
        Configuration conf = TestClusters.configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(conf)
                .setNumberTaskManagers(2)
                .setNumberSlotsPerTaskManager(1)
                .build());
    }
}
