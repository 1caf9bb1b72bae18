package io.eduemotionnet.sink;

import io.eduemotionnet.learner.AlignedStep;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.serialization.Encoder;

/**
 * One aligned step as one JSON line in the model's training format (model/edu_emotionnet/data.py):
 * learner_id, session_id, step, step_start_ms, mask, audio/visual/text (null when missing), quality
 * (the mean quality score per modality, null where none was reported), label null.
 *
 * <p>session_id and step name a training sequence, not the producer's session: each run of the
 * learner's carried state is one sequence, written as {@code <session id>#<first step start, epoch
 * ms>} with steps counted from that first step. A session whose state started afresh (the gap rule
 * {@code edu.state.max-gap-steps}, state TTL, a model change) is thus several sequences, each
 * starting from zero state as the job scored it, and no step number appears twice in a sequence.
 * The producer's session id is the part before the last {@code #}; step_start_ms is the step's start
 * (for joining annotations by time).
 */
public class TrainingFormatEncoder implements Encoder<AlignedStep> {
    private static final long serialVersionUID = 1L;
    /** Suffix of the part files: the model's reader reads *.jsonl (and *.json) files only. */
    public static final String SUFFIX = ".jsonl";
    private static final String[] NAMES = {"audio", "visual", "text"};

    @Override
    public void encode(AlignedStep step, OutputStream out) throws IOException {
        StringBuilder sb = new StringBuilder(16_384);
        sb.append("{\"learner_id\":");
        quote(sb, step.learnerId);
        sb.append(",\"session_id\":");
        quote(sb, step.sessionId);
        sb.append(",\"step\":").append(step.sessionStep);
        sb.append(",\"step_start_ms\":").append(step.stepStart);
        sb.append(",\"mask\":[");
        for (int m = 0; m < 3; m++) {
            sb.append(m == 0 ? "" : ",").append(step.present(m) ? 1 : 0);
        }
        sb.append(']');
        for (int m = 0; m < 3; m++) {
            sb.append(",\"").append(NAMES[m]).append("\":");
            float[] v = step.embedding(m);
            if (v == null) {
                sb.append("null");
            } else {
                sb.append('[');
                for (int i = 0; i < v.length; i++) {
                    sb.append(i == 0 ? "" : ",").append(v[i]);
                }
                sb.append(']');
            }
        }
        sb.append(",\"quality\":[");
        for (int m = 0; m < 3; m++) {
            float q = step.meanQuality[m];
            sb.append(m == 0 ? "" : ",");
            if (step.present(m) && !Float.isNaN(q)) {
                sb.append(q);
            } else {
                sb.append("null");
            }
        }
        sb.append(']');
        sb.append(",\"label\":null}\n");
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                sb.append('\\');
            }
            sb.append(ch);
        }
        sb.append('"');
    }
}
