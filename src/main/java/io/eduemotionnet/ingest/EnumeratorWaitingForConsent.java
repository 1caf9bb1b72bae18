package io.eduemotionnet.ingest;

import java.util.List;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events source's enumerator, which also releases its readers: it asks Kafka once a second whether
 * the consent topic has been taken in ({@link ConsentCatchUp}) and, once it has or the wait has lasted
 * {@code edu.kafka.consent-catch-up-timeout}, tells every reader to read. Split assignment is the wrapped
 * enumerator's, unchanged.
 */
final class EnumeratorWaitingForConsent<S extends SourceSplit, E> implements SplitEnumerator<S, E> {
    private static final Logger LOG = LoggerFactory.getLogger(EnumeratorWaitingForConsent.class);
    static final long CHECK_EVERY_MS = 1000;
    static final long WARN_EVERY_MS = 60_000;

    private final SplitEnumerator<S, E> enumerator;
    private final SplitEnumeratorContext<S> context;
    private final ConsentCatchUp catchUp;
    private ConsentCatchUp.Probe probe;
    private volatile boolean released;
    private long startedAt;
    private long lastWarned = -WARN_EVERY_MS;

    EnumeratorWaitingForConsent(SplitEnumerator<S, E> enumerator, SplitEnumeratorContext<S> context, ConsentCatchUp catchUp) {
        this.enumerator = enumerator;
        this.context = context;
        this.catchUp = catchUp;
    }

    @Override
    public void start() {
        enumerator.start();
        startedAt = System.currentTimeMillis();
        probe = catchUp.open();
        LOG.info("modality events held until the consent topic, as it stands now, is taken in (at most {})", catchUp.timeout);
        context.callAsync(this::caughtUp, this::checked, 0, CHECK_EVERY_MS);
    }

    private boolean caughtUp() throws Exception {
        if (released) {
            probe.close(); // idempotent; the checks stop mattering once released
            return true;
        }
        return probe.caughtUp();
    }

    private void checked(Boolean caughtUp, Throwable error) {
        if (released) {
            return;
        }
        long waited = System.currentTimeMillis() - startedAt;
        if (Boolean.TRUE.equals(caughtUp)) {
            LOG.info("consent topic taken in after {} ms: modality events are read from now on", waited);
            release();
        } else if (waited >= catchUp.timeout.toMillis()) {
            LOG.warn("consent topic not taken in after {} ms (edu.kafka.consent-catch-up-timeout): modality events are"
                    + " read anyway, and those read before their learner's grant are discarded", waited);
            release();
        } else if (error != null && waited - lastWarned >= WARN_EVERY_MS) {
            lastWarned = waited; // once a minute: the check repeats every second
            LOG.warn("cannot tell yet whether the consent topic is taken in: {}", error.toString());
        }
    }

    private void release() {
        released = true;
        for (int reader : context.registeredReaders().keySet()) {
            context.sendEventToSourceReader(reader, new ConsentFirstSource.Go());
        }
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent event) {
        if (event instanceof ConsentFirstSource.Ask) {
            if (released) { // a reader that started after the release, e.g. after a failover of its task
                context.sendEventToSourceReader(subtaskId, new ConsentFirstSource.Go());
            }
        } else {
            enumerator.handleSourceEvent(subtaskId, event);
        }
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        enumerator.handleSplitRequest(subtaskId, requesterHostname);
    }

    @Override
    public void addSplitsBack(List<S> splits, int subtaskId) {
        enumerator.addSplitsBack(splits, subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {
        enumerator.addReader(subtaskId);
    }

    @Override
    public E snapshotState(long checkpointId) throws Exception {
        return enumerator.snapshotState(checkpointId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        enumerator.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        enumerator.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void close() throws java.io.IOException {
        released = true;
        enumerator.close();
        if (probe != null) {
            probe.close();
        }
    }
}
