package io.eduemotionnet.align;

/** Running sums of one learner's events in one step window (a Flink POJO kept in window state). */
public class StepAccumulator {
    public float[][] sums = new float[3][];
    public int[] counts = new int[3];
    public double[] qualitySums = new double[3];
    public int[] qualityCounts = new int[3];
    /** Session of the latest event in the step (a step spanning a session switch belongs to the new one). */
    public String sessionId;
    public long sessionEventTime = Long.MIN_VALUE;

    public StepAccumulator() {}
}
