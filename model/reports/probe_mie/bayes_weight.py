"""How low the weight at interference can go: the shipped checkpoint's MIE weight beside the exact
posterior of its own training target. The target (`reliability_target`) is 1 where the modality's
evidence names the true class; given everything seen up to step t its exact expectation is
    sum_c p(y_t = c | x_1..t) * [the evidence at t names c]
with p(y_t | x_1..t) from the lag-aware oracle (which knows every generator parameter). That is the
best-informed calibrated estimate of the same target, the weight the MIE would output if it learned
perfectly. Printed per missing rate: the mean per level (clean / noise burst / interference) of the
target itself, of that exact estimate and of the weight, with interference / clean for each, and the
AUC clean vs interference; then the share of steps per level whose weight is below 0.5 (where the
model holds the modality more likely wrong than right); then how well the weight and the exact
posterior each rank the steps where the target is 1 above the others (AUC): how far the MIE is from
the ideal estimate of its own target. Evaluation's seed-0 test sets, `learners` sessions each; about
a minute.

    cd model && /usr/bin/python3 reports/probe_mie/bayes_weight.py [checkpoints/edu_emotionnet.pt] [learners]
"""
import sys

import numpy as np

from checkpoint_outputs import run
from edu_emotionnet import oracle
from edu_emotionnet.evaluate import auc
from edu_emotionnet.model import reliability_target

learners = int(sys.argv[2]) if len(sys.argv) > 2 else 100
for rate in (0.0, 0.6):
    spec, test, data, weights, aux = run(sys.argv[:2], learners, rate)
    logl = aux["modality_evidence"]  # [N, T, M, C]
    # the target with every class in turn as the true one: [N, T, M, C]; at the label, the target itself
    names = reliability_target(logl.unsqueeze(-2), logl).double().numpy()
    labels = data["labels"].clamp_min(0).numpy()
    target = np.take_along_axis(names, labels[:, :, None, None], axis=-1)[..., 0]
    posterior = oracle.filter_posteriors(spec, test)  # [N, T, C]
    exact = np.einsum("ntc,ntmc->ntm", posterior, names)
    weights = weights.numpy()
    print(f"{rate:.0%} missing, {learners} learners: mean per level clean / noise burst / interference "
          f"(interference / clean; AUC clean vs interference)")
    for mi, m in enumerate(spec.modalities):
        sel = test.valid & (test.mask[:, :, mi] > 0)
        level = test.levels[:, :, mi][sel]
        for what, v in (("target", target), ("exact posterior of the target", exact), ("weight", weights)):
            v = v[:, :, mi][sel]
            means = [float(v[level == i].mean()) for i in range(3)]
            print(f"  {m.name:6s} {what:30s} {means[0]:.3f} / {means[1]:.3f} / {means[2]:.3f} "
                  f"({means[2] / means[0]:.2f}; AUC {auc(v[level == 0], v[level == 2]):.3f})")
        below = [float((weights[:, :, mi][sel][level == i] < 0.5).mean()) for i in range(3)]
        print(f"  {m.name:6s} {'share of weights below 0.5':30s} {below[0]:.3f} / {below[1]:.3f} / {below[2]:.3f}")
        right = target[:, :, mi][sel] > 0.5
        print(f"  {m.name:6s} {'as estimates of the target':30s} AUC right vs wrong: weight "
              f"{auc(weights[:, :, mi][sel][right], weights[:, :, mi][sel][~right]):.3f}, exact posterior "
              f"{auc(exact[:, :, mi][sel][right], exact[:, :, mi][sel][~right]):.3f}")
