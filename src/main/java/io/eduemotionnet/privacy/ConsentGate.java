package io.eduemotionnet.privacy;

import io.eduemotionnet.avro.ConsentAction;
import io.eduemotionnet.ingest.ConsentUpdate;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.ingest.IngestResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consent gate, keyed by learner: the only stage that sees a learner's events before anything is
 * kept about them. Per learner it keeps one number, the event time from which the learner's current grant
 * of this job's purpose covers events (no grant: no state).
 *
 * <ul>
 *   <li>An event passes on (as {@link LearnerInput#of}) only if the learner has a current grant made at or
 *       before the event's time; otherwise it is discarded here, written nowhere and only counted
 *       ({@code eduEventsWithoutConsent}): not a dead letter, which would keep the embedding.</li>
 *   <li>A grant of the purpose opens the gate from its {@code changed_at} (an earlier grant still standing
 *       keeps its start). Grants are not buffered against events that came first: an event that arrives
 *       before its learner's grant is discarded (fail closed), so platforms write the grant before the
 *       learner's client starts sending. Events already waiting in Kafka at a start are held in their
 *       source until this gate has taken in the consent topic ({@code ConsentFirstSource}).</li>
 *   <li>A withdrawal, an erasure request, or a grant that no longer lists the purpose (if one was standing)
 *       closes the gate and is an erasure: the gate deletes its own record, counts it, and sends an
 *       {@link ErasureOrder} down the learner's stages ({@link LearnerInput#erase}), at once, whatever the
 *       watermark. Every such request gets an order, also for a learner the job never saw.</li>
 * </ul>
 *
 * <p>Without {@code edu.privacy.consent-required} events pass whatever the consent, and erasures still
 * happen (no grants are kept then).
 *
 * <p>Input 1 carries the events (and, from the synthetic source, consent changes in the same order as the
 * events); input 2 the consent topic. Only input 1's watermarks count: the consent topic is sparse and
 * must never hold event time back. Keyed rather than broadcast: each subtask keeps only its own learners'
 * grants, and an erasure deletes a key.
 */
public class ConsentGate extends AbstractStreamOperator<LearnerInput>
        implements OneInputStreamOperator<IngestResult, LearnerInput>,
        TwoInputStreamOperator<IngestResult, IngestResult, LearnerInput> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ConsentGate.class);
    public static final String CAUSE_WITHDRAWAL = "WITHDRAWAL";
    public static final String CAUSE_REQUEST = "REQUEST";

    private final boolean consentRequired;
    private transient ValueState<Long> grantedFrom;
    private transient Counter withoutConsent;
    private transient Counter changes;
    private transient Counter erasures;
    // the same counts as accumulators: a local run's summary reads them from the job's result
    private transient LongCounter withoutConsentTotal;
    private transient LongCounter erasuresTotal;

    public ConsentGate(boolean consentRequired) {
        this.consentRequired = consentRequired;
    }

    @Override
    public void open() throws Exception {
        super.open();
        grantedFrom = getRuntimeContext().getState(new ValueStateDescriptor<>("consent-granted-from", Types.LONG));
        withoutConsent = getMetricGroup().counter(PrivacyMetrics.EVENTS_WITHOUT_CONSENT);
        changes = getMetricGroup().counter(PrivacyMetrics.CONSENT_CHANGES);
        erasures = getMetricGroup().counter(PrivacyMetrics.ERASURE_ORDERS);
        withoutConsentTotal = new LongCounter();
        erasuresTotal = new LongCounter();
        getRuntimeContext().addAccumulator(PrivacyMetrics.EVENTS_WITHOUT_CONSENT, withoutConsentTotal);
        getRuntimeContext().addAccumulator(PrivacyMetrics.ERASURE_ORDERS, erasuresTotal);
    }

    @Override
    public void processElement(StreamRecord<IngestResult> record) throws Exception {
        route(record);
    }

    @Override
    public void processElement1(StreamRecord<IngestResult> record) throws Exception {
        route(record);
    }

    @Override
    public void processElement2(StreamRecord<IngestResult> record) throws Exception {
        route(record);
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // consent changes carry no event time for the job: only the events' watermark moves on
    }

    @Override
    protected void processWatermarkStatus(WatermarkStatus status, int inputIndex) throws Exception {
        if (inputIndex == 0) {
            output.emitWatermarkStatus(status);
        }
    }

    private void route(StreamRecord<IngestResult> record) throws Exception {
        IngestResult in = record.getValue();
        if (in.event != null) {
            event(in.event, record);
        } else if (in.consent != null) {
            change(in.consent, record);
        } else {
            throw new IllegalArgumentException("dead letters go to their side output before the consent gate");
        }
    }

    private void event(EmbeddingEvent e, StreamRecord<IngestResult> record) throws Exception {
        if (consentRequired) {
            Long from = grantedFrom.value();
            if (from == null || e.eventTime < from) {
                withoutConsent.inc();
                withoutConsentTotal.add(1);
                return;
            }
        }
        output.collect(record.replace(LearnerInput.of(e)));
    }

    private void change(ConsentUpdate c, StreamRecord<IngestResult> record) throws Exception {
        changes.inc();
        Long from = grantedFrom.value();
        if (c.grants()) {
            if (consentRequired && from == null) {
                grantedFrom.update(c.changedAt);
            }
            return;
        }
        if (c.action == ConsentAction.GRANTED && from == null) {
            return; // a grant of other purposes only, and none of ours standing: nothing to end
        }
        ErasureOrder order = new ErasureOrder(c.learnerId, c.requestId, c.changedAt,
                c.action == ConsentAction.ERASURE_REQUESTED ? CAUSE_REQUEST : CAUSE_WITHDRAWAL);
        if (from != null) {
            grantedFrom.clear();
            order.addDeleted(ErasureOrder.Deleted.CONSENT, 1);
        }
        erasures.inc();
        erasuresTotal.add(1);
        // counts only: never the learner id or the request id (the receipt carries them)
        LOG.debug("erasure order sent down the learner's stages: cause {}, grant deleted {}", order.cause,
                order.deleted(ErasureOrder.Deleted.CONSENT));
        output.collect(record.replace(LearnerInput.erase(order)));
    }
}
