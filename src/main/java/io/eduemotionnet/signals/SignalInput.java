package io.eduemotionnet.signals;

import io.eduemotionnet.avro.Prediction;
import io.eduemotionnet.privacy.ErasureOrder;

/**
 * What the signals stage receives for one learner: a prediction, or an order to erase the learner.
 * Exactly one field is set. One input type (rather than a two-input operator) lets the pipeline add the
 * erasure orders with one union when the consent gate sends them.
 */
public class SignalInput {
    public Prediction prediction;
    public ErasureOrder erasure;

    public SignalInput() {}

    public static SignalInput of(Prediction p) {
        SignalInput in = new SignalInput();
        in.prediction = p;
        return in;
    }

    public static SignalInput erase(ErasureOrder order) {
        SignalInput in = new SignalInput();
        in.erasure = order;
        return in;
    }

    public String learnerId() {
        return prediction != null ? prediction.getLearnerId() : erasure.learnerId;
    }
}
