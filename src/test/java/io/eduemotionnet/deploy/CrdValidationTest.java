package io.eduemotionnet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every custom resource the chart renders, for every example values file, is valid against the real
 * CRD it will be applied to (../shared/crds: Flink Kubernetes Operator 1.15, prometheus-operator
 * v0.93). The negative cases prove that the validation can fail. Skipped without ../shared unless CI=true
 * ({@link SharedCrds}).
 */
@ExtendWith(SharedCrds.class)
class CrdValidationTest {
    private static Map<String, CrdSchema> CRDS;

    @BeforeAll
    static void loadCrds() {
        CRDS = Map.of(
                "FlinkDeployment", CrdSchema.load("flinkdeployments.flink.apache.org-v1.yml"),
                "PodMonitor", CrdSchema.load("monitoring.coreos.com_podmonitors.yaml"),
                "PrometheusRule", CrdSchema.load("monitoring.coreos.com_prometheusrules.yaml"));
    }

    static Stream<Path> valuesFiles() {
        return Chart.ciValuesFiles().stream();
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void everyRenderedCustomResourceMatchesItsCrd(Path values) {
        Chart.Rendered rendered = Chart.render(values);
        int customResources = 0;
        for (JsonNode object : rendered.objects()) {
            String kind = object.path("kind").asText();
            String apiVersion = object.path("apiVersion").asText();
            if (apiVersion.equals("v1")) {
                continue; // core objects (the dashboard ConfigMap) have no CRD
            }
            assertThat(CRDS).as("a CRD for %s %s", apiVersion, kind).containsKey(kind);
            assertThat(CRDS.get(kind).validate(object)).as("%s %s from %s", kind,
                    object.path("metadata").path("name").asText(), values).isEmpty();
            customResources++;
        }
        assertThat(customResources).as("custom resources in %s", values).isGreaterThanOrEqualTo(1);
    }

    @Test
    void defaultsRenderAllThreeKinds() {
        Chart.Rendered rendered = Chart.render(Chart.ci("kafka"));
        for (String kind : CRDS.keySet()) {
            assertThat(CRDS.get(kind).validate(rendered.one(kind))).as(kind).isEmpty();
        }
    }

    // ---- the validation can fail ---------------------------------------------------------------

    private static JsonNode flinkDeployment(Consumer<ObjectNode> change) {
        JsonNode object = Chart.render(Chart.ci("gpu")).flinkDeployment().deepCopy();
        change.accept((ObjectNode) object);
        return object;
    }

    @Test
    void anUpgradeModeTheOperatorDoesNotKnowIsInvalid() {
        JsonNode object = flinkDeployment(o -> job(o).put("upgradeMode", "rolling"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("upgradeMode"));
    }

    @Test
    void aFlinkVersionTheOperatorDoesNotKnowIsInvalid() {
        JsonNode object = flinkDeployment(o -> ((ObjectNode) o.path("spec")).put("flinkVersion", "v2_9"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("flinkVersion"));
    }

    @Test
    void aParallelismThatIsNotAnIntegerIsInvalid() {
        JsonNode object = flinkDeployment(o -> job(o).put("parallelism", "two"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("parallelism"));
    }

    @Test
    void aMisspeltFieldIsInvalid() {
        JsonNode object = flinkDeployment(o -> job(o).put("upgradMode", "savepoint"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("upgradMode"));
    }

    @Test
    void aMisspeltFieldDeepInThePodTemplateIsInvalid() {
        JsonNode object = flinkDeployment(o -> ((ObjectNode) o.path("spec").path("taskManager").path("podTemplate")
                .path("spec").path("containers").get(0)).putObject("resource").put("limits", "x"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("resource"));
    }

    @Test
    void aWrongApiVersionIsInvalid() {
        JsonNode object = flinkDeployment(o -> o.put("apiVersion", "flink.apache.org/v1alpha1"));
        assertThat(CRDS.get("FlinkDeployment").validate(object)).anyMatch(m -> m.contains("v1alpha1"));
    }

    @Test
    void intOrStringAndPreservedUnknownFieldsCauseNoFalseFailures() {
        JsonNode object = flinkDeployment(o -> {
            ObjectNode limits = (ObjectNode) o.path("spec").path("taskManager").path("podTemplate").path("spec")
                    .path("containers").get(0).path("resources").path("limits");
            limits.put("nvidia.com/gpu", 1);              // int-or-string as an integer
            limits.put("ephemeral-storage", "10Gi");      // and as a string
            ObjectNode conf = (ObjectNode) o.path("spec").path("flinkConfiguration");
            conf.put("any.number", 3);                    // preserve-unknown-fields: anything goes
            conf.putObject("nested").put("yaml", true);
        });
        assertThat(CRDS.get("FlinkDeployment").validate(object)).isEmpty();
    }

    @Test
    void aPodMonitorWithoutSelectorOrWithABadIntervalIsInvalid() {
        ObjectNode noSelector = Chart.render(Chart.ci("kafka")).one("PodMonitor").deepCopy();
        ((ObjectNode) noSelector.path("spec")).remove("selector");
        assertThat(CRDS.get("PodMonitor").validate(noSelector)).anyMatch(m -> m.contains("selector"));

        ObjectNode badInterval = Chart.render(Chart.ci("kafka")).one("PodMonitor").deepCopy();
        ((ObjectNode) badInterval.path("spec").path("podMetricsEndpoints").get(0)).put("interval", "30 seconds");
        assertThat(CRDS.get("PodMonitor").validate(badInterval)).anyMatch(m -> m.contains("interval"));
    }

    @Test
    void aRuleGroupWithoutNameOrARuleWithANumberForAnnotationsIsInvalid() {
        ObjectNode rule = Chart.render(Chart.ci("kafka")).one("PrometheusRule").deepCopy();
        ObjectNode group = (ObjectNode) rule.path("spec").path("groups").get(0);
        group.put("name", "");
        ((ObjectNode) group.path("rules").get(0)).putObject("annotations").put("summary", 1);
        List<String> problems = CRDS.get("PrometheusRule").validate(rule);
        assertThat(problems).anyMatch(m -> m.contains("name")).anyMatch(m -> m.contains("summary"));
    }

    private static ObjectNode job(ObjectNode flinkDeployment) {
        return (ObjectNode) flinkDeployment.path("spec").path("job");
    }
}
