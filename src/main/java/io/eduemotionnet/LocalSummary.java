package io.eduemotionnet;

import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.ingest.DeadLetterRecord;
import io.eduemotionnet.privacy.PrivacyMetrics;
import io.eduemotionnet.signals.CohortAffectWindow;
import io.eduemotionnet.synthetic.SyntheticConsent;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * The embedded default's client side: collects every output of the local run, shows progress, and
 * ends with a summary — learners, steps, predictions, dead letters, macro-F1 against the
 * generator's truth (the synthetic source is deterministic, so the truth is recomputed here from
 * its seed), throughput. Prints counts and scores only: no learner ids, no embeddings.
 */
final class LocalSummary {
    private static final long PROGRESS_EVERY_MS = 5_000;

    private final JobConfig cfg;
    private final ModelInfo model;
    private final SyntheticStream synthetic;

    LocalSummary(JobConfig cfg, ModelInfo model, SyntheticStream synthetic) {
        this.cfg = cfg;
        this.model = model;
        this.synthetic = synthetic;
    }

    void run(StreamExecutionEnvironment env, EmotionPipeline.Outputs out) throws Exception {
        CloseableIterator<Prediction> predictions = out.predictions.collectAsync();
        List<Counting<?>> others = List.of(
                new Counting<>("dead letters", out.deadLetters.collectAsync()),
                new Counting<>("late events", out.lateEvents.collectAsync()),
                new Counting<>("dropout reports", out.dropout.collectAsync()),
                new Counting<>("confidence reports", out.confidence.collectAsync()),
                new Counting<>("interventions", out.interventions.collectAsync()),
                new Counting<>("cohort affect", out.cohortAffect.collectAsync()),
                new Counting<>("erasure receipts", out.receipts != null ? out.receipts.collectAsync() : CloseableIterator.empty()));
        long start = System.currentTimeMillis();
        JobClient job = env.executeAsync("edu-emotionnet (embedded)");
        System.out.printf("Edu-EmotionNet: embedded run, model %s (trained on %s)%n", model.version, model.trainingData);
        if (synthetic != null) {
            System.out.printf("synthetic source: %d learners, %d session(s) each, %.0f %% missing modality-steps, seed %d%n",
                    synthetic.learners, synthetic.sessionsPerLearner, 100 * synthetic.missingRate, synthetic.seed);
        }
        List<Thread> threads = new ArrayList<>();
        for (Counting<?> c : others) {
            Thread t = new Thread(c, "collect-" + c.name);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        Scores scores = new Scores(model.classes.size());
        Set<String> learners = new HashSet<>();
        Map<Integer, int[]> truth = new HashMap<>();
        long count = 0;
        long gapSteps = 0;
        long firstStep = Long.MAX_VALUE;
        long lastStep = Long.MIN_VALUE;
        long lastProgress = start;
        try (CloseableIterator<Prediction> it = predictions) {
            while (it.hasNext()) {
                Prediction p = it.next();
                count++;
                learners.add(p.getLearnerId());
                if (p.getPresent().isEmpty()) {
                    gapSteps++;
                }
                firstStep = Math.min(firstStep, p.getStepStart().toEpochMilli());
                lastStep = Math.max(lastStep, p.getStepStart().toEpochMilli());
                int label = truthOf(p, truth);
                if (label >= 0) {
                    scores.add(label, model.classes.indexOf(p.getLabel()));
                }
                long now = System.currentTimeMillis();
                if (now - lastProgress >= PROGRESS_EVERY_MS) {
                    lastProgress = now;
                    System.out.printf("  %6.1f s  %,d predictions  %,d learners  %,d dead letters  macro-F1 so far %.3f%n",
                            (now - start) / 1000.0, count, learners.size(), others.get(0).count.get(), scores.macroF1());
                }
            }
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        var result = job.getJobExecutionResult().get();
        double seconds = Math.max(1e-3, (System.currentTimeMillis() - start) / 1000.0);
        Map<String, Long> reasons = new TreeMap<>();
        for (Object d : others.get(0).items) {
            reasons.merge(((DeadLetterRecord) d).reason, 1L, Long::sum);
        }
        System.out.println();
        System.out.println("Summary");
        System.out.printf("  learners          %,d%n", learners.size());
        if (count > 0) {
            System.out.printf("  steps             %,d time steps of %.0f s (event time), one prediction per learner active in each%n",
                    (lastStep - firstStep) / model.stepMillis + 1, model.stepMillis / 1000.0);
        }
        System.out.printf("  predictions       %,d (%,d of them steps without any input, scored from the carried state)%n", count, gapSteps);
        System.out.printf("  dead letters      %,d %s%n", others.get(0).count.get(), reasons);
        System.out.printf("  late events       %,d%n", others.get(1).count.get());
        System.out.printf("  dropout reports   %,d, confidence reports %,d%n", others.get(2).count.get(), others.get(3).count.get());
        List<Intervention> interventions = new ArrayList<>();
        others.get(4).items.forEach(i -> interventions.add((Intervention) i));
        new SignalsSummary(cfg, model, synthetic).print(interventions);
        Long suppressed = result.getAccumulatorResult(CohortAffectWindow.SUPPRESSED_ACCUMULATOR);
        System.out.printf("  cohort affect     %,d cohort-minutes written, %,d suppressed (fewer than %d learners)%n",
                others.get(5).count.get(), suppressed == null ? 0 : suppressed, cfg.cohortMinLearners);
        printConsent(result, others.get(6).count.get());
        if (scores.total > 0) {
            System.out.printf("  accuracy          %.3f against the generator's truth (%,d steps)%n", scores.accuracy(), scores.total);
            System.out.printf("  macro-F1          %.3f  per class %s%n", scores.macroF1(), scores.perClass(model.classes));
        }
        System.out.printf("  throughput        %,.0f predictions/s over %.1f s wall clock (job runtime %.1f s)%n",
                count / seconds, seconds, result.getNetRuntime() / 1000.0);
    }

    /** What the consent gate did: measured counts (accumulators, receipts), with the synthetic learners' choices. */
    private void printConsent(JobExecutionResult result, long receipts) {
        Long withoutConsent = result.getAccumulatorResult(PrivacyMetrics.EVENTS_WITHOUT_CONSENT);
        if (withoutConsent == null) {
            System.out.println("  consent           no consent gate: every learner was scored");
            return;
        }
        Long orders = result.getAccumulatorResult(PrivacyMetrics.ERASURE_ORDERS);
        if (synthetic != null && synthetic.consent != null) {
            int[] kinds = new int[SyntheticConsent.Kind.values().length];
            for (int i = 0; i < synthetic.learners; i++) {
                kinds[synthetic.consent.kind(i).ordinal()]++;
            }
            System.out.printf("  consent           %,d learners granted (%,d of them withdrew mid-session), %,d never did%n",
                    kinds[SyntheticConsent.Kind.GRANTS.ordinal()] + kinds[SyntheticConsent.Kind.WITHDRAWS.ordinal()],
                    kinds[SyntheticConsent.Kind.WITHDRAWS.ordinal()], kinds[SyntheticConsent.Kind.NEVER_GRANTS.ordinal()]);
        }
        System.out.printf("  without consent   %,d events discarded before any state (not scored, not dead-lettered)%n", withoutConsent);
        System.out.printf("  erasures          %,d orders, %,d receipts%n", orders == null ? 0 : orders, receipts);
    }

    private int truthOf(Prediction p, Map<Integer, int[]> cache) {
        if (synthetic == null || synthetic.totalSteps == Long.MAX_VALUE) {
            return -1;
        }
        int learner = SyntheticStream.learnerIndex(p.getLearnerId());
        if (learner < 0) {
            return -1;
        }
        int[] labels = cache.computeIfAbsent(learner, synthetic::truth);
        long t = synthetic.globalStep(p.getStepStart().toEpochMilli());
        return t >= 0 && t < labels.length ? labels[(int) t] : -1;
    }

    /** Drains one collected output, counting (and keeping dead letters for their reasons). */
    private static final class Counting<T> implements Runnable {
        final String name;
        final CloseableIterator<T> it;
        final AtomicLong count = new AtomicLong();
        /** Kept items (dead letters for their reasons, interventions for their scores). */
        final List<Object> items = new ArrayList<>();

        Counting(String name, CloseableIterator<T> it) {
            this.name = name;
            this.it = it;
        }

        @Override
        public void run() {
            try (CloseableIterator<T> i = it) {
                while (i.hasNext()) {
                    T item = i.next();
                    count.incrementAndGet();
                    if ("dead letters".equals(name) || "interventions".equals(name)) {
                        synchronized (items) {
                            items.add(item);
                        }
                    }
                }
            } catch (Exception e) {
                // the job ended or failed: the main thread reports it
            }
        }
    }

    /** Confusion counts for accuracy and F1. */
    static final class Scores {
        final long[][] confusion;
        long total;

        Scores(int classes) {
            confusion = new long[classes][classes];
        }

        void add(int truth, int predicted) {
            confusion[truth][predicted]++;
            total++;
        }

        double accuracy() {
            long ok = 0;
            for (int i = 0; i < confusion.length; i++) {
                ok += confusion[i][i];
            }
            return total == 0 ? 0 : (double) ok / total;
        }

        double f1(int c) {
            long tp = confusion[c][c];
            long predicted = 0;
            long actual = 0;
            for (int i = 0; i < confusion.length; i++) {
                predicted += confusion[i][c];
                actual += confusion[c][i];
            }
            return predicted + actual == 0 ? 0 : 2.0 * tp / (predicted + actual);
        }

        double macroF1() {
            double sum = 0;
            for (int c = 0; c < confusion.length; c++) {
                sum += f1(c);
            }
            return sum / confusion.length;
        }

        String perClass(List<String> classes) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < classes.size(); c++) {
                sb.append(c == 0 ? "" : ", ").append(classes.get(c)).append(String.format(" %.3f", f1(c)));
            }
            return sb.toString();
        }
    }
}
