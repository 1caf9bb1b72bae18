package io.eduemotionnet.learner;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.avro.DropoutStatus;
import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Output assembly from a batch row, without the model or a harness. */
class StepOutputsTest {
    static ModelInfo info;

    @BeforeAll
    static void inspect() {
        info = OnnxEmotionModel.inspect("classpath:model/edu_emotionnet.onnx");
    }

    static AlignedStep step(long index, boolean... present) {
        AlignedStep s = AlignedStep.empty("l", "s1", index * info.stepMillis, (index + 1) * info.stepMillis);
        for (int m = 0; m < 3; m++) {
            if (present[m]) {
                s.setEmbedding(m, new float[info.dims[m]]);
                s.counts[m] = 1;
            }
        }
        return s;
    }

    @Test
    void assemblesThePredictionConfidenceAndDropoutTransitions() {
        StepOutputs out = new StepOutputs(info, true);
        int c = info.classes.size();
        // row 1 of a batch of 2: class 2 most likely
        float[] probabilities = new float[2 * c];
        java.util.Arrays.fill(probabilities, 0.1f);
        probabilities[c + 2] = 1f - 0.1f * (c - 1);
        float[] mie = {0, 0, 0, 0.25f, 0.75f, 0f};
        float[] stateOut = new float[2 * info.stateSize];
        stateOut[info.stateSize] = 7f;
        LearnerState learner = LearnerState.start("s1", 0);
        learner.presentBits = 0b111;
        learner.seenBits = 0b111;
        learner.lastStepStart = 0;

        StepOutputs.Scored s = out.assemble(step(1, true, true, false), learner, 1, probabilities, mie, stateOut, 99);
        assertThat(s.prediction.getLabel()).isEqualTo(info.classes.get(2));
        assertThat(s.prediction.getPresent()).containsExactly(Modality.AUDIO, Modality.VISUAL);
        assertThat(s.prediction.getMieWeights().getVisual()).isEqualTo(0.75f);
        assertThat(s.confidence.getTopProbability()).isEqualTo(probabilities[c + 2]);
        assertThat(s.confidence.getStepsWithoutInput()).isZero();
        assertThat(s.dropouts).extracting(d -> d.getModality() + " " + d.getStatus()).containsExactly("TEXT DROPPED");
        assertThat(s.dropped).containsExactly(false, false, true);
        assertThat(learner.modelState[0]).isEqualTo(7f);
        assertThat(learner.modelId).isEqualTo(info.modelId);
        assertThat(learner.lastStepStart).isEqualTo(info.stepMillis);
        assertThat(s.trainingRow.sessionId).isEqualTo("s1#0");
        assertThat(s.trainingRow.sessionStep).isEqualTo(1);

        // a step without input, then text back: counted missing, then RESTORED with the missing run
        StepOutputs.Scored empty = out.assemble(step(2, false, false, false), learner, 0, probabilities, mie, stateOut, 100);
        assertThat(empty.confidence.getStepsWithoutInput()).isEqualTo(1);
        assertThat(empty.trainingRow).isNull();
        StepOutputs.Scored back = out.assemble(step(3, true, true, true), learner, 0, probabilities, mie, stateOut, 101);
        assertThat(back.dropouts).filteredOn(d -> d.getModality() == Modality.TEXT)
                .extracting(d -> d.getStatus() + " " + d.getMissingSteps()).containsExactly(DropoutStatus.RESTORED + " 2");
        assertThat(learner.emptySteps).isZero();
    }
}
