"""Where the shipped model loses to the lag-aware oracle (the "0.97 x oracle" target), on the
evaluation's seed-0 test sets at 0 % and 60 % missing:

1. accuracy of both, split by steps since the felt state last changed, by whether a masking episode
   shows another state, and by how many modalities are present, with each slice's share of the gap
   (oracle right and model wrong, minus the reverse, over all steps: the slices add up to the
   accuracy gap); and in steady stretches, how long the model's runs of errors the oracle does not
   make are;
2. the same model with its MIE weights replaced by presence (1 present, 0 missing) at inference: how
   much the weights themselves are worth at this rate;
3. the oracle without each learner's offset (offsets 0, their spread folded into the within-class
   spread): how much of the oracle's edge is knowing the learner, which no causal model can.

    cd model && /usr/bin/python3 reports/probe_mie/oracle_gap.py [checkpoints/edu_emotionnet.pt] [learners]
"""
import sys
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet import oracle, spec as spec_mod  # noqa: E402
from edu_emotionnet.evaluate import test_set  # noqa: E402
from edu_emotionnet.export import load_checkpoint  # noqa: E402
from edu_emotionnet.metrics import scores  # noqa: E402
from edu_emotionnet.train import tensors  # noqa: E402

learners = int(sys.argv[2]) if len(sys.argv) > 2 else 200
SINCE = ((0, 1), (1, 3), (3, 6), (6, 12), (12, None))


def steps_since_change(labels: np.ndarray) -> np.ndarray:
    since = np.zeros_like(labels)
    for t in range(1, labels.shape[1]):
        since[:, t] = np.where(labels[:, t] == labels[:, t - 1], since[:, t - 1] + 1, 0)
    return since


def run_lengths(flags: np.ndarray) -> np.ndarray:
    """Lengths of the runs of consecutive True steps in each session [N, T]."""
    padded = np.pad(flags.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(padded, axis=1)
    return np.flatnonzero(edges.ravel() == -1) - np.flatnonzero(edges.ravel() == 1)


def presence_weights(model):
    """The model with w_m = presence: everything else (evidence, TFL, the MIE's carried belief) as trained."""
    trained = model.weights

    def weights(self, static, logl, prior, has_prev, mask, belief):
        _, logits, new_belief = trained(static, logl, prior, has_prev, mask, belief)
        return mask, logits, new_belief

    model.weights = types.MethodType(weights, model)
    return model


def macro_f1(spec, test, predictions) -> float:
    return scores(test.labels, predictions, spec.num_classes)["macro_f1"]


torch.set_num_threads(2)
spec = spec_mod.load()
checkpoint = Path(sys.argv[1] if len(sys.argv) > 1 else "checkpoints/edu_emotionnet.pt")
for rate in (0.0, 0.6):
    test = test_set(spec, 0, rate, learners)
    data = tensors(test)
    inputs = (data["audio"], data["visual"], data["text"], data["mask"], data["quality"])
    with torch.no_grad():
        ours = load_checkpoint(checkpoint)[0](*inputs)[0].numpy().argmax(-1)
        presence = presence_weights(load_checkpoint(checkpoint)[0])(*inputs)[0].numpy().argmax(-1)
    best = oracle.predict(spec, test)
    offset_blind = replace(spec, modalities=tuple(
        replace(m, within_class_std=float(np.hypot(m.within_class_std, m.learner_offset_std))) for m in spec.modalities))
    no_offsets = oracle.predict(offset_blind, replace(test, offsets={k: np.zeros_like(v) for k, v in test.offsets.items()}))
    valid, y = test.valid, test.labels
    right_m, right_o = (ours == y), (best == y)
    f1_model, f1_oracle = macro_f1(spec, test, ours), macro_f1(spec, test, best)
    print(f"{rate:.0%} missing, {learners} learners: accuracy model {right_m[valid].mean():.4f}, oracle {right_o[valid].mean():.4f}; "
          f"macro-F1 model {f1_model:.4f}, oracle {f1_oracle:.4f} ({f1_model / f1_oracle:.4f} x oracle)")

    def row(label, sel):
        if not sel.any():
            return
        gap = (right_o.astype(int) - right_m)[sel].sum() / valid.sum()
        print(f"  {label:<28} share {sel.sum() / valid.sum():.3f}  model {right_m[sel].mean():.4f}  oracle {right_o[sel].mean():.4f}  gap {gap:+.4f}")

    since = steps_since_change(y)
    for lo, hi in SINCE:
        row(f"{lo}{'+' if hi is None else f'-{hi - 1}'} steps since a change", valid & (since >= lo) & (since < (hi or 10**9)))
    masking = test.expressed != y
    row("masking (shown != felt)", valid & masking)
    row("no masking", valid & ~masking)
    present = test.mask.sum(-1)
    for k in range(len(spec.modalities) + 1):
        row(f"{k} modalities present", valid & (present == k))
    steady = valid & (since >= 12) & ~masking
    only_model_wrong = steady & right_o & ~right_m
    runs = run_lengths(only_model_wrong)
    print(f"  steady stretches (12+ steps since a change, no masking): the model alone wrong at {only_model_wrong.sum()} "
          f"steps, the oracle alone at {(steady & right_m & ~right_o).sum()}; the model's runs of such steps by length "
          f"1 / 2 / 3 / 4+: {' / '.join(str(int(n)) for n in np.bincount(np.minimum(runs, 4), minlength=5)[1:])}")
    print(f"  MIE weights replaced by presence: macro-F1 {macro_f1(spec, test, presence):.4f} (trained weights {f1_model:.4f})")
    print(f"  oracle without the learners' offsets: macro-F1 {macro_f1(spec, test, no_offsets):.4f} (with {f1_oracle:.4f})")
