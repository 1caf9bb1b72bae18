package io.eduemotionnet.benchmark;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The real-time run for a number of learners, where it can be measured: when the replay shows the job
 * cannot score {@code learners / step} predictions a second, a live run would only measure a backlog
 * growing without end. Then the most learners the replay rate allows is reported, and a live run at 80 %
 * of it checks that the job keeps up there. The smallest row always runs live at its own size (its
 * latency is a target).
 */
final class RealTime {
    static final double MARGIN = 0.8;

    private RealTime() {}

    /** {@code always}: run live at {@code learners} even when the replay says the job cannot keep up. */
    static Map<String, Object> run(KafkaJobRun runs, Map<String, Object> replay, int learners, int warmUp, int steps,
                                   long stepMillis, boolean always) throws Exception {
        double rate = ((Number) replay.get("predictions_per_s")).doubleValue();
        double needed = learners * 1000.0 / stepMillis;
        double producerMicros = 1e6 / ((Number) ((Map<?, ?>) replay.get("producer")).get("learner_steps_per_s")).doubleValue();
        if (always || rate >= needed) {
            Map<String, Object> live = runs.live("live-" + learners, learners, warmUp, steps, producerMicros);
            live.put("predictions_per_s_needed", Math.round(needed));
            return live;
        }
        int most = (int) (rate * stepMillis / 1000.0);
        int checked = Math.max(1000, (int) (most * MARGIN) / 1000 * 1000);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kept_up", false);
        r.put("why", "the replay scored " + Math.round(rate) + " predictions/s; " + learners + " learners need "
                + Math.round(needed) + "/s");
        r.put("latency_ms_p50", null);
        r.put("latency_ms_p99", null);
        r.put("most_live_learners_by_replay_rate", most);
        Map<String, Object> live = runs.live("live-" + checked, checked, warmUp, steps, producerMicros);
        r.put("live_run_at_" + (int) (MARGIN * 100) + "_percent_of_that", live);
        return r;
    }
}
