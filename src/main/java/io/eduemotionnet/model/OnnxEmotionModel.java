package io.eduemotionnet.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.config.JobOptions;
import io.eduemotionnet.config.ResourceLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's streaming step form in ONNX Runtime: one {@link #run} call advances one time step for
 * a batch of learners. One instance per inference task; its input buffers are reused between calls.
 * The {@link OrtEnvironment} is process-wide and never closed (../shared/STACK.md, trap 2).
 */
public final class OnnxEmotionModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxEmotionModel.class);

    public final ModelInfo info;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final boolean onCuda;

    private OnnxEmotionModel(ModelInfo info, OrtEnvironment env, OrtSession session, boolean onCuda) {
        this.info = info;
        this.env = env;
        this.session = session;
        this.onCuda = onCuda;
    }

    public boolean onCuda() {
        return onCuda;
    }

    /** Reads and checks the model on the CPU (for wiring the job in the client), then closes the session. */
    public static ModelInfo inspect(String location) {
        byte[] bytes = ResourceLoader.read(location, JobOptions.MODEL_PATH.key());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(bytes, opts)) {
            return validate(session, bytes);
        } catch (OrtException e) {
            throw new ConfigException(JobOptions.MODEL_PATH.key(), "'" + location + "' is not a loadable ONNX model: " + e.getMessage());
        }
    }

    /**
     * Opens the model on the configured device. When CUDA was asked for but cannot start, either
     * falls back to the CPU (and calls {@code onCudaFallback}) or fails, as configured.
     */
    public static OnnxEmotionModel open(JobConfig cfg, Runnable onCudaFallback) {
        byte[] bytes = ResourceLoader.read(cfg.modelPath, JobOptions.MODEL_PATH.key());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (cfg.device == JobOptions.Device.CUDA) {
            try {
                OrtSession session = createSession(env, bytes, cfg, true);
                LOG.info("ONNX Runtime session on CUDA device {}", cfg.cudaDeviceId);
                return new OnnxEmotionModel(validate(session, bytes), env, session, true);
            } catch (OrtException | RuntimeException | LinkageError e) {
                if (e instanceof ConfigException) {
                    throw (ConfigException) e;
                }
                String why = e.getClass().getSimpleName() + ": " + e.getMessage();
                if (cfg.cudaFallback == JobOptions.CudaFallback.FAIL) {
                    // restarting on the same node cannot bring a GPU: fail the job once, not in a restart loop
                    throw new SuppressRestartsException(new IllegalStateException(JobOptions.INFERENCE_DEVICE.key() + " is cuda but the CUDA "
                            + "execution provider could not start (" + why + "). Build the job with -Pcuda "
                            + "(onnxruntime_gpu), run it on a node with an NVIDIA GPU and the CUDA 12 and cuDNN 9 "
                            + "libraries, or set " + JobOptions.CUDA_FALLBACK.key() + ": cpu", e));
                }
                LOG.warn("CUDA execution provider could not start ({}); falling back to CPU as {} says", why,
                        JobOptions.CUDA_FALLBACK.key());
                onCudaFallback.run();
            }
        }
        try {
            OrtSession session = createSession(env, bytes, cfg, false);
            return new OnnxEmotionModel(validate(session, bytes), env, session, false);
        } catch (OrtException e) {
            throw new ConfigException(JobOptions.MODEL_PATH.key(), "cannot load the model: " + e.getMessage());
        }
    }

    private static OrtSession createSession(OrtEnvironment env, byte[] bytes, JobConfig cfg, boolean cuda) throws OrtException {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(cfg.intraOpThreads);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (cuda) {
                opts.addCUDA(cfg.cudaDeviceId);
            }
            return env.createSession(bytes, opts);
        }
    }

    /** Checks the graph's inputs and outputs against the metadata the job relies on. */
    private static ModelInfo validate(OrtSession session, byte[] bytes) throws OrtException {
        String key = JobOptions.MODEL_PATH.key();
        ModelInfo info = ModelInfo.fromMetadata(session.getMetadata().getCustomMetadata(), key, ModelInfo.idOf(bytes));
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        Map<String, Long> expectedIn = new LinkedHashMap<>();
        for (int m = 0; m < ModelInfo.MODALITIES.size(); m++) {
            expectedIn.put(ModelInfo.MODALITIES.get(m), (long) info.dims[m]);
        }
        expectedIn.put("mask", (long) ModelInfo.MODALITIES.size());
        expectedIn.put("quality", (long) ModelInfo.MODALITIES.size());
        expectedIn.put("state", (long) info.stateSize);
        Map<String, Long> expectedOut = new LinkedHashMap<>();
        expectedOut.put("probabilities", (long) info.classes.size());
        expectedOut.put("mie_weights", (long) ModelInfo.MODALITIES.size());
        expectedOut.put("state_out", (long) info.stateSize);
        checkNodes("input", inputs, expectedIn, key);
        checkNodes("output", outputs, expectedOut, key);
        return info;
    }

    private static void checkNodes(String what, Map<String, NodeInfo> nodes, Map<String, Long> expected, String key) {
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            NodeInfo node = nodes.get(e.getKey());
            if (node == null || !(node.getInfo() instanceof TensorInfo)) {
                throw new ConfigException(key, "model has no tensor " + what + " '" + e.getKey() + "' (has " + nodes.keySet() + ")");
            }
            long[] shape = ((TensorInfo) node.getInfo()).getShape();
            if (shape.length != 2 || shape[1] != e.getValue()) {
                throw new ConfigException(key, "model " + what + " '" + e.getKey() + "' has shape "
                        + java.util.Arrays.toString(shape) + ", its metadata implies [batch, " + e.getValue() + "]");
            }
        }
    }

    /** Reusable input and output arrays for up to {@code capacity} learner-steps. */
    public Batch newBatch(int capacity) {
        return new Batch(info, capacity);
    }

    /** Runs the step form on the first {@code batch.size} rows; results land in the batch's output arrays. */
    public void run(Batch batch) throws OrtException {
        int n = batch.size;
        if (n == 0) {
            return;
        }
        Map<String, OnnxTensor> inputs = new HashMap<>(8);
        Map<String, OnnxTensor> outputs = new HashMap<>(4);
        try {
            for (int m = 0; m < ModelInfo.MODALITIES.size(); m++) {
                inputs.put(ModelInfo.MODALITIES.get(m), tensor(batch.embeddings[m], n, info.dims[m]));
            }
            inputs.put("mask", tensor(batch.mask, n, ModelInfo.MODALITIES.size()));
            inputs.put("quality", tensor(batch.quality, n, ModelInfo.MODALITIES.size()));
            inputs.put("state", tensor(batch.state, n, info.stateSize));
            // outputs written straight into the batch's reusable direct buffers ("pinned" outputs):
            // otherwise ONNX Runtime allocates fresh output memory on every call (4 MB of state_out for
            // 1024 rows) and getFloatBuffer() copies it into yet another fresh heap buffer
            outputs.put("probabilities", tensor(batch.probabilitiesOut, n, info.classes.size()));
            outputs.put("mie_weights", tensor(batch.mieWeightsOut, n, ModelInfo.MODALITIES.size()));
            outputs.put("state_out", tensor(batch.stateOutBuffer, n, info.stateSize));
            session.run(inputs, outputs).close(); // the pinned outputs are ours, not the result's
            copy(batch.probabilitiesOut, batch.probabilities, n * info.classes.size());
            copy(batch.mieWeightsOut, batch.mieWeights, n * ModelInfo.MODALITIES.size());
            copy(batch.stateOutBuffer, batch.stateOut, n * info.stateSize);
        } finally {
            for (OnnxTensor t : inputs.values()) {
                t.close();
            }
            for (OnnxTensor t : outputs.values()) {
                t.close();
            }
        }
    }

    private OnnxTensor tensor(FloatBuffer buffer, int rows, int cols) throws OrtException {
        FloatBuffer view = buffer.duplicate();
        view.position(0).limit(rows * cols);
        return OnnxTensor.createTensor(env, view.slice(), new long[] {rows, cols});
    }

    private static void copy(FloatBuffer from, float[] into, int count) {
        from.get(0, into, 0, count); // absolute bulk get: one memory copy
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }

    /**
     * Row-major inputs and outputs in direct buffers that ONNX Runtime reads and writes in place; after
     * a run the outputs are also copied (one bulk copy each) into the float arrays.
     */
    public static final class Batch {
        public final int capacity;
        public int size;
        final FloatBuffer[] embeddings;
        final FloatBuffer mask;
        final FloatBuffer quality;
        final FloatBuffer state;
        final FloatBuffer probabilitiesOut;
        final FloatBuffer mieWeightsOut;
        final FloatBuffer stateOutBuffer;
        public final float[] probabilities;
        public final float[] mieWeights;
        public final float[] stateOut;
        private final ModelInfo info;
        private final float[] zeros; // bulk source for missing inputs and a new learner's state

        Batch(ModelInfo info, int capacity) {
            this.info = info;
            this.capacity = capacity;
            embeddings = new FloatBuffer[info.dims.length];
            for (int m = 0; m < info.dims.length; m++) {
                embeddings[m] = direct(capacity * info.dims[m]);
            }
            mask = direct(capacity * info.dims.length);
            quality = direct(capacity * info.dims.length);
            state = direct(capacity * info.stateSize);
            probabilitiesOut = direct(capacity * info.classes.size());
            mieWeightsOut = direct(capacity * info.dims.length);
            stateOutBuffer = direct(capacity * info.stateSize);
            zeros = new float[Math.max(info.stateSize, java.util.Arrays.stream(info.dims).max().orElse(0))];
            probabilities = new float[capacity * info.classes.size()];
            mieWeights = new float[capacity * info.dims.length];
            stateOut = new float[capacity * info.stateSize];
        }

        private static FloatBuffer direct(int floats) {
            return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        public boolean isFull() {
            return size == capacity;
        }

        /**
         * Appends one learner-step: pooled embeddings (null = missing), the mean quality score per
         * modality in the producers' units (NaN = none reported; the model scales it) and the
         * learner's carried state (null = a new learner: zeros). Returns its row.
         */
        public int add(float[][] pooled, float[] meanQuality, float[] carried) {
            int row = size++;
            quality.position(row * embeddings.length);
            quality.put(meanQuality, 0, embeddings.length);
            for (int m = 0; m < embeddings.length; m++) {
                int dim = info.dims[m];
                FloatBuffer buf = embeddings[m];
                buf.position(row * dim);
                if (pooled[m] == null) {
                    buf.put(zeros, 0, dim);
                    mask.put(row * embeddings.length + m, 0f);
                } else {
                    buf.put(pooled[m], 0, dim);
                    mask.put(row * embeddings.length + m, 1f);
                }
            }
            state.position(row * info.stateSize);
            if (carried == null) {
                state.put(zeros, 0, info.stateSize);
            } else {
                state.put(carried, 0, info.stateSize);
            }
            return row;
        }

        public void clear() {
            size = 0;
        }
    }
}
