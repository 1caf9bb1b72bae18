package io.eduemotionnet.sink;

import io.eduemotionnet.avro.ErasureReceipt;
import io.eduemotionnet.privacy.ErasureOrder;
import io.eduemotionnet.privacy.PrivacyMetrics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Erasure orders that have passed the last per-learner stage become receipts, stamped with the time the
 * deletion was done. Written by the exactly-once sink, a receipt becomes visible with the checkpoint that
 * holds the state without the learner.
 */
public class ErasureReceipts extends RichMapFunction<ErasureOrder, ErasureReceipt> {
    private static final long serialVersionUID = 1L;
    private transient Counter receipts;

    @Override
    public void open(OpenContext openContext) {
        receipts = getRuntimeContext().getMetricGroup().counter(PrivacyMetrics.ERASURE_RECEIPTS);
    }

    @Override
    public ErasureReceipt map(ErasureOrder order) {
        receipts.inc();
        return AvroRecords.erasureReceipt(order, System.currentTimeMillis());
    }
}
