package io.eduemotionnet.learner;

import io.eduemotionnet.model.OnnxEmotionModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Queues closed learner-steps as rows of one ONNX batch and scores them in one call. A learner's next
 * step needs its previous one's state: {@link #holds} tells the operator to flush first.
 */
final class BatchScorer {
    /** A queued learner-step: its batch row and the learner state it continues from. */
    static final class Row {
        final String key;
        final AlignedStep step;
        final LearnerState learner;
        final int index;

        Row(String key, AlignedStep step, LearnerState learner, int index) {
            this.key = key;
            this.step = step;
            this.learner = learner;
            this.index = index;
        }
    }

    interface ScoredRow {
        void accept(Row row, OnnxEmotionModel.Batch batch) throws Exception;
    }

    private final OnnxEmotionModel model;
    private final OnnxEmotionModel.Batch batch;
    private final List<Row> rows;
    private final Set<String> keys = new HashSet<>();
    private final LearnerMetrics metrics;

    BatchScorer(OnnxEmotionModel model, int maxBatchSize, LearnerMetrics metrics) {
        this.model = model;
        this.batch = model.newBatch(maxBatchSize);
        this.rows = new ArrayList<>(maxBatchSize);
        this.metrics = metrics;
    }

    boolean holds(String key) {
        return keys.contains(key);
    }

    boolean isFull() {
        return batch.isFull();
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Queues the step; {@code fresh}: scored from zero state instead of the learner's carried state. */
    void add(String key, AlignedStep step, LearnerState learner, boolean fresh) {
        int index = batch.add(step.embeddings(), step.meanQuality, fresh ? null : learner.modelState);
        rows.add(new Row(key, step, learner, index));
        keys.add(key);
    }

    /** Scores every queued row in one ONNX call and hands each to {@code scored}, in queue order. */
    void flush(ScoredRow scored) throws Exception {
        if (rows.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        model.run(batch);
        metrics.inferenceLatency.update((System.nanoTime() - t0) / 1_000_000);
        metrics.inferenceCalls.inc();
        metrics.batchSizes.update(batch.size);
        try {
            for (Row row : rows) {
                scored.accept(row, batch);
            }
        } finally {
            rows.clear();
            keys.clear();
            batch.clear();
        }
    }
}
