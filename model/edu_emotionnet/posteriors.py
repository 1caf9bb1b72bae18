"""Per-step posteriors of the shipped model and of the oracle on fresh benchmark sessions, for measuring
the streaming job's intervention rules (the Java command `InterventionEvaluation` reads the file and runs
the job's own rule classes over both; the oracle's run is the ceiling).

File layout (JSON Lines): a header object, then one object per session:
  header   {"kind": "edu-emotionnet-posteriors", "classes", "step_seconds", "model_version",
            "weights_fingerprint", "benchmark_fingerprint", "learners_per_rate", "seed"}
  session  {"rate": "0.2", "truth": [felt class per step], "present": [bitmask per step, bit m = modality m],
            "model": [[p per class] per step], "oracle": [[p per class] per step]}
Probabilities are rounded to 5 decimals (a rule compares means with thresholds given to 2).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import MODEL_VERSION
from .export import load_checkpoint, weights_fingerprint
from .generator import generate
from .oracle import filter_posteriors
from .spec import Spec
from .train import predict

CHUNK = 200  # sessions per generator call: bounds memory (embeddings of 512 floats per step)


def _rows(probabilities: np.ndarray) -> list:
    return np.round(probabilities.astype(np.float64), 5).tolist()


def write(spec: Spec, checkpoint: Path, out: Path, rates: tuple[float, ...], learners: int, seed: int, log=print) -> int:
    """Writes the file; returns the number of sessions written."""
    model, ckpt = load_checkpoint(checkpoint)
    if ckpt["spec_fingerprint"] != spec.fingerprint:
        raise ValueError(f"checkpoint was trained on benchmark {ckpt['spec_fingerprint'][:19]}…, "
                         f"the spec is {spec.fingerprint[:19]}…")
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as f:
        f.write(json.dumps({
            "kind": "edu-emotionnet-posteriors", "classes": list(spec.classes), "step_seconds": spec.step_seconds,
            "model_version": MODEL_VERSION, "weights_fingerprint": weights_fingerprint(model),
            "benchmark_fingerprint": spec.fingerprint, "learners_per_rate": learners, "seed": seed,
        }) + "\n")
        for ri, rate in enumerate(rates):
            for ci, start in enumerate(range(0, learners, CHUNK)):
                sessions = generate(spec, min(CHUNK, learners - start), seed=seed + 1000 * ri + ci, missing_rate=rate)
                logp, _ = predict(model, sessions)
                oracle = filter_posteriors(spec, sessions)
                bits = (sessions.mask.astype(np.int64) * np.array([1, 2, 4])).sum(axis=2)
                for n in range(len(sessions)):
                    length = int(sessions.lengths[n])
                    f.write(json.dumps({
                        "rate": f"{rate:.1f}",
                        "truth": sessions.labels[n, :length].tolist(),
                        "present": bits[n, :length].tolist(),
                        "model": _rows(np.exp(logp[n, :length])),
                        "oracle": _rows(oracle[n, :length]),
                    }) + "\n")
                    written += 1
            log(f"{rate:.0%} missing: {learners} sessions")
    return written
