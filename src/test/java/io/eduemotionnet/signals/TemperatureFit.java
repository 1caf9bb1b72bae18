package io.eduemotionnet.signals;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits the rules' calibration ({@link PresenceCalibration}) to sessions whose felt state is known: per
 * number of modalities present, the temperature that minimises the model's negative log-likelihood of the
 * felt state on those steps (a 1-D search, 0.30 to 3.00 in steps of 0.01: the likelihood is unimodal in T).
 */
final class TemperatureFit {
    private TemperatureFit() {}

    static List<Double> fit(List<InterventionEvaluation.Sequence> sequences, int modalities) {
        List<Double> out = new ArrayList<>();
        for (int k = 1; k <= modalities; k++) {
            double best = 1.0;
            double bestLoss = Double.POSITIVE_INFINITY;
            for (int i = 30; i <= 300; i++) {
                double t = i / 100.0;
                double loss = negativeLogLikelihood(sequences, k, t);
                if (loss < bestLoss) {
                    bestLoss = loss;
                    best = t;
                }
            }
            out.add(best);
        }
        return out;
    }

    /** Mean negative log-likelihood of the felt state on steps with {@code k} modalities, at temperature t. */
    static double negativeLogLikelihood(List<InterventionEvaluation.Sequence> sequences, int k, double t) {
        double loss = 0;
        long n = 0;
        for (InterventionEvaluation.Sequence q : sequences) {
            for (int s = 0; s < q.truth().length; s++) {
                if (Integer.bitCount(q.present()[s]) != k || q.truth()[s] < 0) {
                    continue;
                }
                float p = PresenceCalibration.scale(q.model()[s], t)[q.truth()[s]];
                loss -= Math.log(Math.max(p, Float.MIN_NORMAL));
                n++;
            }
        }
        return n == 0 ? 0 : loss / n;
    }
}
