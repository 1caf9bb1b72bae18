package io.eduemotionnet.ingest;

/** An input record the job could not use (a Flink POJO); written to the dead-letter topic as Avro. */
public class DeadLetterRecord {
    public byte[] raw;
    public String topic;
    public int partition;
    public long offset;
    /** Kafka record timestamp, or null. */
    public Long kafkaTimestamp;
    public String reason;
    public String detail;
    public long detectedAt;

    public DeadLetterRecord() {}

    public DeadLetterRecord(byte[] raw, String topic, int partition, long offset, Long kafkaTimestamp, String reason,
                            String detail, long detectedAt) {
        this.raw = raw;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.kafkaTimestamp = kafkaTimestamp;
        this.reason = reason;
        this.detail = detail;
        this.detectedAt = detectedAt;
    }
}
