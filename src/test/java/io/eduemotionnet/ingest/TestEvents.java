package io.eduemotionnet.ingest;

import io.eduemotionnet.avro.Modality;
import io.eduemotionnet.avro.ModalityEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Valid modality events for tests. */
public final class TestEvents {
    private TestEvents() {}

    public static final int[] DIMS = {128, 512, 384};

    public static ModalityEvent event(String learner, Modality modality, long time, long seed) {
        Random r = new Random(seed);
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < DIMS[modality.ordinal()]; i++) {
            values.add((float) r.nextGaussian() * 0.3f);
        }
        return ModalityEvent.newBuilder()
                .setLearnerId(learner)
                .setSessionId(learner + "-s1")
                .setModality(modality)
                .setEventTime(Instant.ofEpochMilli(time))
                .setEmbedding(values)
                .setQuality(0.9f)
                .build();
    }
}
