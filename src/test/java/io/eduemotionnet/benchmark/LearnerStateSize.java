package io.eduemotionnet.benchmark;

import io.eduemotionnet.learner.LearnerState;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.synthetic.SyntheticStream;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Bytes of one learner's state value as the job's serializer writes it into RocksDB (before RocksDB's own overhead). */
final class LearnerStateSize {
    private LearnerStateSize() {}

    static int bytes(ModelInfo info) throws Exception {
        LearnerState state = LearnerState.start(SyntheticStream.sessionId(1, 0), 0);
        state.modelId = info.modelId;
        state.modelState = new float[info.stateSize];
        var serializer = TypeInformation.of(LearnerState.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(8192);
        serializer.serialize(state, out);
        return out.length();
    }
}
