package io.eduemotionnet.signals;

import io.eduemotionnet.TestClusters;
import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityWeights;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.cep.CEP;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.nfa.aftermatch.AfterMatchSkipStrategy;
import org.apache.flink.cep.pattern.Pattern;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Measures, before choosing, what the intervention rules cost as Flink CEP patterns and as the keyed
 * function the job uses ({@link SignalsFunction}): the same stream of predictions (parallelism 1,
 * RocksDB, event time) through (a) nothing (the baseline: source, timestamps, keyBy, sink), (b) the
 * keyed function with the three default rules, (c) one CEP pattern per default rule (begin.times(n)
 * .consecutive() over steps with input, the mean and latest probabilities checked on the match). CEP alone does not
 * give once-per-episode and the cooldown (a keyed function after it would), so (c) is a lower bound.
 * Prints the process CPU time per prediction above the baseline (best of 2 runs each).
 *
 * <p>Run: {@code mvn -q test-compile exec:exec@rule-timing} (about 2 min); {@code --learners N --steps T}.
 */
public final class RuleEngineTiming {
    private static final long T0 = 1_700_000_040_000L;
    private static final long STEP = 2_000;
    private static final List<String> CLASSES = SignalsFunctionTest.CLASSES;

    private RuleEngineTiming() {}

    enum Variant { BASELINE, KEYED_FUNCTION, CEP }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int learners = Integer.parseInt(opts.getOrDefault("learners", "1000"));
        int steps = Integer.parseInt(opts.getOrDefault("steps", "300"));
        long n = (long) learners * steps;
        Map<Variant, double[]> best = new HashMap<>(); // {cpu seconds, wall seconds, events}
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "2"));
        for (int round = 0; round < rounds; round++) {
            for (Variant v : Variant.values()) {
                double[] r = run(v, learners, steps);
                best.merge(v, r, (a, b) -> a[0] <= b[0] ? a : b);
                System.out.printf("  round %d %-15s cpu %6.1f s  wall %6.1f s  events %,.0f%n", round + 1, v, r[0], r[1], r[2]);
            }
        }
        double base = best.get(Variant.BASELINE)[0];
        System.out.printf("%,d predictions (%d learners x %d steps), parallelism 1, RocksDB, best of %d run(s)%n", n, learners, steps, rounds);
        for (Variant v : List.of(Variant.KEYED_FUNCTION, Variant.CEP)) {
            double[] r = best.get(v);
            System.out.printf("  %-15s %6.2f us CPU per prediction above the baseline (%,.0f events)%n", v,
                    (r[0] - base) * 1e6 / n, r[2]);
        }
    }

    static double[] run(Variant variant, int learners, int steps) throws Exception {
        Configuration conf = TestClusters.configuration();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        env.getConfig().setAutoWatermarkInterval(200);
        DataStream<Prediction> predictions = env.fromSequence(0, (long) learners * steps - 1)
                .map(i -> prediction((int) (i % learners), (int) (i / learners))).returns(Prediction.class)
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Prediction>forMonotonousTimestamps()
                        .withTimestampAssigner((p, ts) -> p.getStepEnd().toEpochMilli() - 1));
        JobConfig cfg = JobConfig.from(new Configuration());
        List<InterventionRule> rules = InterventionRule.bind(cfg.interventionRules, CLASSES, STEP);
        DataStream<Intervention> out;
        switch (variant) {
            case BASELINE:
                out = predictions.keyBy(Prediction::getLearnerId).process(new Nothing()).returns(Intervention.class);
                break;
            case KEYED_FUNCTION:
                out = predictions.map(SignalInput::of).returns(SignalInput.class).keyBy(SignalInput::learnerId)
                        .process(new SignalsFunction(new InterventionRules(rules, cfg.interventionCooldown.toMillis()), CLASSES,
                                Duration.ofHours(1))).returns(Intervention.class);
                break;
            default:
                KeyedStream<Prediction, String> keyed = predictions.filter(p -> !p.getPresent().isEmpty())
                        .keyBy(Prediction::getLearnerId);
                out = null;
                for (InterventionRule rule : rules) {
                    DataStream<Intervention> matches = CEP.pattern(keyed, pattern(rule)).process(new Matches(rule))
                            .returns(Intervention.class);
                    out = out == null ? matches : out.union(matches);
                }
        }
        out.map(new Count()).returns(Intervention.class).sinkTo(new DiscardingSink<>());
        long cpu = cpuNanos();
        long wall = System.nanoTime();
        JobExecutionResult result = env.execute("rule-timing-" + variant);
        Long events = result.getAccumulatorResult("events");
        return new double[] {(cpuNanos() - cpu) / 1e9, (System.nanoTime() - wall) / 1e9, events == null ? 0 : events};
    }

    static Pattern<Prediction, ?> pattern(InterventionRule rule) {
        return Pattern.<Prediction>begin("run", AfterMatchSkipStrategy.skipPastLastEvent())
                .where(SimpleCondition.of(p -> p.getLabel().equals(rule.state)))
                .times(rule.minSteps).consecutive();
    }

    /** A CEP match of a rule: an intervention when the mean and the latest probabilities reach the rule's minimums. */
    static final class Matches extends PatternProcessFunction<Prediction, Intervention> {
        private final InterventionRule rule;

        Matches(InterventionRule rule) {
            this.rule = rule;
        }

        @Override
        public void processMatch(Map<String, List<Prediction>> match, Context ctx, Collector<Intervention> out) {
            List<Prediction> run = match.get("run");
            double sum = 0;
            for (Prediction p : run) {
                sum += p.getProbabilities().get(rule.state);
            }
            Prediction last = run.get(run.size() - 1);
            if (sum / run.size() >= rule.minMeanProbability && last.getProbabilities().get(rule.state) >= rule.minLatestProbability) {
                out.collect(new Intervention(last.getLearnerId(), last.getSessionId(), rule.name, rule.state,
                        run.get(0).getStepStart(), last.getStepEnd(), run.size(), (float) (sum / run.size()), last.getModelVersion()));
            }
        }
    }

    /** The baseline's keyed stage: reads every prediction, emits nothing. */
    static final class Nothing extends KeyedProcessFunction<String, Prediction, Intervention> {
        @Override
        public void processElement(Prediction p, Context ctx, Collector<Intervention> out) {
            // the baseline: source, timestamps, the shuffle and the sink, no rule
        }
    }

    static final class Count extends RichMapFunction<Intervention, Intervention> {
        private transient LongCounter events;

        @Override
        public void open(OpenContext context) {
            events = getRuntimeContext().getLongCounter("events");
        }

        @Override
        public Intervention map(Intervention i) {
            events.add(1L);
            return i;
        }
    }

    /** Learner l's step t: runs of 15 steps of one label (probability 0.9), every fifth step without input. */
    static Prediction prediction(int l, int t) {
        long h = (l * 0x9E3779B97F4A7C15L + (t / 15) * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 31;
        String label = CLASSES.get((int) Math.floorMod(h, (long) CLASSES.size()));
        Map<String, Float> probs = new HashMap<>();
        for (String c : CLASSES) {
            probs.put(c, c.equals(label) ? 0.9f : 0.1f / 3);
        }
        boolean input = (t + l) % 5 != 0;
        return new Prediction("learner-" + l, "s1", Instant.ofEpochMilli(T0 + t * STEP), Instant.ofEpochMilli(T0 + (t + 1) * STEP),
                probs, label, new ModalityWeights(0.2f, 0.5f, 0.3f), input ? List.of(Modality.AUDIO, Modality.VISUAL) : List.of(),
                "timing", Instant.ofEpochMilli(T0), null);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
