package io.eduemotionnet.synthetic;

import io.eduemotionnet.ingest.ConsentDecoder;
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

    /**
     * Decodes and validates each raw record with the same decoders the Kafka sources use: events, and
     * consent changes when the stream has them (then only in front of the consent gate).
     */
    public static final class Decode implements FlatMapFunction<RawRecords, IngestResult> {
        private static final long serialVersionUID = 1L;
        private final RecordDecoder decoder;
        private final ConsentDecoder consent;

        public Decode(RecordDecoder decoder) {
            this(decoder, null);
        }

        public Decode(RecordDecoder decoder, ConsentDecoder consent) {
            this.decoder = decoder;
            this.consent = consent;
        }

        @Override
        public void flatMap(RawRecords batch, Collector<IngestResult> out) {
            for (RawRecord r : batch.records) {
                if (SyntheticStream.CONSENT_TOPIC.equals(r.topic)) {
                    if (consent == null) {
                        throw new IllegalStateException("a synthetic stream with consent records needs the consent gate");
                    }
                    out.collect(consent.decode(null, r.value, r.topic, r.partition, r.offset, null));
                } else {
                    out.collect(decoder.decode(r.value, r.topic, r.partition, r.offset, null));
                }
            }
        }
    }
}
