package io.eduemotionnet.synthetic;

import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.ingest.RecordDecoder;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.util.Collector;

/** The built-in source: learner-steps from the benchmark process, decoded like Kafka records. */
public final class SyntheticSource {
    private SyntheticSource() {}

    public static DataGeneratorSource<RawRecords> create(SyntheticStream stream) {
        long count = stream.totalSteps == Long.MAX_VALUE ? Long.MAX_VALUE : stream.totalSteps * stream.learners;
        return new DataGeneratorSource<>(new SyntheticRecordGenerator(stream), count, TypeInformation.of(RawRecords.class));
    }

    /** Decodes and validates each raw record with the same decoder the Kafka source uses. */
    public static final class Decode implements FlatMapFunction<RawRecords, IngestResult> {
        private static final long serialVersionUID = 1L;
        private final RecordDecoder decoder;

        public Decode(RecordDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void flatMap(RawRecords batch, Collector<IngestResult> out) {
            for (RawRecord r : batch.records) {
                out.collect(decoder.decode(r.value, r.topic, r.partition, r.offset, null));
            }
        }
    }
}
