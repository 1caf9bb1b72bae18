"""The Bayes-optimal causal filter for EduAffect-Synth: the reference every learned system is measured against
(an upper bound on expected per-step accuracy; for macro-F1 only a reference ceiling, see below).

It knows every parameter of the generator, each learner's offset included, and filters the joint
hidden state (felt affect, expressed affect, audio level, visual level, text level, and in the
off-task variant the off-task indicator o) forward in time:
  alpha_t  ∝  p(x_t | state) * sum_prev alpha_{t-1} * T(prev -> state)
over (felt y, expressed e, audio level, visual level, text level), where the emission is
p(x_t | e, l) = prod_{present m} N(x_mt; P_m (mu_m[e] + b_m), s^2 P P^T + v_l I), and at an
interference level (or, in the off-task variant, at every level while o = 1) the mean over shown
states of that Gaussian (the content is another state's),
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
from .spec import MODALITIES, Spec, display_transition, off_task_chain


def _log_mean_over_states(ll: np.ndarray, axis: int = -1) -> np.ndarray:
    """log of the mean over the shown state (`axis`) of exp(ll), broadcast back over that axis: the
    likelihood when the shown state is uniformly random, whatever the expressed one."""
    top = ll.max(axis=axis, keepdims=True)
    mixed = np.log(np.exp(ll - top).mean(axis=axis, keepdims=True)) + top
    return np.broadcast_to(mixed, ll.shape)


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
            out[..., li] = _log_mean_over_states(out[..., li])
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
    if spec.has_off_task:  # the off-task indicator is the innermost axis
        o_init, o_trans = off_task_chain(spec)
        trans = np.kron(trans, o_trans)
        init = np.kron(init, o_init)
    return init, trans


def _lag_of(spec: Spec, use: tuple[str, ...]) -> int:
    """How many past expressed states the filter must carry: the longest lag among the modalities used."""
    return max([spec.modality(name).max_lag for name in use] or [0])


def filter_posteriors(spec: Spec, sessions: Sessions, use: tuple[str, ...] = MODALITIES) -> np.ndarray:
    """p(y_t | observations of the modalities in `use` up to t): [N, T, classes], float64.

    The oracle's one posterior API: sessions in (a `Sessions`, e.g. from `generator.generate`), the
    exact causal per-step posterior of the felt state out (rows sum to 1; padding steps beyond a
    session's length hold a posterior too, ignore them). `predict` is its argmax. Lag-aware: with a
    lagged spec the hidden state carries the last `max lag` expressed states; pass
    `spec.without_lag()` for the filter that ignores the lag (`oracle_lag_blind`)."""
    n, t_max = sessions.labels.shape
    c = spec.num_classes
    depth = _lag_of(spec, use)  # past expressed states carried: h_1 (previous step) .. h_depth
    levels = [len(m.level_multipliers) for m in spec.modalities]
    off = [2] if spec.has_off_task else []  # on task / off task, innermost
    lag_axes = [1] * depth
    # per modality: exp(log p(x_t, q_t | shown state, its level[, o])) normalised per step, [N, T, C, 1.., L_m, 1..]
    per_modality = []
    for mi, name in enumerate(MODALITIES):
        if name not in use:
            continue
        ll = modality_loglik(spec, name, sessions.embeddings[mi], sessions.offsets[name])
        if off:  # off task: every level shows a random state (the mean over shown states), [N, T, C, L, 2]
            ll = np.stack([ll, _log_mean_over_states(ll, axis=2)], axis=-1)
        if sessions.quality is not None:
            q = quality_loglik(spec, name, sessions.quality[:, :, mi])[:, :, None, :]
            ll = ll + (q[..., None] if off else q)
        ll = ll * sessions.mask[:, :, mi].reshape(n, t_max, *([1] * (ll.ndim - 2)))
        shape = [n, t_max, c, 1, 1, 1, *off]
        shape[3 + mi] = levels[mi]
        ll = ll.reshape(shape)
        if depth == 0:
            per_modality.append(ll)
            continue
        ll = np.exp(ll - ll.max(axis=tuple(range(2, ll.ndim)), keepdims=True))
        per_modality.append((ll, spec.modality(name)))
    init, trans = _joint_transition(spec)
    post = np.empty((n, t_max, c))
    if depth == 0:  # no lag: the emission depends on (e, levels[, o]) only, the chain is the plain one
        obs = sum(per_modality) if per_modality else np.zeros((n, t_max, c, 1, 1, 1, *off))
        obs = np.broadcast_to(obs, (n, t_max, c, *levels, *off))
        emission = obs.reshape(n, t_max, -1)
        emission = np.exp(emission - emission.max(axis=2, keepdims=True))
        alpha = np.broadcast_to(init, (n, init.size))
        for step in range(t_max):
            prior = alpha if step == 0 else alpha @ trans
            alpha = (prior.reshape(n, c, -1) * emission[:, step, None, :]).reshape(n, -1)
            alpha = alpha / alpha.sum(axis=1, keepdims=True)
            post[:, step] = alpha.reshape(n, c, -1).sum(axis=2)
        return post
    # lagged: alpha over [y, e, h_1..h_depth, rest] where rest = (levels[, o]) and h_k = e_{t-k}
    # (before the session start, the first expressed state). The step t-1 -> t shifts the history:
    # h_1' = e, h_k' = h_{k-1}; the oldest is summed out. Exact state augmentation, no approximation.
    ye_init, ye_trans = display_transition(spec)
    rest_init, rest_trans = np.ones(1), np.ones((1, 1))
    for m in spec.modalities:
        rest_trans, rest_init = np.kron(rest_trans, m.level_transition), np.kron(rest_init, m.level_initial)
    if spec.has_off_task:
        o_init, o_trans = off_task_chain(spec)
        rest_trans, rest_init = np.kron(rest_trans, o_trans), np.kron(rest_init, o_init)
    r = rest_init.size
    hist = c**depth
    t4 = ye_trans.reshape(c, c, c, c)  # [y, e, y', e']
    # at the first step every past state equals the current expressed one
    same = np.zeros((c,) * (depth + 1))
    for e in range(c):
        same[(e,) * (depth + 1)] = 1.0
    alpha0 = ye_init.reshape(c, c, *([1] * depth), 1) * same[None, ..., None] * rest_init
    alpha0 = alpha0.reshape(1, -1)
    # per previous expressed state e: the (y, e) -> (y', e') block as a [(y', e'), y] matrix
    t_by_e = [np.ascontiguousarray(t4[:, e].reshape(c, c * c).T) for e in range(c)]
    for step in range(t_max):
        if step == 0:
            alpha = np.broadcast_to(alpha0, (n, alpha0.shape[1])).reshape(n, c, c, *([c] * depth), *levels, *off).copy()
        else:
            beta = alpha.reshape(n, c, c, hist // c, c, r).sum(axis=4)  # drop h_depth: [n, y, e, h_1..h_{depth-1}, rest]
            beta = (beta.reshape(-1, r) @ rest_trans).reshape(n, c, c, -1)
            alpha = np.empty((n, c * c, c, beta.shape[-1]))
            for e in range(c):  # h_1' = e, the older states shift along
                alpha[:, :, e, :] = t_by_e[e] @ beta[:, :, e, :]
            alpha = alpha.reshape(n, c, c, *([c] * depth), *levels, *off)
        for ll, m in per_modality:
            e_t = ll[:, step]  # [N, C, 1, 1, 1(, 1)] with the level at its axis
            lik = 0.0
            for d, pr in zip(m.lag_steps, m.lag_probabilities):
                # the shown state is e (d = 0) or h_d: put the class axis there
                shape = [n, 1, 1] + [1] * depth + list(e_t.shape[2:])
                shape[2 + int(d)] = c
                lik = lik + pr * e_t.reshape(shape)
            alpha *= lik
        alpha = alpha.reshape(n, -1)
        alpha /= alpha.sum(axis=1, keepdims=True)
        post[:, step] = alpha.reshape(n, c, -1).sum(axis=2)
    return post


def predict(spec: Spec, sessions: Sessions, use: tuple[str, ...] = MODALITIES) -> np.ndarray:
    """The oracle's prediction: argmax of `filter_posteriors`, [N, T]."""
    return filter_posteriors(spec, sessions, use).argmax(axis=-1)
