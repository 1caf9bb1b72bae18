package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The session rules alone: continuation, gap, fresh starts, model compatibility. */
class SessionPolicyTest {
    static ModelInfo info;
    static long step;

    @BeforeAll
    static void inspect() {
        info = OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx");
        step = info.stepMillis;
    }

    static LearnerState scored(String session, long lastStep, int emptySteps) {
        LearnerState s = LearnerState.start(session, 0);
        s.lastStepStart = lastStep * step;
        s.emptySteps = emptySteps;
        s.modelState = new float[info.stateSize];
        s.modelId = info.modelId;
        return s;
    }

    static AlignedStep at(String session, long index) {
        return AlignedStep.empty("l", session, index * step, (index + 1) * step);
    }

    @Test
    void theNextStepOfTheSameSessionContinues() {
        SessionPolicy p = new SessionPolicy(info, 3);
        LearnerState l = scored("s1", 4, 0);
        assertThat(p.startsAfresh(l, at("s1", 5))).isFalse();
        assertThat(p.continuesTo(l, 5 * step)).isTrue();
        assertThat(p.gapBefore(l, at("s1", 5))).isFalse();
        assertThat(p.alreadyScored(l, at("s1", 4))).isTrue();
        assertThat(p.alreadyScored(l, at("s2", 4))).isFalse();
    }

    @Test
    void aGapIsFilledUpToTheLimitThenTheSessionIsOver() {
        SessionPolicy p = new SessionPolicy(info, 3);
        assertThat(p.gapBefore(scored("s1", 4, 0), at("s1", 7))).isTrue();
        assertThat(p.gapExhausted(scored("s1", 4, 2))).isFalse();
        assertThat(p.gapExhausted(scored("s1", 4, 3))).isTrue();
        assertThat(p.gapBefore(scored("s1", 4, 0), at("s2", 7))).isFalse(); // another session: no gap to fill
    }

    @Test
    void aNewSessionANonContiguousStepOrAnotherModelStartAfresh() {
        SessionPolicy p = new SessionPolicy(info, 3);
        assertThat(p.startsAfresh(null, at("s1", 0))).isTrue();
        assertThat(p.startsAfresh(scored("s1", 4, 0), at("s2", 5))).isTrue();
        assertThat(p.startsAfresh(scored("s1", 4, 0), at("s1", 9))).isTrue();
        LearnerState other = scored("s1", 4, 0);
        other.modelId = "0123456789abcdef";
        assertThat(p.compatible(other)).isFalse();
        assertThat(p.startsAfresh(other, at("s1", 5))).isTrue();
        LearnerState resized = scored("s1", 4, 0);
        resized.modelState = new float[info.stateSize - 1];
        assertThat(p.compatible(resized)).isFalse();
    }
}
