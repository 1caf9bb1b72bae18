"""How much each noise level costs a modality's own evidence: what an ideal confidence weight would track.

For every modality and noise level: the share of present steps at that level, and the accuracy of the
modality's one-step evidence alone — the argmax over displayed states of its exact likelihood, with the
learner's offset, the step's true level and the content's lag known (the best any per-step reliability estimate could
start from). `python3 -m edu_emotionnet levels` prints it; the model README quotes it.
"""
from __future__ import annotations

import numpy as np

from .generator import generate
from .oracle import modality_loglik
from .spec import MODALITIES, Spec


def level_name(spec: Spec, modality: int, level: int) -> str:
    m = spec.modalities[modality]
    if m.level_interference[level]:
        return "interference"
    mult = float(m.level_multipliers[level])
    return "clean" if mult == 1.0 else f"noise x{mult:g}"


def level_information(spec: Spec, learners: int = 300, seed: int = 123) -> dict:
    """{modality: [{"level", "share", "one_step_accuracy"}, ...]} at 0 % missing."""
    s = generate(spec, learners, seed=seed, missing_rate=0.0)
    out = {}
    for mi, name in enumerate(MODALITIES):
        ll = modality_loglik(spec, name, s.embeddings[mi], s.offsets[name])  # [N, T, C, L]
        levels = s.levels[:, :, mi]
        at_level = np.take_along_axis(ll, levels[:, :, None, None].repeat(ll.shape[2], axis=2), axis=3)[..., 0]
        # the state the content shows: the expressed state `lag` steps earlier (the lag is known here too)
        shown = np.take_along_axis(s.expressed, np.maximum(np.arange(s.labels.shape[1])[None, :] - s.lags[:, :, mi], 0), axis=1)
        correct = at_level.argmax(-1) == shown
        present = s.valid & (s.mask[:, :, mi] > 0)
        rows = []
        for li in range(ll.shape[3]):
            sel = present & (levels == li)
            rows.append({
                "level": level_name(spec, mi, li),
                "share": float(sel.sum() / present.sum()),
                "one_step_accuracy": float(correct[sel].mean()) if sel.any() else float("nan"),
            })
        out[name] = rows
    return out
