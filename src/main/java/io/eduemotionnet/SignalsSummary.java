package io.eduemotionnet;

import io.eduemotionnet.avro.Intervention;
import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.signals.EpisodeScore;
import io.eduemotionnet.signals.InterventionRule;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded run's intervention lines: events per rule, and each rule's precision and recall on this
 * run's own stream against the generator's truth (true episodes as in docs/interventions.json).
 */
final class SignalsSummary {
    private final List<InterventionRule> rules;
    private final ModelInfo model;
    private final SyntheticStream synthetic;

    SignalsSummary(JobConfig cfg, ModelInfo model, SyntheticStream synthetic) {
        this.rules = InterventionRule.bind(cfg.interventionRules, model.classes, model.stepMillis);
        this.model = model;
        this.synthetic = synthetic;
    }

    void print(List<Intervention> events) {
        Map<String, Integer> perRule = new HashMap<>();
        // rule -> learner index -> global steps at which it fired
        Map<String, Map<Integer, List<Integer>>> fired = new HashMap<>();
        for (Intervention i : events) {
            perRule.merge(i.getRule(), 1, Integer::sum);
            int learner = synthetic == null ? -1 : SyntheticStream.learnerIndex(i.getLearnerId());
            if (learner >= 0) {
                long step = synthetic.globalStep(i.getDetectedAt().toEpochMilli() - model.stepMillis);
                fired.computeIfAbsent(i.getRule(), r -> new HashMap<>())
                        .computeIfAbsent(learner, l -> new ArrayList<>()).add((int) step);
            }
        }
        StringBuilder counts = new StringBuilder();
        for (InterventionRule r : rules) {
            counts.append(counts.length() == 0 ? "" : ", ").append(r.name).append(' ').append(perRule.getOrDefault(r.name, 0));
        }
        System.out.printf("  interventions     %,d (%s)%n", events.size(), counts);
        if (synthetic == null || synthetic.totalSteps == Long.MAX_VALUE || rules.isEmpty()) {
            return;
        }
        List<int[]> truth = new ArrayList<>();
        for (int l = 0; l < synthetic.learners; l++) {
            truth.add(synthetic.truth(l));
        }
        for (InterventionRule r : rules) {
            EpisodeScore score = new EpisodeScore(r.stateIndex, r.minSteps, model.stepMillis / 1000.0);
            Map<Integer, List<Integer>> byLearner = fired.getOrDefault(r.name, Map.of());
            for (int l = 0; l < truth.size(); l++) {
                List<Integer> steps = new ArrayList<>(byLearner.getOrDefault(l, List.of()));
                steps.sort(null);
                score.add(truth.get(l), steps);
            }
            System.out.printf("    %-22s precision %.3f, recall %.3f (%,d true episodes), median delay %.0f s, against the generator's truth%n",
                    r.name, score.precision(), score.recall(), score.episodes, score.medianDelaySeconds());
        }
    }
}
