package io.eduemotionnet.signals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.eduemotionnet.config.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules' calibration: temperature scaling by the number of modalities present, and what it changes. */
class PresenceCalibrationTest {
    static final float[] P = {0.84f, 0.08f, 0.05f, 0.03f};

    @Test
    void aTemperaturePerPresenceSharpensOrFlattensAndKeepsTheLabel() {
        PresenceCalibration c = PresenceCalibration.bind(List.of(0.8, 1.0, 1.25), 3);
        float[] one = c.apply(P, 1);
        float[] two = c.apply(P, 2);
        float[] three = c.apply(P, 3);
        assertThat(one[0]).as("T < 1 sharpens").isGreaterThan(P[0]);
        assertThat(two).as("T = 1 leaves them").containsExactly(P);
        assertThat(three[0]).as("T > 1 flattens").isLessThan(P[0]);
        for (float[] p : new float[][] {one, three}) {
            assertThat(InterventionEvaluation.argmax(p)).isZero();
            assertThat(p[0] + p[1] + p[2] + p[3]).isCloseTo(1f, within(1e-6f));
        }
        // softmax(log p / T): the ratio of two classes is raised to the power 1/T
        assertThat(Math.log(one[0] / one[1])).isCloseTo(Math.log(P[0] / P[1]) / 0.8, within(1e-5));
        assertThat(c.apply(P, 0)).as("no input: not evidence, unchanged").containsExactly(P);
        assertThat(PresenceCalibration.none().apply(P, 3)).containsExactly(P);
    }

    @Test
    void oneTemperaturePerNumberOfModalities() {
        assertThatThrownBy(() -> PresenceCalibration.bind(List.of(1.0, 1.0), 3))
                .isInstanceOf(ConfigException.class).hasMessageContaining("edu.interventions.temperatures")
                .hasMessageContaining("1 to 3");
    }

    @Test
    void theRulesReadTheCalibratedProbabilities() {
        InterventionRule confusion = new InterventionRule("sustained-confusion", "confusion", 0, 3, 0.85);
        InterventionRules raw = new InterventionRules(List.of(confusion), 0);
        InterventionRules calibrated = new InterventionRules(List.of(confusion), 0,
                PresenceCalibration.bind(List.of(0.8, 1.0, 1.0), 3));
        assertThat(fired(raw, 1)).as("mean 0.84 < 0.85").isZero();
        assertThat(fired(calibrated, 1)).as("one modality, sharpened above 0.85").isEqualTo(1);
        assertThat(fired(calibrated, 3)).as("three modalities, T = 1").isZero();
    }

    private static int fired(InterventionRules rules, int present) {
        LearnerSignals s = LearnerSignals.start(1);
        int n = 0;
        for (int t = 0; t < 5; t++) {
            n += rules.observe(s, "s", t * 2000L, (t + 1) * 2000L, present, 0, P).size();
        }
        return n;
    }
}
