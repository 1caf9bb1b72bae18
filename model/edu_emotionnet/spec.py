"""The benchmark spec: one JSON file that drives the generator, the oracle and the Java sampler.

`model/benchmark/spec.json` is the single source of truth for the synthetic process. The Python
generator, the Bayes oracle and the Flink job's built-in source all read it; nothing here keeps a
second copy of its numbers.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent.parent / "benchmark" / "spec.json"
MODALITIES = ("audio", "visual", "text")
# The longest cross-modal lag a spec may declare, in steps: the model's carried context (the CMAA and
# TFL windows hold the last ModelConfig.context - 1 = 5 steps; a test keeps the two equal). Content
# older than that cannot be aligned by anything the job keeps per learner.
MAX_LAG_STEPS = 5


class SpecError(ValueError):
    """The spec file is unreadable or inconsistent."""


@dataclass(frozen=True)
class ModalitySpec:
    name: str
    dim: int
    latent_dim: int
    class_means: np.ndarray  # [classes, latent]
    projection: np.ndarray  # [dim, latent]
    within_class_std: float
    noise_std: float
    learner_offset_std: float
    level_multipliers: np.ndarray  # [levels] multipliers of the ambient noise
    level_interference: np.ndarray  # [levels] bool: at this level the modality shows a random state
    level_initial: np.ndarray  # [levels]
    level_transition: np.ndarray  # [levels, levels]
    missing_share: float
    missing_mean_spell_steps: float
    quality_name: str
    quality_per_level: np.ndarray  # [levels]
    quality_jitter: float
    quality_range: tuple[float, float]
    # cross-modal lag (optional `lag`; absent = none): at each step the content shows the expressed
    # state of `lag_steps[i]` steps earlier with probability `lag_probabilities[i]` (drawn per step)
    lag_steps: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    lag_probabilities: np.ndarray = field(default_factory=lambda: np.ones(1))

    @property
    def max_lag(self) -> int:
        return int(self.lag_steps.max())


@dataclass(frozen=True)
class Spec:
    raw: dict
    fingerprint: str
    name: str
    version: str
    classes: tuple[str, ...]
    step_seconds: float
    session_min_steps: int
    session_max_steps: int
    initial: np.ndarray  # [classes]
    transition: np.ndarray  # [classes, classes]
    mask_start: float  # P(a masking episode starts) at a step where the felt state is shown
    mask_continue: float  # P(a masking episode goes on) at the next step, felt state unchanged
    masked_as: np.ndarray  # [classes, classes] which state is shown while masking (zero diagonal)
    modalities: tuple[ModalitySpec, ...]
    max_missing_rate: float
    max_modality_missing_rate: float
    # off-task spells (optional `affect.off_task`; absent = none): a per-session on/off chain,
    # independent of affect, during which every present modality shows unrelated content
    off_task_start: float = 0.0  # P(a spell starts) at an on-task step
    off_task_continue: float = 0.0  # P(a spell goes on) at the next step

    @property
    def has_off_task(self) -> bool:
        return "off_task" in self.raw.get("affect", {})

    @property
    def max_lag(self) -> int:
        """The longest lag of any modality: how many past expressed states the oracle must carry."""
        return max(m.max_lag for m in self.modalities)

    def without_lag(self) -> "Spec":
        """The same process with every modality showing the current expressed state: the lag-blind
        oracle's model, and the unlagged benchmark (`results_no_lag`)."""
        raw = json.loads(json.dumps(self.raw))
        for name in MODALITIES:
            raw["modalities"][name].pop("lag", None)
        return parse(raw)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def dims(self) -> dict[str, int]:
        return {m.name: m.dim for m in self.modalities}

    def modality(self, name: str) -> ModalitySpec:
        for m in self.modalities:
            if m.name == name:
                return m
        raise SpecError(f"unknown modality '{name}' (known: {', '.join(MODALITIES)})")


def fingerprint_of(data: bytes) -> str:
    """sha256 of the spec file's bytes: what the Java side computes too (no JSON canonicalisation
    to agree on); the spec is written by one tool, so its bytes change only when its content does."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _stochastic(name: str, m: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if m.shape != shape:
        raise SpecError(f"{name} has shape {m.shape}, expected {shape}")
    if (m < 0).any() or not np.allclose(m.sum(axis=-1), 1.0, atol=1e-6):
        raise SpecError(f"{name} rows must be non-negative and sum to 1")
    return m


def _flags(name: str, value, n: int) -> np.ndarray:
    if not isinstance(value, list) or len(value) != n or any(not isinstance(v, bool) for v in value):
        raise SpecError(f"{name} must be a list of {n} true/false values")
    return np.asarray(value, dtype=bool)


def _probability(name: str, value) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise SpecError(f"{name} must be a probability, got {v}")
    return v


def _lag(name: str, p: dict) -> dict:
    """The modality's lag distribution, checked: whole steps in [0, MAX_LAG_STEPS], no repeats,
    probabilities that are probabilities and sum to 1. Absent: no lag."""
    if "lag" not in p:
        return {}
    lag = p["lag"]
    key = f"modalities.{name}.lag"
    if not isinstance(lag, dict) or "steps" not in lag or "probabilities" not in lag:
        raise SpecError(f"{key} must be an object with 'steps' and 'probabilities'")
    steps, probs = lag["steps"], lag["probabilities"]
    if not isinstance(steps, list) or not steps or any(not isinstance(v, int) or isinstance(v, bool) for v in steps):
        raise SpecError(f"{key}.steps must be a non-empty list of whole numbers of steps, got {steps!r}")
    if any(v < 0 for v in steps):
        raise SpecError(f"{key}.steps must not be negative (content cannot show a later state), got {steps}")
    if any(v > MAX_LAG_STEPS for v in steps):
        raise SpecError(f"{key}.steps must be at most {MAX_LAG_STEPS} (the carried context), got {steps}")
    if len(set(steps)) != len(steps):
        raise SpecError(f"{key}.steps must not repeat a lag, got {steps}")
    if not isinstance(probs, list) or len(probs) != len(steps):
        raise SpecError(f"{key}.probabilities must be a list of {len(steps)} numbers (one per lag)")
    pr = np.asarray([float(v) for v in probs])
    if (pr < 0).any() or (pr > 1).any() or abs(pr.sum() - 1.0) > 1e-6:
        raise SpecError(f"{key}.probabilities must be probabilities summing to 1, got {probs} (sum {pr.sum():.6g})")
    return {"lag_steps": np.asarray(steps, dtype=np.int64), "lag_probabilities": pr}


def _masked_as(m: np.ndarray, k: int) -> np.ndarray:
    _stochastic("affect.display.masked_as", m, (k, k))
    if np.any(np.diag(m) != 0):
        raise SpecError("affect.display.masked_as must have a zero diagonal (masking shows another state)")
    return m


def _off_task(affect: dict) -> dict:
    if "off_task" not in affect:
        return {}
    o = affect["off_task"]
    start = _probability("affect.off_task.start", o["start"])
    cont = _probability("affect.off_task.continue", o["continue"])
    if cont >= 1.0:
        raise SpecError("affect.off_task.continue must be below 1 (spells must end)")
    return {"off_task_start": start, "off_task_continue": cont}


def parse(raw: dict, fingerprint: str | None = None) -> Spec:
    try:
        classes = tuple(raw["classes"])
        k = len(classes)
        affect = raw["affect"]
        mods = []
        for name in MODALITIES:
            p = raw["modalities"][name]
            dim = int(p["dim"])
            latent = int(p["latent_dim"])
            means = np.asarray(p["class_means"], dtype=np.float64)
            proj = np.asarray(p["projection"], dtype=np.float64)
            if means.shape != (k, latent):
                raise SpecError(f"modalities.{name}.class_means has shape {means.shape}, expected {(k, latent)}")
            if proj.shape != (dim, latent):
                raise SpecError(f"modalities.{name}.projection has shape {proj.shape}, expected {(dim, latent)}")
            lv = p["noise_levels"]
            mult = np.asarray(lv["multipliers"], dtype=np.float64)
            n_lv = len(mult)
            q = p["quality"]
            mods.append(
                ModalitySpec(
                    name=name,
                    dim=dim,
                    latent_dim=latent,
                    class_means=means,
                    projection=proj,
                    within_class_std=float(p["within_class_std"]),
                    noise_std=float(p["noise_std"]),
                    learner_offset_std=float(p["learner_offset_std"]),
                    level_multipliers=mult,
                    level_interference=_flags(f"{name}.noise_levels.interference", lv["interference"], n_lv),
                    level_initial=_stochastic(f"{name}.noise_levels.initial", np.asarray(lv["initial"], float), (n_lv,)),
                    level_transition=_stochastic(
                        f"{name}.noise_levels.transition", np.asarray(lv["transition"], float), (n_lv, n_lv)
                    ),
                    missing_share=float(p["missing"]["share"]),
                    missing_mean_spell_steps=float(p["missing"]["mean_spell_steps"]),
                    quality_name=str(q["name"]),
                    quality_per_level=np.asarray(q["per_level"], dtype=np.float64),
                    quality_jitter=float(q["jitter"]),
                    quality_range=(float(q["range"][0]), float(q["range"][1])),
                    **_lag(name, p),
                )
            )
        shares = sum(m.missing_share for m in mods)
        if abs(shares - len(mods)) > 1e-6:
            raise SpecError(f"missing shares must average 1 (they sum to {shares}, expected {len(mods)})")
        return Spec(
            raw=raw,
            fingerprint=fingerprint or fingerprint_of(json.dumps(raw, sort_keys=True).encode("utf-8")),
            name=str(raw["name"]),
            version=str(raw["version"]),
            classes=classes,
            step_seconds=float(raw["step_seconds"]),
            session_min_steps=int(raw["session_steps"]["min"]),
            session_max_steps=int(raw["session_steps"]["max"]),
            initial=_stochastic("affect.initial", np.asarray(affect["initial"], float), (k,)),
            transition=_stochastic("affect.transition", np.asarray(affect["transition"], float), (k, k)),
            mask_start=_probability("affect.display.mask_start", affect["display"]["mask_start"]),
            mask_continue=_probability("affect.display.mask_continue", affect["display"]["mask_continue"]),
            masked_as=_masked_as(np.asarray(affect["display"]["masked_as"], float), k),
            modalities=tuple(mods),
            max_missing_rate=float(raw["missing"]["max_rate"]),
            max_modality_missing_rate=float(raw["missing"]["max_modality_rate"]),
            **_off_task(affect),
        )
    except KeyError as e:
        raise SpecError(f"spec is missing the key {e}") from None


def load(path: str | Path = DEFAULT_SPEC_PATH) -> Spec:
    path = Path(path)
    try:
        data = path.read_bytes()
        raw = json.loads(data.decode("utf-8"))
    except OSError as e:
        raise SpecError(f"cannot read spec file {path}: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SpecError(f"spec file {path} is not valid JSON: {e}") from None
    return parse(raw, fingerprint_of(data))


def display_transition(spec: "Spec") -> tuple[np.ndarray, np.ndarray]:
    """Initial distribution and transition matrix of the joint (felt, expressed) chain, index y*C+e."""
    c = spec.num_classes
    eye = np.eye(c)

    def fresh(y: int) -> np.ndarray:  # expressed state when an episode starts at felt state y
        return (1 - spec.mask_start) * eye[y] + spec.mask_start * spec.masked_as[y]

    init = np.zeros(c * c)
    for y in range(c):
        init[y * c : (y + 1) * c] = spec.initial[y] * fresh(y)
    trans = np.zeros((c * c, c * c))
    for y0 in range(c):
        for e0 in range(c):
            for y1 in range(c):
                if y1 == y0 and e0 != y0:  # masking goes on or ends
                    shown = spec.mask_continue * eye[e0] + (1 - spec.mask_continue) * eye[y1]
                else:
                    shown = fresh(y1)
                trans[y0 * c + e0, y1 * c : (y1 + 1) * c] = spec.transition[y0, y1] * shown
    return init, trans


def stationary(transition: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eig(transition.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
    return v / v.sum()


def off_task_chain(spec: "Spec") -> tuple[np.ndarray, np.ndarray]:
    """Initial (stationary) distribution and transition matrix of the off-task chain, index 0 = on
    task, 1 = off task. Without off-task spells: always on task."""
    s, q = spec.off_task_start, spec.off_task_continue
    rate = s / (s + 1.0 - q)
    return np.array([1.0 - rate, rate]), np.array([[1.0 - s, s], [1.0 - q, q]])
