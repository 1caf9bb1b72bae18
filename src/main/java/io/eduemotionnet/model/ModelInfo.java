package io.eduemotionnet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eduemotionnet.config.ConfigException;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What the job needs to know about the ONNX model, read from its metadata ({@code edu.*} props
 * written by {@code model/edu_emotionnet/export.py}) and checked at start-up: embedding sizes,
 * classes, state size, step length. Everything downstream takes these from here, never hard-coded.
 */
public final class ModelInfo implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final List<String> MODALITIES = List.of("audio", "visual", "text");
    /** The most carried state per learner the job accepts (the model issue's 8 KiB bound). */
    public static final int MAX_STATE_FLOATS = 2048;

    public final String version;
    public final List<String> classes;
    /** Embedding size per modality, in {@link #MODALITIES} order. */
    public final int[] dims;
    public final int stateSize;
    public final long stepMillis;
    public final String benchmarkFingerprint;
    public final String trainingData;
    /**
     * The first 16 hex digits of the ONNX file's SHA-256: carried state is only meaningful to the
     * weights that wrote it, so each learner's state records it (a retrained model of the same
     * version and state size must not continue another model's CMAA tokens).
     */
    public final String modelId;

    ModelInfo(String version, List<String> classes, int[] dims, int stateSize, long stepMillis,
              String benchmarkFingerprint, String trainingData, String modelId) {
        this.version = version;
        this.classes = Collections.unmodifiableList(new ArrayList<>(classes));
        this.dims = dims.clone();
        this.stateSize = stateSize;
        this.stepMillis = stepMillis;
        this.benchmarkFingerprint = benchmarkFingerprint;
        this.trainingData = trainingData;
        this.modelId = modelId;
    }

    public Duration step() {
        return Duration.ofMillis(stepMillis);
    }

    public int dim(int modality) {
        return dims[modality];
    }

    /** Parses and checks the model's custom metadata; {@code key} names the config key of the model path. */
    static ModelInfo fromMetadata(Map<String, String> meta, String key) {
        return fromMetadata(meta, key, "unknown");
    }

    /** As {@link #fromMetadata(Map, String)}, for the model file whose bytes have this id. */
    static ModelInfo fromMetadata(Map<String, String> meta, String key, String modelId) {
        ObjectMapper json = new ObjectMapper();
        try {
            String version = required(meta, "edu.model_version", key);
            List<String> classes = new ArrayList<>();
            for (JsonNode c : json.readTree(required(meta, "edu.classes", key))) {
                classes.add(c.asText());
            }
            if (classes.size() < 2) {
                throw new ConfigException(key, "model metadata edu.classes must list at least two classes");
            }
            JsonNode modalities = json.readTree(required(meta, "edu.modalities", key));
            for (int i = 0; i < MODALITIES.size(); i++) {
                if (modalities.size() != MODALITIES.size() || !MODALITIES.get(i).equals(modalities.get(i).asText())) {
                    throw new ConfigException(key, "model metadata edu.modalities must be " + MODALITIES
                            + ", got " + modalities);
                }
            }
            JsonNode dimsNode = json.readTree(required(meta, "edu.input_dims", key));
            int[] dims = new int[MODALITIES.size()];
            for (int i = 0; i < dims.length; i++) {
                JsonNode d = dimsNode.get(MODALITIES.get(i));
                if (d == null || !d.canConvertToInt() || d.asInt() < 1) {
                    throw new ConfigException(key, "model metadata edu.input_dims has no valid size for "
                            + MODALITIES.get(i) + ": " + dimsNode);
                }
                dims[i] = d.asInt();
            }
            JsonNode stateShape = json.readTree(required(meta, "edu.state_shape", key));
            if (stateShape.size() != 1 || stateShape.get(0).asInt() < 1 || stateShape.get(0).asInt() > MAX_STATE_FLOATS) {
                throw new ConfigException(key, "model metadata edu.state_shape must be [n] with 1 <= n <= "
                        + MAX_STATE_FLOATS + " (8 KiB per learner), got " + stateShape);
            }
            double stepSeconds = Double.parseDouble(required(meta, "edu.step_seconds", key));
            if (!(stepSeconds >= 0.1 && stepSeconds <= 3600)) {
                throw new ConfigException(key, "model metadata edu.step_seconds must be between 0.1 and 3600, got " + stepSeconds);
            }
            String initial = meta.getOrDefault("edu.initial_state", "zeros");
            if (!"zeros".equals(initial)) {
                throw new ConfigException(key, "model metadata edu.initial_state must be 'zeros', got '" + initial + "'");
            }
            return new ModelInfo(version, classes, dims, stateShape.get(0).asInt(), Math.round(stepSeconds * 1000),
                    meta.getOrDefault("edu.benchmark_fingerprint", "unknown"),
                    meta.getOrDefault("edu.training_data", "unknown"), modelId);
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException(key, "model metadata is malformed (" + e.getMessage()
                    + "); export the model with `python3 -m edu_emotionnet export`");
        }
    }

    /** The id of a model file: the first 16 hex digits of its SHA-256. */
    static String idOf(byte[] onnx) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(onnx), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String required(Map<String, String> meta, String name, String key) {
        String v = meta.get(name);
        if (v == null || v.isBlank()) {
            throw new ConfigException(key, "model metadata lacks '" + name
                    + "'; is this an Edu-EmotionNet export (python3 -m edu_emotionnet export)?");
        }
        return v;
    }
}
