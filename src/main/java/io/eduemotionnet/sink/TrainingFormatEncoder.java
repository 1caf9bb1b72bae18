package io.eduemotionnet.sink;

import io.eduemotionnet.learner.AlignedStep;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.eduemotionnet.model.ModelInfo;
import java.io.IOException;
import java.io.OutputStream;
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
    /** Jackson's streaming writer: escapes every string (control characters too), writes floats as Java does. */
    private static final JsonFactory JSON = JsonFactory.builder().build().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    @Override
    public void encode(AlignedStep step, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("learner_id", step.learnerId);
            g.writeStringField("session_id", step.sessionId);
            g.writeNumberField("step", step.sessionStep);
            g.writeNumberField("step_start_ms", step.stepStart);
            g.writeArrayFieldStart("mask");
            for (int m = 0; m < 3; m++) {
                g.writeNumber(step.present(m) ? 1 : 0);
            }
            g.writeEndArray();
            for (int m = 0; m < 3; m++) {
                g.writeFieldName(ModelInfo.MODALITIES.get(m));
                float[] v = step.embedding(m);
                if (v == null) {
                    g.writeNull();
                } else {
                    g.writeStartArray();
                    for (float x : v) {
                        g.writeNumber(x);
                    }
                    g.writeEndArray();
                }
            }
            g.writeArrayFieldStart("quality");
            for (int m = 0; m < 3; m++) {
                float q = step.meanQuality[m];
                if (step.present(m) && !Float.isNaN(q)) {
                    g.writeNumber(q);
                } else {
                    g.writeNull();
                }
            }
            g.writeEndArray();
            g.writeNullField("label");
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }
}
