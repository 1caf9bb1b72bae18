package io.eduemotionnet.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;

/** Issue 10's targets, each with the measured figure and whether it was reached (reported, never asserted). */
final class Targets {
    static final double CPU_OVER_ONNX = 4.0;
    static final double PREDICTIONS_PER_CPU_SECOND_GAIN = 3.0;
    static final long LATENCY_SLACK_MS = 200;
    static final long STATE_BYTES = 4500;

    private Targets() {}

    static Map<String, Object> check(Map<String, Object> kafka, int[] learners, long stepMillis, String baselinePath) throws Exception {
        Map<?, ?> small = (Map<?, ?>) kafka.get("learners_" + learners[0]);
        Map<?, ?> large = (Map<?, ?>) kafka.get("learners_" + learners[learners.length - 1]);
        Map<String, Object> t = new LinkedHashMap<>();
        double ratio = number(small, "cpu_over_onnx");
        Map<String, Object> cpu = target(ratio, ratio <= CPU_OVER_ONNX, "learners_" + learners[0]);
        for (int n : learners) { // how low any job of this shape gets on these cores: FrameworkFloor (less JIT) + ONNX
            Map<?, ?> floor = (Map<?, ?>) ((Map<?, ?>) kafka.get("learners_" + n)).get("framework_floor");
            if (floor != null) {
                cpu.put("framework_floor_less_jit_with_onnx_over_onnx_learners_" + n, floor.get("less_jit_with_onnx_row_over_onnx"));
            }
        }
        t.put("cpu_per_prediction_at_most_4x_onnx_row", cpu);
        if (baselinePath != null && new File(baselinePath).exists()) {
            Map<?, ?> base = (Map<?, ?>) ((Map<?, ?>) new ObjectMapper().readValue(new File(baselinePath), Map.class).get("kafka"))
                    .get("learners_" + learners[0]);
            if (base != null) { // the baseline has the same number of learners
                double gain = number(base, "cpu_microseconds_per_prediction") / number(small, "cpu_microseconds_per_prediction");
                t.put("predictions_per_cpu_second_at_least_3x_baseline",
                        target(InferenceBenchmark.round(gain), gain >= PREDICTIONS_PER_CPU_SECOND_GAIN, baselinePath));
            }
        }
        Map<?, ?> realTime = (Map<?, ?>) large.get("real_time");
        Map<String, Object> rt = new LinkedHashMap<>();
        rt.put("kept_up", Boolean.TRUE.equals(realTime.get("kept_up")));
        rt.put("predictions_per_s_needed", Math.round(learners[learners.length - 1] * 1000.0 / stepMillis));
        rt.put("replay_predictions_per_s", large.get("predictions_per_s"));
        if (realTime.containsKey("most_live_learners_by_replay_rate")) {
            rt.put("most_live_learners_by_replay_rate", realTime.get("most_live_learners_by_replay_rate"));
        }
        t.put("learners_" + learners[learners.length - 1] + "_at_real_time_pace", rt);
        Object p99 = small.get("latency_ms_p99");
        long bound = io.eduemotionnet.config.JobConfig.from(new org.apache.flink.configuration.Configuration()).outOfOrderness.toMillis()
                + LATENCY_SLACK_MS; // edu.ingest.out-of-orderness + 200 ms
        t.put("latency_p99_at_most_" + bound + "_ms", target(p99, p99 != null && ((Number) p99).longValue() <= bound, "learners_" + learners[0]));
        double state = number(large, "rocksdb_bytes_per_learner");
        t.put("rocksdb_bytes_per_learner_at_most_" + STATE_BYTES, target(state, state <= STATE_BYTES, "learners_" + learners[learners.length - 1]));
        return t;
    }

    private static Map<String, Object> target(Object value, boolean reached, String from) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("measured", value);
        m.put("reached", reached);
        m.put("from", from);
        return m;
    }

    private static double number(Map<?, ?> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }
}
