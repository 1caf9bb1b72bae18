package io.eduemotionnet.learner;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Every learner's open steps on the heap (authoritative between checkpoints): events are pooled here,
 * not read from and written to RocksDB per event. A checkpoint spills the steps keyed state does not
 * hold yet ({@link #forEachUnspilled}); a restore loads them back ({@link #restored}).
 */
final class OpenSteps {
    private final Map<String, OpenStep> byLearner = new HashMap<>();

    /** The learner's open step for the slot, opened (and returned with {@code opened} set) if new. */
    OpenStep open(String learner, long stepStart, long now, boolean[] opened) {
        OpenStep head = byLearner.get(learner);
        for (OpenStep s = head; s != null; s = s.next) {
            if (s.stepStart == stepStart) {
                opened[0] = false;
                return s;
            }
        }
        OpenStep s = new OpenStep(stepStart, now);
        s.next = head;
        byLearner.put(learner, s);
        opened[0] = true;
        return s;
    }

    /** Removes and returns the learner's open step for the slot, or null. */
    OpenStep take(String learner, long stepStart) {
        OpenStep prev = null;
        for (OpenStep s = byLearner.get(learner); s != null; prev = s, s = s.next) {
            if (s.stepStart == stepStart) {
                if (prev != null) {
                    prev.next = s.next;
                } else if (s.next != null) {
                    byLearner.put(learner, s.next);
                } else {
                    byLearner.remove(learner);
                }
                s.next = null;
                return s;
            }
        }
        return null;
    }

    /** Removes all the learner's open steps; returns the first of them (linked by {@code next}), or null. */
    OpenStep removeAll(String learner) {
        return byLearner.remove(learner);
    }

    /** A step loaded from keyed state after a restore (also rescaled). */
    void restored(String learner, OpenStep step) {
        step.inState = true;
        step.spilled = true;
        step.next = byLearner.get(learner);
        byLearner.put(learner, step);
    }

    /** Each step that keyed state does not hold as it is now; marks it spilled. */
    void forEachUnspilled(BiConsumer<String, OpenStep> spill) {
        for (Map.Entry<String, OpenStep> e : byLearner.entrySet()) {
            for (OpenStep s = e.getValue(); s != null; s = s.next) {
                if (!s.spilled) {
                    spill.accept(e.getKey(), s);
                    s.inState = true;
                    s.spilled = true;
                }
            }
        }
    }

    int learners() {
        return byLearner.size();
    }
}
