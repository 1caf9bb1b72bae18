package io.eduemotionnet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * There is no Docker engine here, so the images are checked through what they are made of: the
 * documented staging script runs for real (Maven package + ONNX Runtime from Maven Central), then every
 * file each Dockerfile COPYs must exist in its build context, and the paths the images put things at
 * must be the ones the Helm chart points to.
 */
class DockerBuildContextTest {
    private static final Path CONTEXTS = Path.of("target", "docker");
    /** The ONNX Runtime artifact of each image: the CPU build, or the CUDA build (-Pcuda). */
    private static final Map<String, String> ORT_ARTIFACT = Map.of("cpu", "onnxruntime", "cuda", "onnxruntime_gpu");

    @BeforeAll
    static void stageTheBuildContexts() throws Exception {
        Path log = Files.createTempFile("build-context-", ".log");
        Process p = new ProcessBuilder("bash", "docker/build-context.sh", "all")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        String output = Files.readString(log);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done && p.exitValue() == 0).as("docker/build-context.sh failed:\n%s", output).isTrue();
    }

    /** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
    private static List<String> instructions(String variant) throws IOException {
        String text = Files.readString(Path.of("docker", "Dockerfile." + variant));
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                result.add(current.append(trimmed).toString().strip());
                current.setLength(0);
            }
        }
        return result;
    }

    /** COPY/ADD instructions from the build context (not --from another stage): sources and destination. */
    private static List<List<String>> copiesFromContext(String variant) throws IOException {
        List<List<String>> copies = new ArrayList<>();
        for (String instruction : instructions(variant)) {
            List<String> words = new ArrayList<>(List.of(instruction.split("\\s+")));
            String keyword = words.remove(0).toUpperCase();
            if (!keyword.equals("COPY") && !keyword.equals("ADD")) {
                continue;
            }
            if (words.stream().anyMatch(w -> w.startsWith("--from="))) {
                continue;
            }
            words.removeIf(w -> w.startsWith("--"));
            copies.add(words);
        }
        return copies;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void everyFileTheDockerfileCopiesIsInItsBuildContext(String variant) throws IOException {
        Path context = CONTEXTS.resolve(variant);
        List<List<String>> copies = copiesFromContext(variant);
        assertThat(copies).as("COPY instructions of Dockerfile.%s", variant).hasSizeGreaterThanOrEqualTo(3);
        for (List<String> copy : copies) {
            for (String source : copy.subList(0, copy.size() - 1)) {
                assertThat(source).as("Dockerfile.%s copies plain paths", variant).doesNotContain("*", "?", "..");
                assertThat(context.resolve(source)).as("Dockerfile.%s: COPY %s", variant, source).isRegularFile();
            }
        }
    }

    /** Where the image puts a file from its context (the destination of the COPY of that source). */
    private static String destinationOf(String variant, String source) throws IOException {
        for (List<String> copy : copiesFromContext(variant)) {
            if (copy.subList(0, copy.size() - 1).contains(source)) {
                return copy.get(copy.size() - 1);
            }
        }
        throw new AssertionError("Dockerfile." + variant + " does not copy " + source);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void theChartsJarUriIsWhereTheImagePutsTheJar(String variant) throws IOException {
        URI jarUri = URI.create(Chart.render(Chart.ci("kafka")).flinkDeployment()
                .path("spec").path("job").path("jarURI").asText());
        assertThat(jarUri.getScheme()).isEqualTo("local");
        assertThat(destinationOf(variant, "usrlib/edu-emotionnet.jar")).isEqualTo(jarUri.getPath())
                .startsWith("/opt/flink/usrlib/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void theChartsImageModelPathIsWhereTheImagePutsTheModel(String variant) throws IOException {
        String modelPath = Chart.render(Chart.ci("kafka")).flinkConfiguration().get("edu.model.path");
        assertThat(destinationOf(variant, "model/edu_emotionnet.onnx")).isEqualTo(modelPath);
        assertThat(Files.mismatch(CONTEXTS.resolve(variant).resolve("model/edu_emotionnet.onnx"),
                Path.of("model", "edu_emotionnet.onnx"))).as("the staged model is the repository's").isEqualTo(-1L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void theJobJarIsBuiltWithoutOnnxRuntime(String variant) throws IOException {
        try (ZipFile jar = new ZipFile(CONTEXTS.resolve(variant).resolve("usrlib/edu-emotionnet.jar").toFile())) {
            assertThat(jar.getEntry("io/eduemotionnet/EmotionJob.class")).isNotNull();
            assertThat(jar.getEntry("model/edu_emotionnet.onnx")).isNotNull();
            assertThat(jar.stream().map(ZipEntry::getName)).as("ONNX Runtime belongs in lib/, once per JVM")
                    .noneMatch(name -> name.startsWith("ai/onnxruntime/"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void libHoldsExactlyOneOnnxRuntimeOfThePomsVersionAndTheRightBuild(String variant) throws IOException {
        Path lib = CONTEXTS.resolve(variant).resolve("lib");
        String artifact = ORT_ARTIFACT.get(variant);
        try (var files = Files.list(lib)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).as("one native ONNX Runtime per JVM")
                    .containsExactly(artifact + ".jar");
        }
        try (JarFile jar = new JarFile(lib.resolve(artifact + ".jar").toFile())) {
            assertThat(jar.getEntry("ai/onnxruntime/OrtEnvironment.class")).isNotNull();
            assertThat(jar.getEntry("ai/onnxruntime/native/linux-x64/libonnxruntime.so")).isNotNull();
            ZipEntry cudaProvider = jar.getEntry("ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so");
            assertThat(cudaProvider != null).as("CUDA provider in the %s build", variant).isEqualTo(variant.equals("cuda"));
            assertThat(jar.getEntry("META-INF/maven/com.microsoft.onnxruntime/" + artifact + "/pom.xml")).isNotNull();
            assertThat(jar.getManifest().getMainAttributes().getValue("Implementation-Version"))
                    .isEqualTo(pomProperty("onnxruntime.version"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void theImageBuildsOnOfficialFlink22WithJava17AndRunsAsFlink(String variant) throws IOException {
        List<String> instructions = instructions(variant);
        assertThat(instructions).contains("ARG FLINK_IMAGE=flink:2.2.1-java17");
        assertThat(instructions).contains("ENV ORT_DISABLE_TELEMETRY=1");
        String lastUser = instructions.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
        assertThat(lastUser).isEqualTo("USER flink");
        // the reporter and the S3 file system are plugins, each in its own folder under plugins/
        assertThat(String.join("\n", instructions)).contains("plugins/metrics-prometheus", "plugins/s3-fs-hadoop");
    }

    @Test
    void theCudaImageIsBuiltOnCuda12WithCudnn9AndCopiesFlinkFromTheOfficialImage() throws IOException {
        List<String> instructions = instructions("cuda");
        String cudaBase = instructions.stream().filter(i -> i.startsWith("ARG CUDA_IMAGE=")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("ARG CUDA_IMAGE=nvidia/cuda:12\\.[0-9.]+-cudnn-runtime-ubuntu24\\.04").matcher(cudaBase);
        assertThat(m.matches()).as(cudaBase).isTrue();
        assertThat(instructions).contains("FROM ${FLINK_IMAGE} AS flink", "FROM ${CUDA_IMAGE}",
                "COPY --from=flink /opt/java/openjdk /opt/java/openjdk",
                "COPY --from=flink --chown=flink:flink /opt/flink /opt/flink");
        assertThat(Files.readString(Path.of("docker", "Dockerfile.cuda"), StandardCharsets.UTF_8))
                .contains("groupadd --system --gid=9999 flink", "--uid=9999");
    }

    private static String pomProperty(String name) throws IOException {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).as("pom.xml property %s", name).isTrue();
        return m.group(1).strip();
    }
}
