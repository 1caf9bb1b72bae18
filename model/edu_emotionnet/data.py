"""The training-data format for your own recordings: JSON Lines, one object per learner step.

    {"learner_id": "a1f3…", "session_id": "s-0042", "step": 17,
     "mask": [1, 0, 1],                        # audio, visual, text present?
     "audio": [128 floats] | null, "visual": [512 floats] | null, "text": [384 floats] | null,
     "quality": [audio SNR dB | null, face-detection confidence | null, ASR confidence | null],  # optional
     "label": "confusion" | "curiosity" | "boredom" | "frustration" | null}

`step` counts time steps of the model's step length within the session (the Flink job's
aligned-steps output writes exactly this, with "label": null for a platform to fill in from its
annotations). An embedding is null exactly when its mask entry is 0. `quality` holds the mean
quality score the step's events carried per modality (null or absent: none reported). Steps missing from a session
are treated as steps where nothing was sent; rows with a null label are read (they advance the
model) but do not count in the loss or the scores.

Embedding sizes: `read_jsonl(..., infer_dims=True)` (what `train --data` uses) takes each
modality's size from the first row where it is present and holds every later row to it, so a
platform whose encoders differ from the benchmark's (VGGish 128, face 512, MiniLM 384) trains a
model of its own sizes; a modality never present keeps the spec's size.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from .generator import Sessions
from .spec import MODALITIES, Spec


class DataError(ValueError):
    """Bad training data: the message names the file, the line and the problem."""


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json"))
        if not files:
            raise DataError(f"{path}: no .jsonl files in this directory")
        return files
    if not path.exists():
        raise DataError(f"{path}: no such file")
    return [path]


def _quality(obj: dict, where: str) -> np.ndarray:
    q = obj.get("quality")
    if q is None:
        return np.full(len(MODALITIES), np.nan, np.float32)
    if not isinstance(q, list) or len(q) != len(MODALITIES):
        raise DataError(f"{where}: quality must be a list of three numbers or nulls (audio, visual, text), got {q!r}")
    out = []
    for v in q:
        if v is None:
            out.append(math.nan)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append(float(v))
        else:
            raise DataError(f"{where}: quality values must be finite numbers or null, got {v!r}")
    return np.asarray(out, np.float32)


def _row(obj: dict, where: str, spec: Spec, dims: dict) -> tuple[tuple[str, str], int, list, np.ndarray, int]:
    """One parsed row. dims: modality -> (size, where it was set); a modality absent from it takes
    its size from this row (size inference), else every row is checked against it."""
    for key in ("learner_id", "session_id", "step", "mask"):
        if key not in obj:
            raise DataError(f"{where}: missing field '{key}'")
    learner, session = obj["learner_id"], obj["session_id"]
    if not isinstance(learner, str) or not learner or not isinstance(session, str) or not session:
        raise DataError(f"{where}: learner_id and session_id must be non-empty strings")
    step = obj["step"]
    if not isinstance(step, int) or step < 0:
        raise DataError(f"{where}: step must be a non-negative integer, got {step!r}")
    mask = obj["mask"]
    if not isinstance(mask, list) or len(mask) != len(MODALITIES) or any(v not in (0, 1) for v in mask):
        raise DataError(f"{where}: mask must be a list of three 0/1 values (audio, visual, text), got {mask!r}")
    vectors = []
    for mi, name in enumerate(MODALITIES):
        vec = obj.get(name)
        if mask[mi] == 0:
            if vec is not None:
                raise DataError(f"{where}: {name} is present but its mask entry is 0")
            vectors.append(None)
            continue
        if name not in dims and isinstance(vec, list) and vec:
            dims[name] = (len(vec), where)
        dim, set_at = dims.get(name, (spec.dims[name], None))
        if not isinstance(vec, list) or len(vec) != dim:
            got = "null" if vec is None else (f"{len(vec)} values" if isinstance(vec, list) else type(vec).__name__)
            like = f"like its first row {set_at}" if set_at else "mask says present"
            raise DataError(f"{where}: {name} must have {dim} values ({like}), got {got}")
        arr = np.asarray(vec, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise DataError(f"{where}: {name} contains NaN or infinite values")
        vectors.append(arr)
    label = obj.get("label")
    if label is None:
        label_idx = -1
    elif label in spec.classes:
        label_idx = spec.classes.index(label)
    else:
        raise DataError(f"{where}: unknown class '{label}' (known: {', '.join(spec.classes)})")
    return (learner, session), step, vectors, np.asarray(mask, np.float32), label_idx, _quality(obj, where)


def read_jsonl(path: str | Path, spec: Spec, max_session_steps: int = 10_000, infer_dims: bool = False) -> Sessions:
    """Read a file or a directory of .jsonl files into padded sessions.

    infer_dims: embedding sizes from the data (first row with each modality), not the spec's."""
    sessions: dict[tuple[str, str], dict[int, tuple]] = defaultdict(dict)
    # spec sizes are fixed (no `where`); inferred ones are filled in by the first row that has them
    dims: dict[str, tuple[int, str | None]] = {} if infer_dims else {m: (spec.dims[m], None) for m in MODALITIES}
    for file in _files(Path(path)):
        try:
            handle = file.open("r", encoding="utf-8")
        except OSError as e:
            raise DataError(f"{file}: cannot read ({e.strerror})") from None
        with handle:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{file}:{line_no}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError(f"{where}: not valid JSON ({e.msg})") from None
                if not isinstance(obj, dict):
                    raise DataError(f"{where}: each line must be a JSON object")
                key, step, vectors, mask, label, quality = _row(obj, where, spec, dims)
                if step in sessions[key]:
                    raise DataError(f"{where}: step {step} of this session appears twice")
                if step >= max_session_steps:
                    raise DataError(f"{where}: step {step} is beyond {max_session_steps} steps; split the session")
                sessions[key][step] = (vectors, mask, label, quality)
    if not sessions:
        raise DataError(f"{path}: no rows")
    keys = sorted(sessions)
    lengths = np.array([max(sessions[k]) + 1 for k in keys])
    n, t = len(keys), int(lengths.max())
    arrays = [np.zeros((n, t, dims.get(m, (spec.dims[m],))[0]), np.float32) for m in MODALITIES]
    mask = np.zeros((n, t, len(MODALITIES)), np.float32)
    labels = np.full((n, t), -1, np.int64)
    quality = np.full((n, t, len(MODALITIES)), np.nan, np.float32)
    learners = {}
    for i, key in enumerate(keys):
        for step, (vectors, m, label, q) in sessions[key].items():
            mask[i, step] = m
            labels[i, step] = label
            quality[i, step] = q
            for mi, vec in enumerate(vectors):
                if vec is not None:
                    arrays[mi][i, step] = vec
        learners.setdefault(key[0], len(learners))
    if (labels < 0).all():
        raise DataError(f"{path}: no row has a label; join your annotations first (field 'label')")
    # labels -1 mark unlabelled steps; padding beyond a session's end is unlabelled as well
    return Sessions(
        audio=arrays[0],
        visual=arrays[1],
        text=arrays[2],
        mask=mask,
        labels=labels,
        lengths=lengths,
        learner=np.array([learners[k[0]] for k in keys]),
        quality=quality,
        learner_ids=[k[0] for k in keys],
        session_ids=[k[1] for k in keys],
    )


def write_jsonl(sessions: Sessions, spec: Spec, path: str | Path, with_labels: bool = True) -> int:
    """Write generated sessions in the same format (the generator's output as training data)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(len(sessions)):
            learner = f"synthetic-{int(sessions.learner[i]):05d}"
            for step in range(int(sessions.lengths[i])):
                m = sessions.mask[i, step]
                obj = {"learner_id": learner, "session_id": f"{learner}-s{i:05d}", "step": step,
                       "mask": [int(v) for v in m]}
                for mi, name in enumerate(MODALITIES):
                    obj[name] = [round(float(v), 6) for v in sessions.embeddings[mi][i, step]] if m[mi] else None
                if sessions.quality is not None:
                    obj["quality"] = [round(float(sessions.quality[i, step, mi]), 4) if m[mi] else None for mi in range(len(MODALITIES))]
                label = int(sessions.labels[i, step])
                obj["label"] = spec.classes[label] if with_labels and label >= 0 else None
                out.write(json.dumps(obj, separators=(",", ":")) + "\n")
                rows += 1
    return rows


def missing_rate(sessions: Sessions) -> float:
    valid = sessions.labels >= 0
    return float(1.0 - sessions.mask[valid].mean()) if valid.any() else math.nan
