package io.eduemotionnet.signals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How well one rule's events match the truth, where the felt state is known (the synthetic stream).
 * A true episode is a run of the felt state lasting at least the rule's duration. Precision: the share
 * of events whose detection step lies in a true episode of the rule's state. Recall: the share of true
 * episodes that got an event. Delay: from the episode's start to the end of the step of its first event.
 */
public final class EpisodeScore {
    private final int state;
    private final int minSteps;
    private final double stepSeconds;
    public long episodes;
    public long detected;
    public long events;
    public long eventsInEpisodes;
    private final List<Double> delays = new ArrayList<>();

    public EpisodeScore(int state, int minSteps, double stepSeconds) {
        this.state = state;
        this.minSteps = minSteps;
        this.stepSeconds = stepSeconds;
    }

    /**
     * One learner's sequence.
     *
     * @param truth the felt class at each step (negative: outside a session; a session boundary ends a run)
     * @param eventSteps the step index at which each event fired (in increasing order)
     */
    public void add(int[] truth, List<Integer> eventSteps) {
        int[] episodeOf = new int[truth.length]; // step -> start of the true episode it lies in, or -1
        java.util.Arrays.fill(episodeOf, -1);
        List<Integer> starts = new ArrayList<>();
        int t = 0;
        while (t < truth.length) {
            if (truth[t] != state) {
                t++;
                continue;
            }
            int start = t;
            while (t < truth.length && truth[t] == state) {
                t++;
            }
            if (t - start >= minSteps) {
                starts.add(start);
                for (int i = start; i < t; i++) {
                    episodeOf[i] = start;
                }
            }
        }
        episodes += starts.size();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int step : eventSteps) {
            events++;
            int start = step >= 0 && step < truth.length ? episodeOf[step] : -1;
            if (start >= 0) {
                eventsInEpisodes++;
                if (seen.add(start)) {
                    detected++;
                    delays.add((step + 1 - start) * stepSeconds);
                }
            }
        }
    }

    public double precision() {
        return events == 0 ? Double.NaN : (double) eventsInEpisodes / events;
    }

    public double recall() {
        return episodes == 0 ? Double.NaN : (double) detected / episodes;
    }

    public double medianDelaySeconds() {
        if (delays.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(delays);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
