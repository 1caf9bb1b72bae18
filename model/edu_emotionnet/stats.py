"""Reference statistics of the generator, for the Java sampler's statistical test.

The Flink job samples the same process from the same spec file with its own random numbers; its
test compares these statistics (class rates, persistence, missing rates, per-class latent means,
quality means, and at the steps where the expressed state just changed, how often each modality's
content already shows the new state or still the previous one: the cross-modal lag) within a few
standard errors. Standard errors come from batch means: the sessions
are split into groups, the statistic is computed per group, SE = std(groups) / sqrt(groups).
"""
from __future__ import annotations

import numpy as np

from .generator import Sessions, generate
from .spec import MODALITIES, Spec

GROUPS = 20


def statistics(spec: Spec, s: Sessions) -> dict[str, float]:
    out: dict[str, float] = {}
    valid = s.valid
    labels = s.labels[valid]
    for ci, c in enumerate(spec.classes):
        out[f"class_rate.{c}"] = float((labels == ci).mean())
        prev, cur = s.labels[:, :-1], s.labels[:, 1:]
        both = (prev == ci) & (cur >= 0)
        out[f"persistence.{c}"] = float((cur[both] == ci).mean()) if both.any() else float("nan")
    out["missing_rate"] = float(1.0 - s.mask[valid].mean())
    for mi, m in enumerate(spec.modalities):
        present = valid & (s.mask[:, :, mi] > 0)
        out[f"missing_rate.{m.name}"] = float(1.0 - present.sum() / valid.sum())
        out[f"quality_mean.{m.name}"] = float(s.quality[:, :, mi][present].mean())
        latent = s.embeddings[mi] @ m.projection  # [N, T, k]
        # the lag: at a change of the expressed state, is the content's nearest class centre the new
        # state or the previous one? (centres seen through the projection: class_means @ P^T P)
        centres = m.class_means @ (m.projection.T @ m.projection)
        nearest = (((latent[..., None, :] - centres) ** 2).sum(-1)).argmin(-1)
        change = np.zeros_like(present)
        change[:, 1:] = present[:, 1:] & valid[:, :-1] & (s.expressed[:, 1:] != s.expressed[:, :-1])
        out[f"lag_match.{m.name}.now"] = float((nearest[change] == s.expressed[change]).mean())
        out[f"lag_match.{m.name}.previous"] = float((nearest[:, 1:][change[:, 1:]] == s.expressed[:, :-1][change[:, 1:]]).mean())
        for ci, c in enumerate(spec.classes):
            sel = present & (s.labels == ci)
            mean = latent[sel].mean(axis=0) if sel.any() else np.full(m.latent_dim, np.nan)
            for j, v in enumerate(mean):
                out[f"latent_mean.{m.name}.{c}.{j}"] = float(v)
    return out


def reference(spec: Spec, learners: int = 400, seed: int = 123, missing_rate: float = 0.4) -> dict:
    s = generate(spec, learners, seed=seed, missing_rate=missing_rate)
    whole = statistics(spec, s)
    groups = np.array_split(np.arange(len(s)), GROUPS)
    per_group = [statistics(spec, s.subset(g)) for g in groups]
    se = {k: float(np.nanstd([g[k] for g in per_group], ddof=1) / np.sqrt(GROUPS)) for k in whole}
    return {
        "description": __doc__.strip().splitlines()[0],
        "benchmark_fingerprint": spec.fingerprint,
        "learners": learners,
        "sessions_per_learner": 1,
        "missing_rate": missing_rate,
        "seed": seed,
        "groups": GROUPS,
        "latent": "embedding @ projection (the spec's projection matrix), steps where the modality is present, by felt class",
        "statistics": {k: {"value": whole[k], "se": se[k]} for k in whole},
    }
