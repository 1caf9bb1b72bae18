package io.eduemotionnet.ingest;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * The events source, held back at every start of the job until the consent gate has taken in the consent
 * topic as it stood then ({@link ConsentCatchUp}). Without it the two topics are read side by side, and on
 * a start against an events topic that already holds data the gate sees events before their learners'
 * grants and must discard them (fail closed). The gate cannot buffer them instead: it keeps nothing of a
 * learner without a grant. Flink offers no "read this input first" for a checkpointed two-input operator
 * (InputSelectable is refused with checkpointing), so the hold sits in the events source: its readers emit
 * nothing until their enumerator has seen the consent source's committed offsets reach the topic's end.
 *
 * <p>Held readers read nothing, so their splits keep their start offsets in every checkpoint taken
 * meanwhile. The release is not checkpointed: a restore waits for the consent topic again (grants written
 * while the job was down come before the events written then).
 */
public final class ConsentFirstSource<T, S extends SourceSplit, E> implements Source<T, S, E>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final Source<T, S, E> events;
    private final TypeInformation<T> type;
    private final ConsentCatchUp catchUp;

    public <Q extends Source<T, S, E> & ResultTypeQueryable<T>> ConsentFirstSource(Q events, ConsentCatchUp catchUp) {
        this.events = events;
        this.type = events.getProducedType();
        this.catchUp = catchUp;
    }

    @Override
    public Boundedness getBoundedness() {
        return events.getBoundedness();
    }

    @Override
    public SourceReader<T, S> createReader(SourceReaderContext context) throws Exception {
        return new ReaderWaitingForConsent<>(events.createReader(context), context);
    }

    @Override
    public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context) throws Exception {
        return new EnumeratorWaitingForConsent<>(events.createEnumerator(context), context, catchUp);
    }

    @Override
    public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E checkpoint) throws Exception {
        return new EnumeratorWaitingForConsent<>(events.restoreEnumerator(context, checkpoint), context, catchUp);
    }

    @Override
    public SimpleVersionedSerializer<S> getSplitSerializer() {
        return events.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
        return events.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return type;
    }

    /** A reader asks, when it starts, whether the consent topic has been taken in. */
    static final class Ask implements SourceEvent {
        private static final long serialVersionUID = 1L;
    }

    /** The enumerator's answer, once it has: read. */
    static final class Go implements SourceEvent {
        private static final long serialVersionUID = 1L;
    }
}
