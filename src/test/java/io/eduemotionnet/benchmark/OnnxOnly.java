package io.eduemotionnet.benchmark;

import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.OnnxEmotionModel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.configuration.Configuration;

/** ONNX Runtime alone, on one thread, at the job's largest batch: the model's own cost per row. */
final class OnnxOnly {
    private OnnxOnly() {}

    static Map<String, Object> measure(int batchSize, double seconds) throws Exception {
        JobConfig cfg = JobConfig.from(new Configuration());
        Map<String, Object> r = new LinkedHashMap<>();
        try (OnnxEmotionModel model = OnnxEmotionModel.open(cfg, () -> { })) {
            SplittableRandom rng = new SplittableRandom(1);
            float[][] pooled = new float[3][];
            for (int m = 0; m < 3; m++) {
                pooled[m] = new float[model.info.dims[m]];
                for (int i = 0; i < pooled[m].length; i++) {
                    pooled[m][i] = (float) rng.nextGaussian() * 0.3f;
                }
            }
            float[] quality = {20f, 0.9f, 0.85f};
            OnnxEmotionModel.Batch batch = model.newBatch(batchSize);
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long rows = 0;
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            while (System.nanoTime() - start < seconds * 1e9) {
                batch.clear();
                for (int i = 0; i < batchSize; i++) {
                    batch.add(pooled, quality, null);
                }
                model.run(batch);
                rows += batchSize;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
            r.put("what", "OnnxEmotionModel.run alone, one thread (edu.inference.intra-op-threads 1), " + batchSize + " rows per call");
            r.put("rows_per_s", Math.round(rows / elapsed));
            r.put("microseconds_per_row", InferenceBenchmark.round(elapsed * 1e6 / rows));
            // its thread's CPU: steadier than wall time when other processes share the cores
            r.put("cpu_microseconds_per_row", InferenceBenchmark.round(cpu * 1e6 / rows));
        }
        return r;
    }
}
