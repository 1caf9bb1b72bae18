"""EduAffect-Synth: the seeded generator of learners, sessions, affect and three modality streams.

The process (all parameters from the spec file):
  felt affect     y_t  ~ Markov chain (initial, transition)
  expressed       e_t  = y_t, or another state during a masking episode (mask_start,
                  mask_continue, masked_as); one expressed state shared by all modalities
  noise level     l_mt ~ Markov chain per modality (clean / noisy: ambient noise times one fixed factor /
                  interference), with persistent bursts
  presence        o_mt ~ on/off spells per modality, stationary missing rate from the one knob
  embedding       x_mt = P_m (mu_m[s_mt] + b_m + s_m * eta) + sigma_m * mult_m[l_mt] * eps
                  s_mt = e_t, except at an interference level (another voice, another face, off-topic
                  text), where s_mt is a uniformly random state: a plausible embedding, wrong content
                  b_m: the learner's offset (fixed per learner), eta, eps standard normal
  quality score   q_mt = quality_m[l_mt] + jitter * N(0, 1), clipped to the range
  off-task        (optional, spec affect.off_task) o_t ~ per-session on/off chain, independent of
                  affect, started from its stationary law; while o_t = 1 every modality shows a
                  uniformly random state (s_mt random, as at an interference level, but at all
                  modalities at once); labels stay the felt state, quality scores follow the levels
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .spec import MODALITIES, Spec, display_transition, off_task_chain


class GeneratorError(ValueError):
    pass


@dataclass
class Sessions:
    """A padded batch of sessions. Arrays are [session, step, ...]; steps past `lengths` are padding."""

    audio: np.ndarray
    visual: np.ndarray
    text: np.ndarray
    mask: np.ndarray  # [N, T, 3] float32, 1 = modality present
    labels: np.ndarray  # [N, T] int64, -1 on padding
    lengths: np.ndarray  # [N]
    learner: np.ndarray  # [N] learner index
    expressed: np.ndarray | None = None  # [N, T] hidden expressed state
    levels: np.ndarray | None = None  # [N, T, 3] hidden noise-level index
    quality: np.ndarray | None = None  # [N, T, 3]
    offsets: dict = field(default_factory=dict)  # modality -> [N, latent] learner offsets
    learner_ids: list | None = None  # optional external ids (own data)
    session_ids: list | None = None
    off_task: np.ndarray | None = None  # [N, T] bool hidden off-task indicator (variant specs only)
    lags: np.ndarray | None = None  # [N, T, M] the lag each modality's content was shown with (generator only)

    @property
    def embeddings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.audio, self.visual, self.text

    @property
    def valid(self) -> np.ndarray:
        return self.labels >= 0

    def __len__(self) -> int:
        return len(self.lengths)

    def subset(self, idx) -> "Sessions":
        idx = np.asarray(idx)
        return Sessions(
            audio=self.audio[idx],
            visual=self.visual[idx],
            text=self.text[idx],
            mask=self.mask[idx],
            labels=self.labels[idx],
            lengths=self.lengths[idx],
            learner=self.learner[idx],
            expressed=None if self.expressed is None else self.expressed[idx],
            levels=None if self.levels is None else self.levels[idx],
            quality=None if self.quality is None else self.quality[idx],
            offsets={k: v[idx] for k, v in self.offsets.items()},
            off_task=None if self.off_task is None else self.off_task[idx],
            lags=None if self.lags is None else self.lags[idx],
        )


def modality_missing_rates(spec: Spec, missing_rate: float) -> np.ndarray:
    """Split the overall missing rate over the modalities by their shares, capped per modality.

    Water-filling: a modality that hits the cap passes its excess to the others, so the mean of
    the three rates equals the knob whenever that is possible (it is up to the spec's max rate).
    """
    if not 0.0 <= missing_rate < 1.0:
        raise GeneratorError(f"missing rate must be in [0, 1), got {missing_rate}")
    if missing_rate > spec.max_missing_rate + 1e-9:
        raise GeneratorError(f"missing rate {missing_rate} is above the spec's maximum {spec.max_missing_rate}")
    cap = spec.max_modality_missing_rate
    shares = np.array([m.missing_share for m in spec.modalities])
    rates = np.zeros(len(shares))
    free = np.ones(len(shares), dtype=bool)
    budget = missing_rate * len(shares)
    for _ in range(len(shares)):
        r = budget * shares / shares[free].sum()
        r[~free] = cap
        over = free & (r > cap)
        if not over.any():
            rates[free] = r[free]
            break
        free &= ~over
        budget = missing_rate * len(shares) - cap * (~free).sum()
    rates[~free] = cap
    return rates


def spell_transition(rate: float, mean_spell: float) -> tuple[float, float]:
    """(P(present -> missing), P(missing -> present)) of an on/off chain with stationary missing `rate`."""
    if rate <= 0.0:
        return 0.0, 1.0
    back = 1.0 / mean_spell
    drop = rate / (1.0 - rate) * back
    if drop > 1.0:  # spells must lengthen to reach such a rate
        drop, back = 1.0, (1.0 - rate) / rate
    return drop, back


def _markov(rng: np.random.Generator, initial: np.ndarray, transition: np.ndarray, n: int, t: int) -> np.ndarray:
    states = np.empty((n, t), dtype=np.int64)
    cum_init = np.cumsum(initial)
    cum_trans = np.cumsum(transition, axis=1)
    states[:, 0] = np.minimum(np.searchsorted(cum_init, rng.random(n), side="right"), len(initial) - 1)
    for step in range(1, t):
        u = rng.random(n)
        rows = cum_trans[states[:, step - 1]]
        states[:, step] = np.minimum((u[:, None] >= rows).sum(axis=1), len(initial) - 1)
    return states


def generate(
    spec: Spec,
    learners: int,
    seed: int,
    missing_rate: float | tuple[float, float] = 0.0,
    sessions_per_learner: int = 1,
    session_steps: int | None = None,
) -> Sessions:
    """Sample `learners * sessions_per_learner` sessions.

    missing_rate: one rate for all, or a (low, high) range from which each learner draws its own
    (used for training one model across missing rates).
    """
    if learners < 1 or sessions_per_learner < 1:
        raise GeneratorError("learners and sessions_per_learner must be at least 1")
    rng = np.random.default_rng(seed)
    n = learners * sessions_per_learner
    learner = np.repeat(np.arange(learners), sessions_per_learner)
    if session_steps is not None:
        lengths = np.full(n, int(session_steps))
    else:
        lengths = rng.integers(spec.session_min_steps, spec.session_max_steps + 1, size=n)
    t_max = int(lengths.max())
    if isinstance(missing_rate, tuple):
        lo, hi = missing_rate
        modality_missing_rates(spec, lo), modality_missing_rates(spec, hi)  # validate the range
        learner_rates = rng.uniform(lo, hi, size=learners)
    else:
        modality_missing_rates(spec, missing_rate)
        learner_rates = np.full(learners, float(missing_rate))
    session_rate = learner_rates[learner]

    joint = _markov(rng, *display_transition(spec), n, t_max)
    labels, expressed = joint // spec.num_classes, joint % spec.num_classes
    if spec.has_off_task:  # drawn only then, so a spec without spells generates what it always did
        off_task = _markov(rng, *off_task_chain(spec), n, t_max).astype(bool)
    else:
        off_task = np.zeros((n, t_max), dtype=bool)

    mask = np.ones((n, t_max, len(MODALITIES)), dtype=np.float32)
    levels = np.zeros((n, t_max, len(MODALITIES)), dtype=np.int64)
    quality = np.zeros((n, t_max, len(MODALITIES)), dtype=np.float32)
    embeddings = {}
    offsets = {}
    lags = np.zeros((n, t_max, len(MODALITIES)), dtype=np.int64)
    distinct_rates = np.unique(session_rate)
    per_rate_modality = {r: modality_missing_rates(spec, float(r)) for r in distinct_rates}
    for mi, m in enumerate(spec.modalities):
        levels[:, :, mi] = _markov(rng, m.level_initial, m.level_transition, n, t_max)
        # presence spells: a two-state chain started from its stationary distribution
        rates = np.array([per_rate_modality[r][mi] for r in session_rate])
        drop_back = np.array([spell_transition(r, m.missing_mean_spell_steps) for r in rates])
        missing = np.zeros((n, t_max), dtype=bool)
        missing[:, 0] = rng.random(n) < rates
        for step in range(1, t_max):
            uu = rng.random(n)
            missing[:, step] = np.where(missing[:, step - 1], uu >= drop_back[:, 1], uu < drop_back[:, 0])
        mask[:, :, mi] = ~missing
        learner_offset = rng.normal(0.0, m.learner_offset_std, size=(learners, m.latent_dim))
        offsets[m.name] = learner_offset[learner]
        if m.max_lag > 0:  # drawn only then, so a spec without lag generates what it always did
            lags[:, :, mi] = m.lag_steps[
                np.minimum(np.searchsorted(np.cumsum(m.lag_probabilities), rng.random((n, t_max)), side="right"), len(m.lag_steps) - 1)
            ]
        source = np.maximum(np.arange(t_max)[None, :] - lags[:, :, mi], 0)  # before the first step: the first state
        content = np.take_along_axis(expressed, source, axis=1)
        shown = np.where(
            m.level_interference[levels[:, :, mi]] | off_task, rng.integers(0, spec.num_classes, size=(n, t_max)), content
        )
        latent = (
            m.class_means[shown]
            + offsets[m.name][:, None, :]
            + m.within_class_std * rng.standard_normal((n, t_max, m.latent_dim))
        )
        x = latent @ m.projection.T
        noise_scale = (m.noise_std * m.level_multipliers[levels[:, :, mi]])[..., None]
        x = x + noise_scale * rng.standard_normal((n, t_max, m.dim))
        x *= mask[:, :, mi : mi + 1]
        embeddings[m.name] = x.astype(np.float32)
        q = m.quality_per_level[levels[:, :, mi]] + m.quality_jitter * rng.standard_normal((n, t_max))
        quality[:, :, mi] = np.clip(q, *m.quality_range) * mask[:, :, mi]

    steps = np.arange(t_max)[None, :]
    pad = steps >= lengths[:, None]
    labels[pad] = -1
    mask[pad] = 0.0
    for name in embeddings:
        embeddings[name][pad] = 0.0
    return Sessions(
        audio=embeddings["audio"],
        visual=embeddings["visual"],
        text=embeddings["text"],
        mask=mask,
        labels=labels,
        lengths=lengths,
        learner=learner,
        expressed=expressed,
        levels=levels,
        quality=quality,
        offsets=offsets,
        off_task=off_task if spec.has_off_task else None,
        lags=lags,
    )
