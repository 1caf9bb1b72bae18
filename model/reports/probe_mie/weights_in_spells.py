"""Where a checkpoint's MIE weights miss interference, per modality, at 40 % missing (the evaluation's
seed-0 test set cut to 150 learners): the AUC clean vs interference for interference steps split by
their place in the spell (the modality's 1st, 2nd, 3rd or later present step in it) and by whether the
modality's own evidence happens to point at the true state (an interfering source shows a random
state, the true one about a quarter of the time), and the mean weight on clean steps whose evidence
points elsewhere. Seconds; no training.

    cd model && /usr/bin/python3 reports/probe_mie/weights_in_spells.py [checkpoints/edu_emotionnet.pt]
"""
import sys

import numpy as np

from checkpoint_outputs import run
from edu_emotionnet.evaluate import auc

spec, test, d, w, aux = run(sys.argv, 150)
logl, w = aux["modality_evidence"].numpy(), w.numpy()
for mi, m in enumerate(spec.modalities):
    present = test.valid & (test.mask[:, :, mi] > 0)
    interference = test.levels[:, :, mi] == 2
    seen = np.zeros(interference.shape, dtype=np.int64)  # present steps of the modality so far in the spell
    for t in range(interference.shape[1]):
        seen[:, t] = np.where(interference[:, t], (seen[:, t - 1] if t > 0 else 0) + present[:, t], 0)
    agrees = logl[:, :, mi].argmax(-1) == test.labels
    clean = present & (test.levels[:, :, mi] == 0)
    wm = w[:, :, mi]
    parts = [f"{m.name:6s} all {auc(wm[clean], wm[present & interference]):.3f}"]
    for k, name in ((1, "1st present in spell"), (2, "2nd"), (3, "3rd+")):
        sel = present & interference & ((seen == k) if k < 3 else (seen >= 3))
        parts.append(f"{name} {auc(wm[clean], wm[sel]):.3f} ({sel.sum()} steps)")
    for a, name in ((True, "evidence points at the truth"), (False, "elsewhere")):
        sel = present & interference & (agrees == a)
        parts.append(f"{name} {auc(wm[clean], wm[sel]):.3f} ({sel.sum()} steps, mean weight {wm[sel].mean():.3f})")
    parts.append(f"clean steps pointing elsewhere: {(clean & ~agrees).sum() / clean.sum():.3f}, mean weight "
                 f"{wm[clean & ~agrees].mean():.3f} (pointing at the truth {wm[clean & agrees].mean():.3f})")
    print(" | ".join(parts))
