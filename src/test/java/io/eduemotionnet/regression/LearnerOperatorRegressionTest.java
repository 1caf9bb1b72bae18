package io.eduemotionnet.regression;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eduemotionnet.TestClusters;
import java.util.List;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nothing changes for users (issue 10): today's pipeline reproduces the fixture recorded from the pipeline
 * before the learner operator (separate align and inference stages), with the model copy it was recorded
 * with: the same predictions (labels equal, probabilities and MIE weights within 1e-6), late events,
 * dropout and confidence reports.
 */
class LearnerOperatorRegressionTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();
    static final double TOLERANCE = 1e-6;

    @Test
    void reproducesTheRecordedOutputs() throws Exception {
        RegressionFixture.Outputs out = RegressionFixture.run(RegressionFixture.inputs(), RegressionFixture.args());
        List<JsonNode> predictions = RegressionFixture.lines("predictions.jsonl");
        assertThat(predictions).hasSize(RegressionFixture.header().get("predictions").asInt()).isNotEmpty();
        assertSame(out.predictions, predictions, "label", "present");
        assertSame(out.confidence, RegressionFixture.lines("confidence.jsonl"), "stepsWithoutInput", "present");
        assertThat(out.late).map(JsonNode::toString)
                .containsExactlyElementsOf(RegressionFixture.lines("late.jsonl").stream().map(JsonNode::toString).toList());
        assertThat(out.dropout).map(JsonNode::toString)
                .containsExactlyElementsOf(RegressionFixture.lines("dropout.jsonl").stream().map(JsonNode::toString).toList());
    }

    /** Row by row (both sorted by learner and step): the exact fields equal, every number within the tolerance. */
    private static void assertSame(List<ObjectNode> actual, List<JsonNode> expected, String... exact) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i);
            JsonNode a = actual.get(i);
            String row = e.get("learnerId").asText() + " step " + e.get("stepStart").asLong();
            assertThat(a.get("learnerId")).isEqualTo(e.get("learnerId"));
            assertThat(a.get("sessionId")).as(row).isEqualTo(e.get("sessionId"));
            assertThat(a.get("stepStart")).as(row).isEqualTo(e.get("stepStart"));
            for (String field : exact) {
                assertThat(a.get(field)).as(row + " " + field).isEqualTo(e.get(field));
            }
            e.fields().forEachRemaining(f -> assertClose(a.get(f.getKey()), f.getValue(), row + " " + f.getKey()));
        }
    }

    private static void assertClose(JsonNode a, JsonNode e, String what) {
        if (e.isArray()) {
            assertThat(a.size()).as(what).isEqualTo(e.size());
            for (int k = 0; k < e.size(); k++) {
                assertClose(a.get(k), e.get(k), what + "[" + k + "]");
            }
        } else if (e.isFloatingPointNumber()) {
            assertThat(Math.abs(a.asDouble() - e.asDouble())).as(what + ": " + a + " vs " + e).isLessThanOrEqualTo(TOLERANCE);
        } else {
            assertThat(a).as(what).isEqualTo(e);
        }
    }
}
