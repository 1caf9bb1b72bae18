"""What a checkpoint's MIE weights track, per modality, at 40 % missing (the evaluation's seed-0 test
set cut to 60 learners): the weight's training target (`reliability_target`: since model 2.3.0 1 where
p_m(true) >= max_c p_m(c) / 2 under the modality's own evidence, else 0; 2.2.0 trained on the ratio
itself) and the weight itself, each averaged per reliability level (clean / noise burst /
interference); the AUC of each for clean vs interference; the weight's correlation with its target;
and the evidence head's own accuracy per level. Seconds; no training.

    cd model && /usr/bin/python3 reports/probe_mie/weights_by_level.py [checkpoints/edu_emotionnet.pt]

It shows the limit of the target: a weight that knew its target would sit at interference at the
target's mean there, which is 0.36-0.43 of its clean mean on the shipped 2.3.0 checkpoint (0.40-0.50
for 2.2.0's ratio target): random wrong states agree with the truth a quarter of the time, and each
modality's confusable pair counts as agreement. A causal estimate cannot know it; how low the best
one goes is what bayes_weight.py measures.
"""
import sys

import numpy as np

from checkpoint_outputs import run
from edu_emotionnet.evaluate import auc
from edu_emotionnet.model import reliability_target

spec, test, data, weights, aux = run(sys.argv, 60)
logl = aux["modality_evidence"]
labels = data["labels"].clamp_min(0)
true = logl.gather(-1, labels[..., None, None].expand(*logl.shape[:-1], 1)).squeeze(-1)
target = reliability_target(logl, true).numpy()
weights = weights.numpy()
print("per level: clean / noise burst / interference")
for mi, m in enumerate(spec.modalities):
    sel = test.valid & (test.mask[:, :, mi] > 0)
    level = test.levels[:, :, mi][sel]
    t, w = target[:, :, mi][sel], weights[:, :, mi][sel]
    head = logl[..., mi, :].argmax(-1).numpy()[sel] == test.labels[sel]

    def by_level(v):
        return " / ".join(f"{float(v[level == i].mean()):.3f}" for i in range(3))

    print(f"{m.name:6s} target {by_level(t)}  weight {by_level(w)}  "
          f"AUC clean vs interference: target {auc(t[level == 0], t[level == 2]):.3f}, weight {auc(w[level == 0], w[level == 2]):.3f}  "
          f"corr(weight, target) {np.corrcoef(t, w)[0, 1]:.3f}  head accuracy {by_level(head.astype(float))}")
