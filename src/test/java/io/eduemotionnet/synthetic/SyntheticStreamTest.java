package io.eduemotionnet.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SyntheticStreamTest {
    @Test
    void idsAreTheZeroPaddedFormatAndParseBack() {
        for (int learner : new int[] {0, 7, 42, 999_999, 1_234_567}) {
            assertThat(SyntheticStream.learnerId(learner)).isEqualTo(String.format("synthetic-%06d", learner));
            assertThat(SyntheticStream.learnerIndex(SyntheticStream.learnerId(learner))).isEqualTo(learner);
            for (int session : new int[] {0, 5, 123, 4567}) {
                assertThat(SyntheticStream.sessionId(learner, session))
                        .isEqualTo(String.format("synthetic-%06d-s%03d", learner, session));
            }
        }
    }
}
