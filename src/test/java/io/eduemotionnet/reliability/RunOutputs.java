package io.eduemotionnet.reliability;

import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DeadLetter;
import io.eduemotionnet.avro.DropoutReport;
import io.eduemotionnet.avro.LateEvent;
import io.eduemotionnet.avro.Prediction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Everything one run committed to its output topics, decoded, and how two runs compare. */
final class RunOutputs {
    final List<Prediction> predictions = new ArrayList<>();
    final List<ConfidenceReport> confidence = new ArrayList<>();
    final List<DropoutReport> dropout = new ArrayList<>();
    final List<LateEvent> late = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();

    /** Reads the topics {@code <prefix>-predictions}, ... with read_committed. */
    static RunOutputs read(TopicIo io, String prefix) {
        RunOutputs out = new RunOutputs();
        for (ConsumerRecord<byte[], byte[]> r : io.readCommitted(prefix + "-predictions")) {
            out.predictions.add(decode(() -> Prediction.getDecoder().decode(r.value())));
        }
        for (ConsumerRecord<byte[], byte[]> r : io.readCommitted(prefix + "-confidence")) {
            out.confidence.add(decode(() -> ConfidenceReport.getDecoder().decode(r.value())));
        }
        for (ConsumerRecord<byte[], byte[]> r : io.readCommitted(prefix + "-dropout")) {
            out.dropout.add(decode(() -> DropoutReport.getDecoder().decode(r.value())));
        }
        for (ConsumerRecord<byte[], byte[]> r : io.readCommitted(prefix + "-late")) {
            out.late.add(decode(() -> LateEvent.getDecoder().decode(r.value())));
        }
        for (ConsumerRecord<byte[], byte[]> r : io.readCommitted(prefix + "-dead-letters")) {
            out.deadLetters.add(decode(() -> DeadLetter.getDecoder().decode(r.value())));
        }
        return out;
    }

    static List<String> topics(String prefix) {
        return List.of(prefix + "-events", prefix + "-predictions", prefix + "-confidence", prefix + "-dropout",
                prefix + "-late", prefix + "-dead-letters", prefix + "-interventions", prefix + "-cohort-affect");
    }

    static String key(Prediction p) {
        return p.getLearnerId() + "@" + p.getStepStart().toEpochMilli();
    }

    static String key(ConfidenceReport c) {
        return c.getLearnerId() + "@" + c.getStepStart().toEpochMilli();
    }

    static String key(DropoutReport d) {
        return d.getLearnerId() + "@" + d.getStepStart().toEpochMilli() + ":" + d.getModality() + ":" + d.getStatus()
                + ":" + d.getMissingSteps();
    }

    /** How often each key occurs. */
    static <T> Map<String, Integer> counts(List<T> records, Function<T, String> key) {
        Map<String, Integer> counts = new HashMap<>();
        records.forEach(r -> counts.merge(key.apply(r), 1, Integer::sum));
        return counts;
    }

    static int duplicates(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(n -> n - 1).sum();
    }

    static Set<String> missing(Map<String, Integer> expected, Map<String, Integer> seen) {
        Set<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(seen.keySet());
        return missing;
    }

    /** The largest difference of a class probability between two runs' predictions of the same (learner, step). */
    static double maxProbabilityDiff(List<Prediction> expected, List<Prediction> seen) {
        Map<String, Prediction> byKey = new HashMap<>();
        expected.forEach(p -> byKey.put(key(p), p));
        double max = 0;
        for (Prediction p : seen) {
            Prediction e = byKey.get(key(p));
            if (e == null) {
                continue;
            }
            for (Map.Entry<String, Float> c : e.getProbabilities().entrySet()) {
                Float other = p.getProbabilities().get(c.getKey());
                max = Math.max(max, other == null ? 1 : Math.abs(other - c.getValue()));
            }
        }
        return max;
    }

    /** (learner, step) keys whose labels differ between the runs. */
    static Set<String> labelDifferences(List<Prediction> expected, List<Prediction> seen) {
        Map<String, String> labels = new HashMap<>();
        expected.forEach(p -> labels.put(key(p), p.getLabel()));
        Set<String> different = new TreeSet<>();
        for (Prediction p : seen) {
            String label = labels.get(key(p));
            if (label != null && !label.equals(p.getLabel())) {
                different.add(key(p));
            }
        }
        return different;
    }

    private interface Decode<T> {
        T get() throws java.io.IOException;
    }

    private static <T> T decode(Decode<T> d) {
        try {
            return d.get();
        } catch (java.io.IOException e) {
            throw new AssertionError("an output record that is not its schema's single-object encoding", e);
        }
    }
}
