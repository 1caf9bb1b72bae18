"""Writes `model/benchmark/spec.json` from the benchmark design below.

The design is the human-chosen part (dynamics, noise, reliability); the class means and the
projections are drawn once from a fixed seed. Edit the design here, run
`python3 -m edu_emotionnet make-spec`, then retrain and re-export: the ONNX metadata carries the
spec's fingerprint, so a model trained on an older spec is recognisable.

Assumptions and their sources are written next to each number and in model/README.md.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .spec import DEFAULT_SPEC_PATH, parse

CLASSES = ["confusion", "curiosity", "boredom", "frustration"]

# Mean dwell time per state in 2-s steps (1 to 3 min). D'Mello & Graesser (2012, "Dynamics of affective
# states during complex learning", Learning and Instruction 22:145-157) report that boredom is
# the most persistent state, frustration intermediate and confusion the least persistent of the
# negative states; engaged concentration / curiosity persists while the learner makes progress.
# They publish likelihoods of transitions, not a matrix: these dwell times are our assumption.
DWELL_STEPS = {"confusion": 30.0, "curiosity": 45.0, "boredom": 90.0, "frustration": 60.0}

# Where a learner goes when leaving a state (rows sum to 1). The model of affect dynamics:
# confusion resolves toward curiosity/engagement or, unresolved, decays into frustration;
# unresolved frustration leads to boredom (disengagement); boredom can flip back to frustration
# or, after a new stimulus, to curiosity (D'Mello & Graesser 2012, Fig. 1; Baker et al. 2010,
# "Better to be frustrated than bored", IJHCS 68:223-241, on boredom persistence).
LEAVE_TO = {
    "confusion": {"curiosity": 0.55, "frustration": 0.35, "boredom": 0.10},
    "curiosity": {"confusion": 0.60, "boredom": 0.30, "frustration": 0.10},
    "boredom": {"frustration": 0.35, "curiosity": 0.35, "confusion": 0.30},
    "frustration": {"boredom": 0.50, "confusion": 0.30, "curiosity": 0.20},
}

# Sessions begin engaged or puzzled more often than bored.
INITIAL = {"confusion": 0.35, "curiosity": 0.45, "boredom": 0.10, "frustration": 0.10}

# Expressed vs felt affect: every modality observes one *expressed* state, the felt state most of
# the time; in masking episodes (a bored learner keeping a polite interested face, a frustrated
# one hiding it) another state is shown for several steps. Masking is what keeps even a
# perfect-sensor oracle below 100 %, and it costs the same with or without missing data.
MASK_START = 0.03  # per step while the felt state is shown
MASK_CONTINUE = 0.8  # mean masking episode: 5 steps (10 s)
MASKED_AS = {  # which state is shown while masking
    "confusion": {"curiosity": 0.5, "frustration": 0.3, "boredom": 0.2},  # pretending to follow
    "curiosity": {"confusion": 0.4, "boredom": 0.4, "frustration": 0.2},  # a still face while absorbed
    "boredom": {"curiosity": 0.6, "confusion": 0.2, "frustration": 0.2},  # polite interest
    "frustration": {"boredom": 0.4, "confusion": 0.4, "curiosity": 0.2},  # withdrawal, or a puzzled look
}

# Valence/arousal anchors (circumplex placement of the four learning-centred states) shared by
# all modalities' first two latent axes; the remaining latent axes are modality-specific.
VALENCE_AROUSAL = {
    "confusion": (-0.3, 0.4),
    "curiosity": (0.6, 0.5),
    "boredom": (-0.5, -0.7),
    "frustration": (-0.7, 0.6),
}

LATENT_DIM = 8

# Per modality: encoder-sized dims; class separation (latent units); within-class latent spread;
# ambient per-coordinate noise; per-learner offset spread; a reliability Markov chain (clean /
# noisy: the ambient noise multiplied / interference: the embedding shows a random state's pattern
# at normal energy, so only cross-modal disagreement reveals it); the share of the overall missing rate and the
# mean length of a missing spell; the quality score an event carries at each noise level.
MODALITIES = {
    "audio": {  # VGGish-size; the least reliable: the most frequent noise bursts (one strength, x4)
        "dim": 128,
        "separation": 3.0,
        "look_alike": ["confusion", "curiosity"],  # prosody of puzzled and of interested speech
        "look_alike_closeness": 0.05,
        "within_class_std": 0.40,
        "noise_std": 0.25,
        "learner_offset_std": 0.2,
        "noise_levels": {  # clean / noisy room / another voice (interference)
            "multipliers": [1.0, 4.0, 1.0],
            "interference": [False, False, True],
            "initial": [0.75, 0.15, 0.10],
            "transition": [[0.91, 0.05, 0.04], [0.20, 0.80, 0.00], [0.20, 0.00, 0.80]],
        },
        "missing": {"share": 0.9, "mean_spell_steps": 2.0},
        "quality": {"name": "snr_db", "per_level": [24.0, 6.0, 18.0], "jitter": 3.0, "range": [-10.0, 40.0]},
    },
    "visual": {  # face-embedding size; the most informative; spells without a detected face
        "dim": 512,
        "separation": 3.6,
        "look_alike": ["confusion", "frustration"],  # both show a furrowed brow
        "look_alike_closeness": 0.05,
        "within_class_std": 0.40,
        "noise_std": 0.15,
        "learner_offset_std": 0.2,
        "noise_levels": {  # clean / blur or poor light / another face in frame (interference)
            "multipliers": [1.0, 3.0, 1.0],
            "interference": [False, False, True],
            "initial": [0.88, 0.08, 0.04],
            "transition": [[0.96, 0.03, 0.01], [0.20, 0.80, 0.00], [0.25, 0.00, 0.75]],
        },
        "missing": {"share": 0.7, "mean_spell_steps": 4.0},
        "quality": {"name": "face_confidence", "per_level": [0.95, 0.6, 0.9], "jitter": 0.05, "range": [0.0, 1.0]},
    },
    "text": {  # MiniLM sentence-embedding size; present only when the learner writes or speaks
        "dim": 384,
        "separation": 3.2,
        "look_alike": ["boredom", "frustration"],  # terse, negative messages
        "look_alike_closeness": 0.05,
        "within_class_std": 0.40,
        "noise_std": 0.20,
        "learner_offset_std": 0.2,
        "noise_levels": {  # clean / short, garbled or ASR-mangled / off-topic chat (interference)
            "multipliers": [1.0, 3.0, 1.0],
            "interference": [False, False, True],
            "initial": [0.80, 0.12, 0.08],
            "transition": [[0.90, 0.06, 0.04], [0.30, 0.70, 0.00], [0.30, 0.00, 0.70]],
        },
        "missing": {"share": 1.4, "mean_spell_steps": 2.0},
        "quality": {"name": "asr_confidence", "per_level": [0.9, 0.5, 0.85], "jitter": 0.08, "range": [0.0, 1.0]},
    },
}

# Cross-modal lag (assumptions, one per modality; `lag` in spec.json): at each step a modality's content
# shows the expressed state of d steps earlier, d drawn per step from the distribution below (before a
# session's first step the first expressed state is shown). The label stays the felt state *now*, and the
# quality score and the reliability level are those of the current event (the producer scores the signal
# it sends, not the affect it describes). Real streams are not aligned (MulT's setting, Tsai et al. 2019):
LAG = {
    # A chat message or a spoken sentence describes what the learner felt while composing it: typing a
    # line takes several seconds (2-6 s, i.e. 1-3 two-second steps) before the message is sent and
    # embedded. No published distribution for classroom chat: uniform over 1-3 steps is our assumption.
    "text": {"steps": [1, 2, 3], "probabilities": [1 / 3, 1 / 3, 1 / 3],
             "assumption": "a message describes the affect felt while it was composed, 2-6 s (1-3 steps) "
             "before it is sent; uniform over 1-3 steps is an assumption of this project"},
    # The audio pipeline embeds ~1-s windows that straddle step boundaries and buffers them before
    # sending; prosody also trails the felt change slightly. A small offset: the previous step 30 % of the time.
    "audio": {"steps": [0, 1], "probabilities": [0.7, 0.3],
              "assumption": "audio windows straddle step boundaries and are buffered by the producer; "
              "one step late 30 % of the time is an assumption of this project"},
    # A face tracker embeds frames within the step; occasionally (batching, producer clock drift) a
    # step's frames arrive one step late. The smallest offset: one step late 10 % of the time.
    "visual": {"steps": [0, 1], "probabilities": [0.9, 0.1],
               "assumption": "face frames are embedded within the step; producer batching or clock drift "
               "makes them one step late 10 % of the time, an assumption of this project"},
}

# Off-task spells (a benchmark VARIANT, not in the shipped spec.json; written by
# `make-spec --off-task --out benchmark/spec_offtask.json`). Baker, Corbett, Koedinger & Wagner (2004,
# "Off-task behavior in the cognitive tutor classroom", CHI 2004) observed learners off task in about
# 10-20 % of observations (talking to a neighbour, looking at a phone, typing elsewhere). During a spell
# every present modality shows content unrelated to the learner's affect (each one a uniformly random
# state's pattern at its own noise level), while the label stays the felt state. The chain is independent
# of affect; the quality scores keep following each modality's own level (producers cannot see it).
# A cross-modal, shared hidden state: the one thing in this variant that makes per-step evidence
# non-additive over modalities.
OFF_TASK = {"start": 0.02, "continue": 0.85}  # mean spell 6.7 steps (13 s), 11.8 % of steps off task
OFF_TASK_MASK_START = MASK_START  # the variant's masking start rate (recalibrated if the oracle drops too far)

SEED = 20251008


def _transition() -> list[list[float]]:
    rows = []
    for frm in CLASSES:
        stay = 1.0 - 1.0 / DWELL_STEPS[frm]
        rows.append([stay if to == frm else (1.0 - stay) * LEAVE_TO[frm][to] for to in CLASSES])
    return rows


def _masked_as() -> list[list[float]]:
    return [[0.0 if e == felt else MASKED_AS[felt][e] for e in CLASSES] for felt in CLASSES]


def _class_means(rng: np.random.Generator, separation: float, look_alike: tuple[str, str], closeness: float) -> np.ndarray:
    va = np.array([VALENCE_AROUSAL[c] for c in CLASSES])
    specific = rng.normal(0.0, 0.6, size=(len(CLASSES), LATENT_DIM - 2))
    means = np.concatenate([va, specific], axis=1)
    means -= means.mean(axis=0, keepdims=True)
    d = np.linalg.norm(means[:, None, :] - means[None, :, :], axis=-1)
    mean_pairwise = d[np.triu_indices(len(CLASSES), 1)].mean()
    means = means * (separation / mean_pairwise)
    # the pair this modality barely tells apart: pulled toward their midpoint
    a, b = (CLASSES.index(c) for c in look_alike)
    mid = (means[a] + means[b]) / 2
    means[a] = mid + closeness * (means[a] - mid)
    means[b] = mid + closeness * (means[b] - mid)
    return means


def build(off_task: dict | None = None, mask_start: float = MASK_START, lag: bool = True) -> dict:
    """The design as a spec dict; `off_task` ({"start", "continue"}) adds off-task spells (absent in
    the shipped spec), `mask_start` overrides the masking episodes' start rate (a variant's recalibration),
    `lag=False` leaves out the cross-modal lag (the unlagged benchmark of earlier versions)."""
    rng = np.random.default_rng(SEED)
    mods = {}
    for name, p in MODALITIES.items():
        means = _class_means(rng, p["separation"], tuple(p["look_alike"]), p["look_alike_closeness"])
        projection = rng.normal(0.0, 1.0 / np.sqrt(p["dim"]), size=(p["dim"], LATENT_DIM))
        mods[name] = {
            "dim": p["dim"],
            "latent_dim": LATENT_DIM,
            "class_means": np.round(means, 6).tolist(),
            "projection": np.round(projection, 6).tolist(),
            "within_class_std": p["within_class_std"],
            "noise_std": p["noise_std"],
            "learner_offset_std": p["learner_offset_std"],
            "noise_levels": p["noise_levels"],
            "missing": p["missing"],
            "quality": p["quality"],
            **({"lag": LAG[name]} if lag else {}),
        }
    return {
        "name": "EduAffect-Synth",
        "version": "1.1.0" if lag else "1.0.0",
        "synthetic": True,
        "description": "Synthetic educational-affect benchmark for Edu-EmotionNet; see model/README.md. "
        "Not recordings of learners: a generative process with known parameters and a Bayes-optimal oracle.",
        "classes": CLASSES,
        "step_seconds": 2.0,
        "session_steps": {"min": 90, "max": 180},
        "affect": {
            "initial": [INITIAL[c] for c in CLASSES],
            "transition": _transition(),
            "display": {"mask_start": mask_start, "mask_continue": MASK_CONTINUE, "masked_as": _masked_as()},
            **({"off_task": dict(off_task)} if off_task is not None else {}),
            "sources": [
                "D'Mello & Graesser 2012, Dynamics of affective states during complex learning, Learning and Instruction 22:145-157",
                "Baker, D'Mello, Rodrigo & Graesser 2010, Better to be frustrated than bored, IJHCS 68:223-241",
                "Dwell times, leave-to shares and the masking process are assumptions of this project",
            ],
        },
        "modalities": mods,
        "missing": {"max_rate": 0.8, "max_modality_rate": 0.95},
    }


def _dumps(raw: dict) -> str:
    """Indented JSON with every list of numbers on one line (a projection row per line)."""
    text = json.dumps(raw, indent=1)
    return re.sub(r"\[\s*(-?[0-9.e+-]+(?:,\s*-?[0-9.e+-]+)*)\s*\]", lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text)


def write(path: Path = DEFAULT_SPEC_PATH, off_task: dict | None = None, mask_start: float = MASK_START,
          lag: bool = True) -> Path:
    raw = build(off_task, mask_start, lag)
    parse(raw)  # refuse to write an inconsistent spec
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dumps(raw) + "\n", encoding="utf-8")
    return path
