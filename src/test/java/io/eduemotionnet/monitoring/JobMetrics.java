package io.eduemotionnet.monitoring;

import io.eduemotionnet.ingest.IngestMetrics;
import io.eduemotionnet.learner.LearnerMetrics;
import io.eduemotionnet.privacy.PrivacyMetrics;
import io.eduemotionnet.signals.SignalMetrics;
import java.util.List;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;

/** The job's own metric names, as the stages' metric classes declare them (eduEventsReceived, ...). */
final class JobMetrics {
    private JobMetrics() {}

    static Set<String> declaredNames() {
        Set<String> names = new TreeSet<>();
        for (Class<?> stage : List.of(IngestMetrics.class, PrivacyMetrics.class, LearnerMetrics.class, SignalMetrics.class)) {
        for (Field f : stage.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        }
        return names;
    }
}
