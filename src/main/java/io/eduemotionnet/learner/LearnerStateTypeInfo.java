package io.eduemotionnet.learner;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** Type information for {@link LearnerState} (via {@code @TypeInfo}): {@link LearnerStateSerializer}. */
public final class LearnerStateTypeInfo extends TypeInformation<LearnerState> {
    private static final long serialVersionUID = 1L;

    /** Picked up by {@code TypeInformation.of(LearnerState.class)} through the class's annotation. */
    public static final class Factory extends TypeInfoFactory<LearnerState> {
        @Override
        public TypeInformation<LearnerState> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new LearnerStateTypeInfo();
        }
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<LearnerState> getTypeClass() {
        return LearnerState.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<LearnerState> createSerializer(SerializerConfig config) {
        return new LearnerStateSerializer();
    }

    @Override
    public String toString() {
        return "LearnerState";
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof LearnerStateTypeInfo;
    }

    @Override
    public int hashCode() {
        return LearnerStateTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj instanceof LearnerStateTypeInfo;
    }
}
