package io.eduemotionnet.sideoutput;

import io.eduemotionnet.align.AlignedStep;
import io.eduemotionnet.ingest.EmbeddingEvent;
import io.eduemotionnet.avro.ConfidenceReport;
import io.eduemotionnet.avro.DropoutReport;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** The job's side outputs: nothing the job receives or learns is dropped without a trace. */
public final class OutputTags {
    private OutputTags() {}

    public static final OutputTag<EmbeddingEvent> LATE_EVENTS =
            new OutputTag<>("late-events", TypeInformation.of(EmbeddingEvent.class));
    public static final OutputTag<DropoutReport> DROPOUT =
            new OutputTag<>("modality-dropout", TypeInformation.of(DropoutReport.class));
    public static final OutputTag<ConfidenceReport> CONFIDENCE =
            new OutputTag<>("confidence", TypeInformation.of(ConfidenceReport.class));
    /** Scored steps with their pooled inputs and session step number, for training-data collection. */
    public static final OutputTag<AlignedStep> ALIGNED_STEPS =
            new OutputTag<>("aligned-steps", TypeInformation.of(AlignedStep.class));
}
