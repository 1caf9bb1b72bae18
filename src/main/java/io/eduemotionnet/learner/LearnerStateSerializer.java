package io.eduemotionnet.learner;

import io.eduemotionnet.model.ModelInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * {@link LearnerState} in RocksDB. Every scored step reads and writes one learner's value, whose bulk
 * is the model's carried state (ModelInfo.stateSize floats, about 4 KB). Flink's POJO serializer
 * writes those floats one {@code writeFloat} at a time through reflection; this one writes them as
 * one block of little-endian bytes (a bulk copy through a {@link FloatBuffer} view), which the
 * profile showed as most of the state (de)serialization time.
 *
 * <p>Format (version 1): sessionId and modelId (Flink's {@link StringValue} encoding, null allowed), modelState
 * (int length, -1 for null, then the floats little-endian), sessionStart, lastStepStart, emptySteps,
 * presentBits, seenBits, missingRun (int length, -1 for null, then the ints).
 *
 * <p>Stateful (a scratch buffer), so {@link #duplicate} returns a new instance. State written by the
 * earlier POJO serializer is migrated on restore (see {@link Snapshot#resolveSchemaCompatibility}).
 */
public final class LearnerStateSerializer extends TypeSerializer<LearnerState> {
    private static final long serialVersionUID = 1L;

    private transient byte[] scratch;
    private transient FloatBuffer floats; // little-endian view over scratch

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<LearnerState> duplicate() {
        return new LearnerStateSerializer();
    }

    @Override
    public LearnerState createInstance() {
        return new LearnerState();
    }

    @Override
    public LearnerState copy(LearnerState from) {
        LearnerState to = new LearnerState();
        to.sessionId = from.sessionId;
        to.modelId = from.modelId;
        to.modelState = from.modelState == null ? null : from.modelState.clone();
        to.sessionStart = from.sessionStart;
        to.lastStepStart = from.lastStepStart;
        to.emptySteps = from.emptySteps;
        to.presentBits = from.presentBits;
        to.seenBits = from.seenBits;
        to.missingRun = from.missingRun == null ? null : from.missingRun.clone();
        return to;
    }

    @Override
    public LearnerState copy(LearnerState from, LearnerState reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    private FloatBuffer floats(int count) {
        if (scratch == null || scratch.length < count * Float.BYTES) {
            scratch = new byte[Math.max(count, 1024) * Float.BYTES];
            floats = ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }
        floats.clear();
        return floats;
    }

    @Override
    public void serialize(LearnerState s, DataOutputView out) throws IOException {
        StringValue.writeString(s.sessionId, out);
        StringValue.writeString(s.modelId, out);
        if (s.modelState == null) {
            out.writeInt(-1);
        } else {
            int n = s.modelState.length;
            out.writeInt(n);
            floats(n).put(s.modelState, 0, n);
            out.write(scratch, 0, n * Float.BYTES);
        }
        out.writeLong(s.sessionStart);
        out.writeLong(s.lastStepStart);
        out.writeInt(s.emptySteps);
        out.writeInt(s.presentBits);
        out.writeInt(s.seenBits);
        if (s.missingRun == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(s.missingRun.length);
            for (int v : s.missingRun) {
                out.writeInt(v);
            }
        }
    }

    @Override
    public LearnerState deserialize(DataInputView in) throws IOException {
        LearnerState s = new LearnerState();
        s.sessionId = StringValue.readString(in);
        s.modelId = StringValue.readString(in);
        int n = in.readInt();
        if (n >= 0) {
            FloatBuffer view = floats(n);
            in.readFully(scratch, 0, n * Float.BYTES);
            s.modelState = new float[n];
            view.get(s.modelState, 0, n);
        }
        s.sessionStart = in.readLong();
        s.lastStepStart = in.readLong();
        s.emptySteps = in.readInt();
        s.presentBits = in.readInt();
        s.seenBits = in.readInt();
        int runs = in.readInt();
        s.missingRun = runs < 0 ? null : new int[runs];
        for (int i = 0; i < runs; i++) {
            s.missingRun[i] = in.readInt();
        }
        return s;
    }

    @Override
    public LearnerState deserialize(LearnerState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof LearnerStateSerializer;
    }

    @Override
    public int hashCode() {
        return LearnerStateSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<LearnerState> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The format has no parameters: the snapshot names the serializer (and its version). */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<LearnerState> {
        public Snapshot() {
            super(LearnerStateSerializer::new);
        }

        /**
         * Savepoints of earlier versions of the job hold LearnerState in Flink's POJO format: Flink
         * reads them with the old serializer and rewrites them in this one (state migration).
         */
        @Override
        public TypeSerializerSchemaCompatibility<LearnerState> resolveSchemaCompatibility(
                TypeSerializerSnapshot<LearnerState> oldSnapshot) {
            if (oldSnapshot instanceof PojoSerializerSnapshot
                    && oldSnapshot.restoreSerializer().createInstance() instanceof LearnerState) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            return super.resolveSchemaCompatibility(oldSnapshot);
        }
    }
}
