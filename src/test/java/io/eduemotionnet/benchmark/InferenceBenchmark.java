package io.eduemotionnet.benchmark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * The benchmark command (not a test): the job as a user runs it, from a real Kafka broker to the
 * exactly-once Kafka sinks, at 10 000 and 100 000 learners (20 % missing), plus the job on its built-in
 * synthetic source and ONNX Runtime alone. Prints and writes one JSON document (see README: Benchmark).
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@benchmark -Drun.args="--out target/benchmark.json"};
 * options {@code --learners 10000,100000}, {@code --replay-steps 12,3}, {@code --live-warm-up-steps 15},
 * {@code --live-steps 8,4}, {@code --synthetic-steps 30} (0 leaves a live run or the synthetic part out), {@code --floor 0}
 * (leaves out the {@link FrameworkFloor} run after each replay), {@code --baseline
 * docs/benchmark-baseline.json} (the default: an earlier run of this command, before the learner
 * operator, to compare CPU per prediction with), {@code --flink.KEY VALUE} (a Flink setting for the measured
 * job, recorded in the JSON as {@code flink_overrides}).
 */
public final class InferenceBenchmark {
    private InferenceBenchmark() {}

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        int[] learners = ints(opts.getOrDefault("learners", "10000,100000"));
        int[] replaySteps = ints(opts.getOrDefault("replay-steps", "12,3"));
        int[] liveSteps = ints(opts.getOrDefault("live-steps", "8,4"));
        int warmUp = Integer.parseInt(opts.getOrDefault("live-warm-up-steps", "15"));
        int syntheticSteps = Integer.parseInt(opts.getOrDefault("synthetic-steps", "30"));
        boolean floor = !"0".equals(opts.getOrDefault("floor", "1"));
        File out = new File(opts.getOrDefault("out", "target/benchmark.json"));

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("machine", machine());
        report.put("load_average_at_start", loadAverage());
        report.put("flink_overrides", flinkOverrides(opts));
        ModelInfo model = OnnxEmotionModel.inspect(JobConfig.from(new Configuration()).modelPath);
        Map<String, Object> onnx = OnnxOnly.measure(1024, 3);
        report.put("onnx_runtime_only", onnx);
        // CPU against CPU: the job's figure is CPU time too
        double onnxRow = ((Number) onnx.get("cpu_microseconds_per_row")).doubleValue();
        Map<String, Object> kafka = new LinkedHashMap<>();
        try (ChildJvm broker = ChildJvm.start("broker", "2g", BenchmarkBroker.class, List.of())) {
            KafkaJobRun runs = new KafkaJobRun(broker.expect("bootstrap "), model, flinkOverrides(opts));
            for (int i = 0; i < learners.length; i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                Map<String, Object> replay = runs.replay("replay-" + learners[i], learners[i], replaySteps[i]);
                System.out.println("replay " + learners[i] + ": " + replay);
                Map<String, Object> live = liveSteps[i] > 0
                        ? RealTime.run(runs, replay, learners[i], warmUp, liveSteps[i], model.stepMillis, i == 0)
                        : new LinkedHashMap<>(Map.of("left_out", "--live-steps 0"));
                System.out.println("live " + learners[i] + ": " + live);
                row.put("predictions_per_s", replay.get("predictions_per_s"));
                row.put("events_per_s", replay.get("events_per_s"));
                row.put("cpu_microseconds_per_prediction", replay.get("cpu_microseconds_per_prediction"));
                row.put("onnx_microseconds_per_row", onnxRow);
                row.put("cpu_over_onnx", round(((Number) replay.get("cpu_microseconds_per_prediction")).doubleValue() / onnxRow));
                row.put("latency_ms_p50", live.get("latency_ms_p50"));
                row.put("latency_ms_p99", live.get("latency_ms_p99"));
                row.put("rocksdb_bytes_per_learner", ((Map<?, ?>) replay.get("state")).get("bytes_per_learner"));
                row.put("heap_bytes_per_learner", replay.get("heap_bytes_per_learner"));
                row.put("cpu_by_operator", replay.get("cpu_by_operator"));
                row.put("replay", replay);
                row.put("real_time", live);
                if (floor) {
                    Map<String, Object> f = runs.floor("floor-" + learners[i], learners[i], replaySteps[i]);
                    System.out.println("framework floor " + learners[i] + ": " + f);
                    // JIT compilation left out of both: the floor's lowest figure, against the job's (replay) same
                    double floorCpu = ((Number) f.get("cpu_microseconds_per_prediction_less_jit")).doubleValue();
                    f.put("less_jit_with_onnx_row_over_onnx", round((floorCpu + onnxRow) / onnxRow));
                    f.put("less_jit_share_of_the_job", Math.round(1000 * floorCpu
                            / ((Number) replay.get("cpu_microseconds_per_prediction_less_jit")).doubleValue()) / 1000.0);
                    row.put("framework_floor", f);
                }
                kafka.put("learners_" + learners[i], row);
            }
        }
        report.put("kafka", kafka);
        write(report, out); // the measured part is kept even if a derived one below fails
        Map<String, Object> largest = (Map<String, Object>) kafka.get("learners_" + learners[learners.length - 1]);
        Map<String, Object> capacity = new LinkedHashMap<>();
        for (long n : new long[] {100_000, 1_000_000}) {
            capacity.put("learners_" + n, Capacity.forLearners(n, model.stepMillis, largest, "kafka.learners_" + learners[learners.length - 1]));
        }
        report.put("capacity", capacity);
        report.put("targets", Targets.check(kafka, learners, model.stepMillis,
                opts.getOrDefault("baseline", "docs/benchmark-baseline.json")));
        if (syntheticSteps > 0) {
            Map<String, Object> synthetic = SyntheticRun.replay(learners[0], syntheticSteps);
            System.out.println("synthetic: " + synthetic);
            report.put("synthetic", Map.of("learners_" + learners[0], synthetic));
        }
        report.put("load_average_at_end", loadAverage());
        write(report, out);
        System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        System.out.println("wrote " + out);
        System.exit(0); // the MiniClusters' and Kafka clients' leftover threads
    }

    private static void write(Map<String, Object> report, File out) throws java.io.IOException {
        if (out.getParentFile() != null) {
            out.getParentFile().mkdirs();
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, report);
    }

    /** {@code --flink.KEY VALUE} options: Flink settings for the measured job, over the benchmark's own (e.g. to compare one). */
    static Map<String, String> flinkOverrides(Map<String, String> opts) {
        Map<String, String> flink = new LinkedHashMap<>();
        opts.forEach((k, v) -> {
            if (k.startsWith("flink.")) {
                flink.put(k.substring("flink.".length()), v);
            }
        });
        return flink;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        return opts;
    }

    private static int[] ints(String csv) {
        return java.util.Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_gib", Math.round(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() / (1024.0 * 1024 * 1024)));
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (Exception e) {
            m.put("cpu", ManagementFactory.getOperatingSystemMXBean().getArch());
        }
        return m;
    }

    /** The 1, 5 and 15-minute load averages (as uptime prints them): other work on the machine. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
