package io.eduemotionnet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoTest {
    static Map<String, String> valid() {
        Map<String, String> m = new HashMap<>();
        m.put("edu.model_version", "1.0.0");
        m.put("edu.classes", "[\"confusion\",\"curiosity\",\"boredom\",\"frustration\"]");
        m.put("edu.modalities", "[\"audio\",\"visual\",\"text\"]");
        m.put("edu.input_dims", "{\"audio\":128,\"visual\":512,\"text\":384}");
        m.put("edu.state_shape", "[1015]");
        m.put("edu.step_seconds", "2.0");
        return m;
    }

    @Test
    void theShippedModelDescribesItself() {
        ModelInfo info = OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx");
        assertThat(info.classes).containsExactly("confusion", "curiosity", "boredom", "frustration");
        assertThat(info.dims).containsExactly(128, 512, 384);
        assertThat(info.stepMillis).isEqualTo(2000);
        assertThat(info.stateSize * 4).isLessThanOrEqualTo(8192);
    }

    @Test
    void metadataProblemsNameTheModelKey() {
        assertThat(ModelInfo.fromMetadata(valid(), "k").stateSize).isEqualTo(1015);
        Map<String, String> noDims = valid();
        noDims.remove("edu.input_dims");
        assertThatThrownBy(() -> ModelInfo.fromMetadata(noDims, "edu.model.path"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.model.path").hasMessageContaining("edu.input_dims");
        Map<String, String> bigState = valid();
        bigState.put("edu.state_shape", "[4096]");
        assertThatThrownBy(() -> ModelInfo.fromMetadata(bigState, "k")).hasMessageContaining("8 KiB");
        Map<String, String> badStep = valid();
        badStep.put("edu.step_seconds", "0");
        assertThatThrownBy(() -> ModelInfo.fromMetadata(badStep, "k")).hasMessageContaining("edu.step_seconds");
    }

    @Test
    void aMissingOrBrokenModelFileFailsAtStartWithTheKey(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> OnnxEmotionModel.inspect(dir.resolve("absent.onnx").toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.model.path").hasMessageContaining("does not exist");
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OnnxEmotionModel.inspect(junk.toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a loadable ONNX model");
    }

    @Test
    void cudaThatCannotStartFailsClearlyWhenFallbackIsOff() {
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(),
                new String[] {"--edu.inference.device", "cuda", "--edu.inference.cuda.fallback", "fail"}));
        // SuppressRestartsException: the job fails at once instead of restarting into the same error
        assertThatThrownBy(() -> OnnxEmotionModel.open(cfg, () -> { }))
                .isInstanceOf(SuppressRestartsException.class)
                .satisfies(e -> assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("CUDA execution provider could not start")
                        .hasMessageContaining("edu.inference.cuda.fallback"));
    }
}
