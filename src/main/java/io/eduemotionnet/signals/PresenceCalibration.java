package io.eduemotionnet.signals;

import io.eduemotionnet.config.ConfigException;
import io.eduemotionnet.config.JobOptions;
import java.io.Serializable;
import java.util.List;

/**
 * What the intervention rules read as a step's probabilities: the model's, temperature-scaled by how many
 * modalities the step had ({@code softmax(log p / T_k)}, k present). Measured on EduAffect-Synth, the
 * shipped model is over-confident when all three modalities are present and under-confident with one
 * (README, Interventions), so one threshold meant different odds at 20 % and at 60 % missing. Scaling keeps
 * the label (the argmax) and changes only how sure the rules take it to be. Temperatures are fitted per
 * model by the measurement command ({@code --fit-temperatures}); all 1 leaves the probabilities as they are.
 */
public final class PresenceCalibration implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final float FLOOR = 1e-7f;

    private final double[] temperatures; // [k - 1]: k modalities present

    private PresenceCalibration(double[] temperatures) {
        this.temperatures = temperatures;
    }

    /** No scaling. */
    public static PresenceCalibration none() {
        return new PresenceCalibration(new double[0]);
    }

    /** The configured temperatures, one per number of present modalities (1 .. {@code modalities}). */
    public static PresenceCalibration bind(List<Double> temperatures, int modalities) {
        if (temperatures.size() != modalities) {
            throw new ConfigException(JobOptions.INTERVENTION_TEMPERATURES.key(), "needs one temperature per number of "
                    + "present modalities (1 to " + modalities + "), got " + temperatures.size() + ": " + temperatures);
        }
        double[] t = new double[modalities];
        for (int i = 0; i < modalities; i++) {
            t[i] = temperatures.get(i);
        }
        return new PresenceCalibration(t);
    }

    /** The probabilities the rules read for a step with {@code present} modalities (unchanged without input). */
    public float[] apply(float[] probabilities, int present) {
        if (present <= 0 || present > temperatures.length || temperatures[present - 1] == 1.0) {
            return probabilities;
        }
        return scale(probabilities, temperatures[present - 1]);
    }

    /** {@code softmax(log p / t)}, probabilities floored at 1e-7 first (a zero would be minus infinity). */
    public static float[] scale(float[] probabilities, double t) {
        double[] z = new double[probabilities.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < z.length; c++) {
            z[c] = Math.log(Math.max(probabilities[c], FLOOR)) / t;
            max = Math.max(max, z[c]);
        }
        double sum = 0;
        for (int c = 0; c < z.length; c++) {
            z[c] = Math.exp(z[c] - max);
            sum += z[c];
        }
        float[] out = new float[z.length];
        for (int c = 0; c < z.length; c++) {
            out[c] = (float) (z[c] / sum);
        }
        return out;
    }
}
