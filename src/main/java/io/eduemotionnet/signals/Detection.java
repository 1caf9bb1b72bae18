package io.eduemotionnet.signals;

/** A rule fired at one step: which rule, the episode so far and when. */
public final class Detection {
    public final int rule;
    public final long episodeStart;
    public final long detectedAt;
    public final int steps;
    public final double meanProbability;

    public Detection(int rule, long episodeStart, long detectedAt, int steps, double meanProbability) {
        this.rule = rule;
        this.episodeStart = episodeStart;
        this.detectedAt = detectedAt;
        this.steps = steps;
        this.meanProbability = meanProbability;
    }
}
