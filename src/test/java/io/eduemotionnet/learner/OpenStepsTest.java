package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.ingest.EmbeddingEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The heap buffer of open steps and the pooling of one step, without a harness. */
class OpenStepsTest {

    @Test
    void poolsEventsPerModalityToMeansCountsAndMeanQuality() {
        OpenStep s = new OpenStep(2_000, 0);
        s.add(new EmbeddingEvent("l", "s1", 1, 2_100, new float[] {1f, 2f}, 0.5f, 1));
        s.add(new EmbeddingEvent("l", "s1", 1, 2_200, new float[] {3f, 4f}, Float.NaN, 1));
        s.add(new EmbeddingEvent("l", "s2", 2, 3_900, new float[] {5f}, 0.7f, 1));
        AlignedStep step = s.close("l", 2_000, 42);
        assertThat(step.audio).isNull();
        assertThat(step.visual).containsExactly(2f, 3f);
        assertThat(step.text).containsExactly(5f);
        assertThat(step.counts).containsExactly(0, 2, 1);
        assertThat(step.meanQuality[1]).isEqualTo(0.5f); // only the event that reported one
        assertThat(Float.isNaN(step.meanQuality[0])).isTrue();
        assertThat(step.sessionId).isEqualTo("s2"); // the latest event's session
        assertThat(step.stepEnd).isEqualTo(4_000);
        assertThat(step.closedAt).isEqualTo(42);
    }

    @Test
    void opensOneStepPerLearnerAndSlotAndTakesThemBack() {
        OpenSteps open = new OpenSteps();
        boolean[] opened = new boolean[1];
        OpenStep a0 = open.open("a", 0, 1, opened);
        assertThat(opened[0]).isTrue();
        assertThat(open.open("a", 0, 2, opened)).isSameAs(a0);
        assertThat(opened[0]).isFalse();
        open.open("a", 2_000, 3, opened);
        open.open("b", 0, 4, opened);
        assertThat(open.learners()).isEqualTo(2);
        assertThat(open.take("a", 0)).isSameAs(a0);
        assertThat(open.take("a", 0)).isNull();
        assertThat(open.take("a", 2_000).stepStart).isEqualTo(2_000);
        assertThat(open.learners()).isEqualTo(1);
        OpenStep all = open.removeAll("b");
        assertThat(all.stepStart).isZero();
        assertThat(all.next).isNull();
        assertThat(open.learners()).isZero();
    }

    @Test
    void spillsOnlyWhatChangedSinceTheLastCheckpoint() {
        OpenSteps open = new OpenSteps();
        boolean[] opened = new boolean[1];
        OpenStep a = open.open("a", 0, 1, opened);
        open.open("b", 0, 1, opened);
        List<String> spilled = new ArrayList<>();
        open.forEachUnspilled((k, s) -> spilled.add(k));
        assertThat(spilled).containsExactlyInAnyOrder("a", "b");
        assertThat(a.inState && a.spilled).isTrue();
        spilled.clear();
        open.forEachUnspilled((k, s) -> spilled.add(k));
        assertThat(spilled).isEmpty();
        a.add(new EmbeddingEvent("a", "s", 0, 5, new float[] {1f}, Float.NaN, 1)); // changed after the checkpoint
        open.forEachUnspilled((k, s) -> spilled.add(k));
        assertThat(spilled).containsExactly("a");
    }
}
