package io.eduemotionnet.monitoring;

import io.eduemotionnet.metrics.EmotionMetrics;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;

/** The job's own metric names, as EmotionMetrics declares them (eduEventsReceived, ...). */
final class JobMetrics {
    private JobMetrics() {}

    static Set<String> declaredNames() {
        Set<String> names = new TreeSet<>();
        for (Field f : EmotionMetrics.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }
}
