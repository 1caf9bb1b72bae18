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
                float[] p = q.model()[s];
                double max = Double.NEGATIVE_INFINITY;
                double[] z = new double[p.length];
                for (int c = 0; c < p.length; c++) {
                    z[c] = Math.log(Math.max(p[c], 1e-7)) / t;
                    max = Math.max(max, z[c]);
                }
                double sum = 0;
                for (double v : z) {
                    sum += Math.exp(v - max);
                }
                loss -= z[q.truth()[s]] - max - Math.log(sum);
                n++;
            }
        }
        return n == 0 ? 0 : loss / n;
    }
}
