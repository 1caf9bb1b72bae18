"""What the probe scripts read: a checkpoint (the shipped one unless a path is given) run over the
evaluation's seed-0 test set at 40 % missing (or `rate`), cut to `learners` sessions."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet import spec as spec_mod  # noqa: E402
from edu_emotionnet.evaluate import test_set  # noqa: E402
from edu_emotionnet.export import load_checkpoint  # noqa: E402
from edu_emotionnet.train import tensors  # noqa: E402


def run(argv: list[str], learners: int, rate: float = 0.4):
    """(spec, test sessions, their tensors, MIE weights [B, T, M], the model's auxiliary outputs)."""
    torch.set_num_threads(2)
    spec = spec_mod.load()
    model, _ = load_checkpoint(Path(argv[1] if len(argv) > 1 else "checkpoints/edu_emotionnet.pt"))
    test = test_set(spec, 0, rate, learners)
    data = tensors(test)
    with torch.no_grad():
        _, weights, aux = model(data["audio"], data["visual"], data["text"], data["mask"], data["quality"], auxiliary=True)
    return spec, test, data, weights, aux
