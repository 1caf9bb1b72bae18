package io.eduemotionnet.synthetic;

/** A record as a Kafka consumer would see it: value bytes and where they came from (a Flink POJO). */
public class RawRecord {
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;

    public RawRecord() {}

    public RawRecord(byte[] value, String topic, int partition, long offset) {
        this.value = value;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
    }
}
