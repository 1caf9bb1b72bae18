package io.eduemotionnet.ingest;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;

/** A source reader that emits nothing until its enumerator says the consent topic has been taken in. */
final class ReaderWaitingForConsent<T, S extends SourceSplit> implements SourceReader<T, S> {
    private final SourceReader<T, S> reader;
    private final SourceReaderContext context;
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    ReaderWaitingForConsent(SourceReader<T, S> reader, SourceReaderContext context) {
        this.reader = reader;
        this.context = context;
    }

    @Override
    public void start() {
        context.metricGroup().gauge(IngestMetrics.EVENTS_HELD_FOR_CONSENT, () -> released.isDone() ? 0 : 1);
        reader.start();
        context.sendSourceEventToCoordinator(new ConsentFirstSource.Ask());
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
        return released.isDone() ? reader.pollNext(output) : InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return released.isDone() ? reader.isAvailable() : released;
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof ConsentFirstSource.Go) {
            released.complete(null);
        } else {
            reader.handleSourceEvents(event);
        }
    }

    @Override
    public List<S> snapshotState(long checkpointId) {
        return reader.snapshotState(checkpointId);
    }

    @Override
    public void addSplits(List<S> splits) {
        reader.addSplits(splits);
    }

    @Override
    public void notifyNoMoreSplits() {
        reader.notifyNoMoreSplits();
    }

    @Override
    public void pauseOrResumeSplits(java.util.Collection<String> pause, java.util.Collection<String> resume) {
        reader.pauseOrResumeSplits(pause, resume);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        reader.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        reader.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void close() throws Exception {
        reader.close();
    }
}
