"""What a checkpoint's MIE weights track, per modality, at 40 % missing (the evaluation's seed-0 test
set cut to 60 learners): the weight's training target (p_m(true) / max_c p_m(c) under the modality's
own evidence) and the weight itself, each averaged per reliability level (clean / noise burst /
interference); the AUC of each for clean vs interference; the weight's correlation with its target;
and the evidence head's own accuracy per level. Seconds; no training.

    cd model && /usr/bin/python3 reports/probe_mie/weights_by_level.py [checkpoints/edu_emotionnet.pt]

It shows the limit of the target: a perfect estimate of it would put the weight at interference at
the target's mean there, which is 0.40-0.50 of its clean mean (random wrong states agree with the
truth a quarter of the time, and each modality's confusable pair counts as agreement).
"""
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet import spec as spec_mod  # noqa: E402
from edu_emotionnet.evaluate import auc, test_set  # noqa: E402
from edu_emotionnet.export import load_checkpoint  # noqa: E402
from edu_emotionnet.model import reliability_target  # noqa: E402
from edu_emotionnet.train import tensors  # noqa: E402

torch.set_num_threads(2)
spec = spec_mod.load()
model, _ = load_checkpoint(Path(sys.argv[1] if len(sys.argv) > 1 else "checkpoints/edu_emotionnet.pt"))
test = test_set(spec, 0, 0.4, 60)
data = tensors(test)
with torch.no_grad():
    _, weights, aux = model(data["audio"], data["visual"], data["text"], data["mask"], data["quality"], auxiliary=True)
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
