"""The Bayes-optimal causal filter for EduAffect-Synth: the reference every learned system is measured against
(an upper bound on expected per-step accuracy; for macro-F1 only a reference ceiling, see below).

It knows every parameter of the generator, each learner's offset included, and filters the joint
hidden state (felt affect, audio level, visual level, text level) forward in time:
  alpha_t  ∝  p(x_t | state) * sum_prev alpha_{t-1} * T(prev -> state)
over (felt y, expressed e, audio level, visual level, text level), where the emission is
p(x_t | e, l) = prod_{present m} N(x_mt; P_m (mu_m[e] + b_m), s^2 P P^T + v_l I), and at an
interference level the mean over shown states of that Gaussian (the content is another state's),
times the likelihood of the event's quality score at that level (a Gaussian clipped to the score's
range: a clipped score has the probability mass beyond the bound).
The Gaussian with low-rank-plus-diagonal covariance is evaluated with the Woodbury identity, so a
512-d embedding costs a few k x k operations. Missing modalities contribute no factor (presence is
independent of affect in this benchmark, so it carries no information).
Its prediction is the argmax of p(y_t | x_1..t): Bayes-optimal for per-step accuracy, so no causal
system has a higher expected accuracy (a finite test set can still favour one by chance). It does
not maximise macro-F1, which rewards trading accuracy on frequent classes for recall on rare ones,
so for macro-F1 it is a reference ceiling, not a bound. Causal like the streaming job.
"""
from __future__ import annotations

import math

import numpy as np

from .generator import Sessions
from .spec import MODALITIES, Spec, display_transition


def modality_loglik(spec: Spec, name: str, x: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """log N(x | expressed e, level l) up to a constant shared by all (e, l): shape [N, T, classes, levels]."""
    m = spec.modality(name)
    p = m.projection
    g = p.T @ p  # [k, k]
    s2 = m.within_class_std**2
    u = x.astype(np.float64) @ p  # [N, T, k]
    xx = np.einsum("ntd,ntd->nt", x, x, dtype=np.float64)
    centres = m.class_means[None, :, :] + offsets[:, None, :]  # [N, C, k]
    gc = centres @ g  # [N, C, k]
    cgc = np.einsum("nck,nck->nc", gc, centres)
    cu = np.einsum("nck,ntk->ntc", centres, u)
    r_norm = xx[:, :, None] - 2.0 * cu + cgc[:, None, :]  # ||x - P c||^2, [N, T, C]
    pr = u[:, :, None, :] - gc[:, None, :, :]  # P^T (x - P c), [N, T, C, k]
    out = np.empty(x.shape[:2] + (spec.num_classes, len(m.level_multipliers)))
    eye = np.eye(m.latent_dim)
    for li, mult in enumerate(m.level_multipliers):
        v = (m.noise_std * mult) ** 2
        m_inv = np.linalg.inv((v / s2) * eye + g)
        quad = (r_norm - np.einsum("ntck,kj,ntcj->ntc", pr, m_inv, pr)) / v
        logdet = m.dim * np.log(v) + np.linalg.slogdet(eye + (s2 / v) * g)[1]
        out[..., li] = -0.5 * (quad + logdet)
        if m.level_interference[li]:  # the shown state is uniform, whatever the expressed one
            top = out[..., li].max(axis=-1, keepdims=True)
            mixed = np.log(np.exp(out[..., li] - top).mean(axis=-1, keepdims=True)) + top
            out[..., li] = np.broadcast_to(mixed, out[..., li].shape)
    return out


def _log_normal_tail(z: np.ndarray) -> np.ndarray:
    """log P(N(0, 1) > z)."""
    return np.log(np.maximum(0.5 * np.vectorize(math.erfc)(z / math.sqrt(2.0)), 1e-300))


def quality_loglik(spec: Spec, name: str, q: np.ndarray) -> np.ndarray:
    """log p(quality score | level) for every level: [N, T, levels] (the generator clips to the range)."""
    m = spec.modality(name)
    lo, hi = m.quality_range
    mu, j = m.quality_per_level[None, None, :], m.quality_jitter
    q = q.astype(np.float64)[..., None]
    out = -0.5 * ((q - mu) / j) ** 2 - math.log(j * math.sqrt(2.0 * math.pi))
    at_lo, at_hi = np.broadcast_to(q <= lo, out.shape), np.broadcast_to(q >= hi, out.shape)
    if at_lo.any():
        out[at_lo] = _log_normal_tail(np.broadcast_to((mu - lo) / j, out.shape)[at_lo])
    if at_hi.any():
        out[at_hi] = _log_normal_tail(np.broadcast_to((hi - mu) / j, out.shape)[at_hi])
    return out


def _joint_transition(spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    init, trans = display_transition(spec)
    for m in spec.modalities:
        trans = np.kron(trans, m.level_transition)
        init = np.kron(init, m.level_initial)
    return init, trans


def filter_posteriors(spec: Spec, sessions: Sessions, use: tuple[str, ...] = MODALITIES) -> np.ndarray:
    """p(y_t | observations of the modalities in `use` up to t): [N, T, classes]."""
    n, t_max = sessions.labels.shape
    c = spec.num_classes
    levels = [len(m.level_multipliers) for m in spec.modalities]
    # log p(x_t | e, l_a, l_v, l_t) summed over present modalities: [N, T, e, La, Lv, Lt]
    obs = np.zeros((n, t_max, c, *levels))
    for mi, name in enumerate(MODALITIES):
        if name not in use:
            continue
        ll = modality_loglik(spec, name, sessions.embeddings[mi], sessions.offsets[name])
        if sessions.quality is not None:
            ll = ll + quality_loglik(spec, name, sessions.quality[:, :, mi])[:, :, None, :]
        ll = ll * sessions.mask[:, :, mi, None, None]
        shape = [n, t_max, c, 1, 1, 1]
        shape[3 + mi] = levels[mi]
        obs = obs + ll.reshape(shape)
    # the emission depends on the expressed state and the levels, not on the felt state
    emission = obs.reshape(n, t_max, 1, -1)
    emission = np.exp(emission - emission.max(axis=3, keepdims=True))
    emission = np.broadcast_to(emission, (n, t_max, c, emission.shape[-1])).reshape(n, t_max, -1)
    init, trans = _joint_transition(spec)
    post = np.empty((n, t_max, c))
    alpha = np.broadcast_to(init, (n, init.size))
    for step in range(t_max):
        prior = alpha if step == 0 else alpha @ trans
        alpha = prior * emission[:, step]
        alpha = alpha / alpha.sum(axis=1, keepdims=True)
        post[:, step] = alpha.reshape(n, c, -1).sum(axis=2)
    return post


def predict(spec: Spec, sessions: Sessions, use: tuple[str, ...] = MODALITIES) -> np.ndarray:
    return filter_posteriors(spec, sessions, use).argmax(axis=-1)
