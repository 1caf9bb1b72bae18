"""ONNX export of the streaming step form, its metadata, golden vectors and the shipped model's scores."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import MODEL_VERSION
from .generator import generate
from .metrics import confusion_matrix, per_class_f1
from .model import NUM_MODALITIES, EduEmotionNet, ModelConfig
from .spec import MODALITIES, Spec
from .train import model_quality, predict

INPUTS = ("audio", "visual", "text", "mask", "quality", "state")
OUTPUTS = ("probabilities", "mie_weights", "state_out")
MAX_ONNX_BYTES = 10 * 1024 * 1024
SYNTHETIC_TRAINING = {
    "kind": "synthetic",
    "description": "synthetic (EduAffect-Synth); retrain on labelled recordings before real use",
}
# what the `mie_weights` output means (also in the Avro docs, docs/metrics.md and the dashboard)
MIE_WEIGHTS_MEANING = (
    "per modality (audio, visual, text) its reliability at this step in [0, 1]: the model's estimate, from this step "
    "and the modality's recent record in the session, of the probability that the modality's own evidence names the "
    "true class (its most plausible class, or within a factor 2 of it), and the only factor by which the model "
    "discounts the modality; "
    "exactly 0 when missing; not normalised (need not sum to 1)"
)
# what each block of the carried state holds (its shape comes from EduEmotionNet.state_blocks)
STATE_BLOCK_NOTES = {
    "tokens": "modality audio,visual,text; age oldest first",
    "token_presence": "modality, age",
    "modality_evidence": "each modality's weighted evidence w_m * l_m; age oldest first, modality audio,visual,text",
    "predictions": "own past predictions p, oldest first",
    "last_evidence": "each modality's own evidence l_m at its last present step; modality audio,visual,text",
    "last_presence": "1 once the modality has been present in the session",
    "reliability": "the MIE filter's belief that each modality is reliable, a logit relative to its learned start",
    "tfl_memory": "the TFL's learned memory (a GRU's hidden state over the session's steps)",
}


class StepForm(nn.Module):
    def __init__(self, model: EduEmotionNet):
        super().__init__()
        self.model = model

    def forward(self, audio, visual, text, mask, quality, state):
        return self.model.step(audio, visual, text, mask, quality, state)


def own_data_training(data: Path, sessions: int, labelled_steps: int) -> dict:
    """The training source of a model trained on the platform's recordings (`--data`)."""
    return {"kind": "own", "description": f"own data: {data.resolve().name}, {sessions} sessions, {labelled_steps} labelled steps"}


def training_source(ckpt: dict) -> dict:
    """What a checkpoint was trained on; checkpoints without the field were trained on the generator."""
    return ckpt.get("training_data") or SYNTHETIC_TRAINING


def save_checkpoint(model: EduEmotionNet, spec: Spec, path: Path, train_config: dict, training: dict = SYNTHETIC_TRAINING) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "model_version": MODEL_VERSION,
            "model_config": model.config.to_dict(),
            "state_dict": model.state_dict(),
            "spec_fingerprint": spec.fingerprint,
            "train_config": train_config,
            "training_data": training,
        },
        path,
    )


def load_checkpoint(path: Path) -> tuple[EduEmotionNet, dict]:
    try:
        ckpt = torch.load(path, map_location="cpu")
    except (OSError, RuntimeError) as e:
        raise ValueError(f"cannot read checkpoint {path}: {e}") from None
    model = EduEmotionNet(ModelConfig.from_dict(ckpt["model_config"]))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


def state_layout(model: EduEmotionNet) -> str:
    """The blocks in the order split_state cuts them, e.g. `tokens[3][5][64] (…)`, comma-separated."""
    blocks = ", ".join(
        name + "".join(f"[{d}]" for d in shape) + f" ({STATE_BLOCK_NOTES[name]})" for name, shape in model.state_blocks()
    )
    return f"float32[{model.state_size}]: {blocks}; a new or reset learner starts from all zeros"


def benchmark_fields(spec: Spec, training: dict) -> tuple[str, str]:
    """(edu.benchmark, edu.benchmark_fingerprint): the benchmark only for a model trained on it."""
    if training["kind"] == "synthetic":
        return f"{spec.name} {spec.version}", spec.fingerprint
    return (
        f"none (trained on own data; classes, quality ranges and step length from {spec.name} {spec.version}, {spec.fingerprint})",
        "none (own data)",
    )


def weights_fingerprint(model: EduEmotionNet) -> str:
    """sha256 of the trained parameters (names and float32 values, in name order): ties the ONNX file and
    reports/shipped_model.json to the same weights, whatever else a re-export changes in the graph."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode("utf-8"))
        h.update(tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes())
    return "sha256:" + h.hexdigest()


def metadata(model: EduEmotionNet, spec: Spec, training: dict = SYNTHETIC_TRAINING) -> dict[str, str]:
    benchmark, fingerprint = benchmark_fields(spec, training)
    return {
        "edu.model_version": MODEL_VERSION,
        "edu.classes": json.dumps(list(spec.classes)),
        "edu.modalities": json.dumps(list(MODALITIES)),
        "edu.input_dims": json.dumps({m: d for m, d in zip(MODALITIES, model.config.dims)}),
        "edu.state_shape": json.dumps([model.state_size]),
        "edu.state_layout": state_layout(model),
        "edu.initial_state": "zeros",
        "edu.step_seconds": repr(spec.step_seconds),
        "edu.context_steps": str(model.config.context),
        "edu.inputs": json.dumps(list(INPUTS)),
        # raw scores as producers send them (mean per step); NaN = not reported; scaled in the graph
        "edu.quality": json.dumps(
            {m.name: {"name": m.quality_name, "range": list(r)} for m, r in zip(spec.modalities, model.config.quality_ranges)}
        ),
        "edu.outputs": json.dumps(list(OUTPUTS)),
        "edu.mie_weights": MIE_WEIGHTS_MEANING,
        "edu.benchmark": benchmark,
        "edu.benchmark_fingerprint": fingerprint,
        "edu.training_data": training["description"],
        "edu.weights_fingerprint": weights_fingerprint(model),
    }


def export_onnx(model: EduEmotionNet, spec: Spec, path: Path, training: dict = SYNTHETIC_TRAINING) -> int:
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    b = 2
    example = (
        *(torch.zeros(b, d) for d in model.config.dims),
        torch.ones(b, NUM_MODALITIES),
        torch.full((b, NUM_MODALITIES), 0.5),
        model.initial_state(b),
    )
    torch.onnx.export(
        StepForm(model).eval(),
        example,
        str(path),
        opset_version=17,
        input_names=list(INPUTS),
        output_names=list(OUTPUTS),
        dynamic_axes={name: {0: "batch"} for name in INPUTS + OUTPUTS},
        do_constant_folding=True,
    )
    proto = onnx.load(str(path))
    # the exporter leaves some output widths symbolic: state the contract exactly
    widths = {"probabilities": model.config.num_classes, "mie_weights": NUM_MODALITIES, "state_out": model.state_size}
    for out in proto.graph.output:
        dim = out.type.tensor_type.shape.dim[1]
        dim.ClearField("dim_param")
        dim.dim_value = widths[out.name]
    del proto.metadata_props[:]
    for key, value in metadata(model, spec, training).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.doc_string = "Edu-EmotionNet streaming step: one call advances one time step for a batch of learners."
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))
    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise ValueError(f"{path} is {size} bytes, above the 10 MB limit")
    return size


def _golden_embeddings(model: EduEmotionNet, spec: Spec, parts: list, mask: np.ndarray) -> dict[str, np.ndarray]:
    """The generator's embeddings; where the model's size differs from the spec's (own data with
    other encoders), seeded standard-normal vectors of the model's size: golden vectors check the
    graph's arithmetic, not its accuracy."""
    rng = np.random.default_rng(4242)
    out = {}
    for mi, (name, dim) in enumerate(zip(MODALITIES, model.config.dims)):
        if dim == spec.dims[name]:
            out[name] = np.concatenate([p.embeddings[mi] for p in parts])
        else:
            out[name] = (rng.standard_normal((*mask.shape[:2], dim)) * mask[..., mi : mi + 1]).astype(np.float32)
    return out


def write_golden(model: EduEmotionNet, spec: Spec, out_dir: Path, steps: int = 36, training: dict = SYNTHETIC_TRAINING) -> dict:
    """Inputs and expected outputs of the step form for learners at different missing rates."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rates = (0.0, 0.3, 0.6, 0.8)
    parts = [generate(spec, 1, seed=424242 + i, missing_rate=r, session_steps=steps) for i, r in enumerate(rates)]
    mask = np.concatenate([p.mask for p in parts])
    arrays = {
        **_golden_embeddings(model, spec, parts, mask),
        "mask": mask,
        "quality": np.concatenate([model_quality(p) for p in parts]),
    }
    # and steps whose producers reported no quality score
    arrays["quality"][1, 10:20, 0] = np.nan
    arrays["quality"][2, 3:8, :] = np.nan
    # the golden run must exercise a step where nothing at all arrives
    arrays["mask"][-1, 5] = 0.0
    for name in ("audio", "visual", "text"):
        arrays[name][-1, 5] = 0.0
    arrays["quality"][-1, 5] = np.nan
    n = len(rates)
    state = model.initial_state(n)
    probs, weights = [], []
    with torch.no_grad():
        for t in range(steps):
            p, w, state = model.step(*(torch.from_numpy(arrays[k][:, t]) for k in ("audio", "visual", "text", "mask", "quality")), state)
            probs.append(p.numpy())
            weights.append(w.numpy())
    arrays["probabilities"] = np.stack(probs, axis=1)
    arrays["mie_weights"] = np.stack(weights, axis=1)
    arrays["state_final"] = state.numpy()
    manifest = {
        "description": "Step-form golden vectors: feed each learner's steps in order, starting from a zero state; "
        "compare probabilities and MIE weights at every step and the state after the last step. "
        "quality holds NaN where no score was reported (pass it as it is).",
        "format": "raw little-endian float32, C order",
        "learners": n,
        "steps": steps,
        "missing_rates": list(rates),
        "tolerance": 1e-4,
        "model_version": MODEL_VERSION,
        # as in the ONNX metadata, which the Java parity test compares it with
        "benchmark_fingerprint": benchmark_fields(spec, training)[1],
        "training_data": training["description"],
        "files": {},
    }
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr, dtype="<f4")
        (out_dir / f"{name}.f32").write_bytes(arr.tobytes())
        manifest["files"][name] = {"file": f"{name}.f32", "shape": list(arr.shape)}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def trained_summary(train_config: dict | None) -> dict | None:
    """How the scored model was trained, next to its scores (the evaluation trains shorter)."""
    if not train_config:
        return None
    return {k: train_config[k] for k in ("epochs", "sessions_per_epoch", "seed") if k in train_config}


def shipped_scores(
    model: EduEmotionNet, spec: Spec, learners: int = 4000, rates=(0.0, 0.2, 0.4, 0.6), chunk: int = 500,
    train_config: dict | None = None,
) -> dict:
    """Offline scores of the exported model: what the Flink job's streaming run is compared with.
    Many learners (in chunks, to bound memory): sessions are long and correlated, so a precise
    macro-F1 needs thousands of them."""
    out = {
        "model_version": MODEL_VERSION,
        "weights_fingerprint": weights_fingerprint(model),
        "benchmark_fingerprint": spec.fingerprint,
        "trained": trained_summary(train_config),
        "learners_per_rate": learners,
        "scored": "every step of every session, from a zero state per session (the step form, run over whole sessions)",
        "results": {},
    }
    for i, rate in enumerate(rates):
        cm = np.zeros((spec.num_classes, spec.num_classes), dtype=np.int64)
        for c, start in enumerate(range(0, learners, chunk)):
            test = generate(spec, min(chunk, learners - start), seed=9_100_000 + 1000 * i + c, missing_rate=rate)
            logp, _ = predict(model, test)
            cm += confusion_matrix(test.labels, logp.argmax(-1), spec.num_classes)
        f1 = per_class_f1(cm)
        out["results"][f"{rate:.1f}"] = {
            "accuracy": float(np.trace(cm) / cm.sum()),
            "macro_f1": float(f1.mean()),
            "steps": int(cm.sum()),
        }
    return out
