package io.eduemotionnet.learner;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.KeyContext;

/**
 * The learner operator's keyed state (RocksDB), for the current key: the learner's carried state
 * ({@code learner}, written once per scored step) and the open steps spilled at checkpoints ({@code
 * open-steps}). Both expire after {@code edu.state.ttl} of processing time.
 */
final class LearnerStore {
    static final String LEARNER = "learner";
    static final String OPEN_STEPS = "open-steps";

    private final ValueState<LearnerState> learners;
    private final MapState<Long, OpenStep> spilled;
    private final KeyContext keys;

    LearnerStore(KeyedStateStore store, KeyContext keys, Duration ttl) {
        StateTtlConfig ttlConfig = StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
        ValueStateDescriptor<LearnerState> learnerDesc = new ValueStateDescriptor<>(LEARNER, TypeInformation.of(LearnerState.class));
        learnerDesc.enableTimeToLive(ttlConfig);
        learners = store.getState(learnerDesc);
        MapStateDescriptor<Long, OpenStep> openDesc = new MapStateDescriptor<>(OPEN_STEPS, Types.LONG, TypeInformation.of(OpenStep.class));
        openDesc.enableTimeToLive(ttlConfig);
        spilled = store.getMapState(openDesc);
        this.keys = keys;
    }

    LearnerState learner() throws Exception {
        return learners.value();
    }

    void update(LearnerState learner) throws Exception {
        learners.update(learner);
    }

    void deleteLearner() {
        learners.clear();
    }

    /** The current key's spilled copy of a step that has closed. */
    void forgetSpilled(long stepStart) throws Exception {
        spilled.remove(stepStart);
    }

    void deleteSpilled() {
        spilled.clear();
    }

    /** After a restore (also rescaled): the open steps spilled at the checkpoint, for this subtask's keys. */
    void loadSpilled(KeyedStateBackend<String> backend, OpenSteps open) throws Exception {
        List<String> restored;
        try (Stream<String> stream = backend.getKeys(OPEN_STEPS, VoidNamespace.INSTANCE)) {
            restored = stream.distinct().collect(Collectors.toList());
        }
        for (String key : restored) {
            keys.setCurrentKey(key);
            for (OpenStep step : spilled.values()) {
                open.restored(key, step);
            }
        }
    }

    /** Writes the open steps keyed state does not hold yet (Flink snapshots keyed state after this). */
    void spill(OpenSteps open) throws Exception {
        Object current = keys.getCurrentKey();
        Exception[] failure = new Exception[1];
        open.forEachUnspilled((key, step) -> {
            try {
                keys.setCurrentKey(key);
                spilled.put(step.stepStart, step);
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        if (current != null) {
            keys.setCurrentKey(current);
        }
    }
}
