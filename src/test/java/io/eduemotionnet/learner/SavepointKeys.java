package io.eduemotionnet.learner;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * Every learner key with state in a savepoint of the job, read with Flink's State Processor API: the
 * consent gate's grants and the learner operator's carried state and spilled open steps.
 */
public final class SavepointKeys {
    private SavepointKeys() {}

    /** Keys with state in the consent gate ({@code consent-gate}). */
    public static Set<String> gate(String savepoint) throws Exception {
        return collect(reader(savepoint).readKeyedState(OperatorIdentifier.forUid("consent-gate"), new GateKeys()));
    }

    /** Keys with state in the learner operator ({@code learner-operator}). */
    public static Set<String> learner(String savepoint) throws Exception {
        return collect(reader(savepoint).readKeyedState(OperatorIdentifier.forUid("learner-operator"), new LearnerKeys()));
    }

    private static SavepointReader reader(String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        return SavepointReader.read(env, savepoint, new EmbeddedRocksDBStateBackend());
    }

    private static Set<String> collect(DataStream<String> keys) throws Exception {
        Set<String> out = new TreeSet<>();
        try (CloseableIterator<String> it = keys.executeAndCollect("read-savepoint")) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    static final class GateKeys extends KeyedStateReaderFunction<String, String> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<Long> grantedFrom;

        @Override
        public void open(OpenContext context) {
            grantedFrom = getRuntimeContext().getState(new ValueStateDescriptor<>("consent-granted-from", Types.LONG));
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            if (grantedFrom.value() != null) {
                out.collect(key);
            }
        }
    }

    static final class LearnerKeys extends KeyedStateReaderFunction<String, String> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<LearnerState> learner;
        private transient MapState<Long, OpenStep> spilled;

        @Override
        public void open(OpenContext context) {
            // the same descriptors as LearnerStore's, TTL included (it changes how the state is serialised)
            StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofHours(1)).build();
            ValueStateDescriptor<LearnerState> l = new ValueStateDescriptor<>(LearnerStore.LEARNER, TypeInformation.of(LearnerState.class));
            l.enableTimeToLive(ttl);
            learner = getRuntimeContext().getState(l);
            MapStateDescriptor<Long, OpenStep> o = new MapStateDescriptor<>(LearnerStore.OPEN_STEPS, Types.LONG, TypeInformation.of(OpenStep.class));
            o.enableTimeToLive(ttl);
            spilled = getRuntimeContext().getMapState(o);
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            if (learner.value() != null || spilled.keys().iterator().hasNext()) {
                out.collect(key);
            }
        }
    }
}
