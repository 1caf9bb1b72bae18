"""Training and prediction loops shared by the CLI, the evaluation and the tests."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .baselines import build
from .generator import Sessions
from .model import EduEmotionNet, ModelConfig, auxiliary_loss


@dataclass
class TrainConfig:
    epochs: int = 6
    sessions_per_epoch: int = 400  # generator only: fresh sessions every epoch
    # generator only: each learner's rate drawn from this range. From 0.2 with the TFL's memory: the
    # memory alone gains more at 0 % than at 60 % missing, more training on sparse steps evens that out
    # (model/README.md: "What was tried to close it")
    train_missing: tuple[float, float] = (0.2, 0.8)
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    # Scheduled sampling for the TFL: the fed-back prediction starts as this mix of the previous
    # step's ground truth and the model's own prediction, and fades to the own prediction alone
    # over `teacher_until` of training. 0 (the default) feeds back own predictions from the start,
    # exactly as in serving; on EduAffect-Synth teacher forcing did not help (model/README.md).
    teacher_start: float = 0.0
    teacher_until: float = 0.2
    # share of (session, modality) pairs trained without quality scores, so that the model also
    # works for producers that do not send them
    quality_drop: float = 0.1
    # weight of the evidence heads' and the MIE's auxiliary losses (model.auxiliary_loss)
    auxiliary_weight: float = 1.0
    # the MIE branch (its MLP and the CMAA that feeds it) learns from its own loss only, a weak and
    # noisy signal next to the prediction loss: it gets its own learning rate (this factor times lr)
    # and its own gradient clipping, or it stays near its initial weights within the run (3 in model
    # 2.1.0; 8 separates interference better in 6 epochs, one-seed probes in model/README.md)
    mie_lr_factor: float = 8.0
    seed: int = 0
    threads: int = 0  # 0 = all cores


def set_threads(threads: int = 0) -> None:
    import os

    torch.set_num_threads(threads or os.cpu_count() or 1)


def model_quality(sessions: Sessions) -> np.ndarray:
    """The model's quality input [N, T, M]: the score where a present modality reported one, else NaN."""
    if sessions.quality is None:
        return np.full(sessions.mask.shape, np.nan, dtype=np.float32)
    return np.where(sessions.mask > 0, sessions.quality, np.nan).astype(np.float32)


def tensors(sessions: Sessions, quality_drop: float = 0.0, rng: np.random.Generator | None = None) -> dict[str, torch.Tensor]:
    quality = model_quality(sessions)
    if quality_drop > 0:
        dropped = rng.random((quality.shape[0], 1, quality.shape[2])) < quality_drop
        quality = np.where(dropped, np.nan, quality).astype(np.float32)
    return {
        "audio": torch.from_numpy(sessions.audio),
        "visual": torch.from_numpy(sessions.visual),
        "text": torch.from_numpy(sessions.text),
        "mask": torch.from_numpy(sessions.mask),
        "quality": torch.from_numpy(quality),
        "labels": torch.from_numpy(sessions.labels),
    }


def _batches(data: dict[str, torch.Tensor], lengths: np.ndarray, batch_size: int, rng: np.random.Generator):
    order = rng.permutation(len(lengths))
    for i in range(0, len(order), batch_size):
        idx = torch.from_numpy(np.sort(order[i : i + batch_size]))
        t = int(lengths[idx.numpy()].max())
        yield {k: v[idx, :t] for k, v in data.items()}


def train(
    system: str,
    sessions: Sessions | Callable[[int], Sessions],
    model_config: ModelConfig,
    config: TrainConfig = TrainConfig(),
    log=None,
) -> nn.Module:
    """Train one system. `sessions`: fixed data (your own recordings, several epochs over it) or a
    function epoch -> fresh sessions (the generator: never the same session twice)."""
    set_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = build(system, model_config)
    epoch_data = sessions if callable(sessions) else (lambda epoch: sessions)
    first = epoch_data(0)
    steps_per_epoch = math.ceil(len(first) / config.batch_size)
    total = steps_per_epoch * config.epochs
    groups = parameter_groups(model)
    lrs = [config.lr, config.lr * config.mie_lr_factor][: len(groups)]
    opt = torch.optim.AdamW([{"params": g, "lr": lr} for g, lr in zip(groups, lrs)], weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lrs, total_steps=total, pct_start=0.15)
    done = 0
    start = time.time()
    model.train()
    for epoch in range(config.epochs):
        current = first if epoch == 0 else epoch_data(epoch)
        data = tensors(current, config.quality_drop, rng)
        running, count = 0.0, 0
        for batch in _batches(data, current.lengths, config.batch_size, rng):
            if done >= total:
                break
            ratio = config.teacher_start * max(0.0, 1.0 - done / max(1.0, config.teacher_until * total))
            args = (batch["audio"], batch["visual"], batch["text"], batch["mask"], batch["quality"], batch["labels"], ratio)
            valid = batch["labels"] >= 0
            if isinstance(model, EduEmotionNet):  # its evidence heads and MIE have their own losses
                logp, _, aux = model(*args, auxiliary=True)
                loss = nn.functional.nll_loss(logp[valid], batch["labels"][valid])
                loss = loss + config.auxiliary_weight * auxiliary_loss(aux, batch["labels"], batch["mask"])
            else:
                logp, _ = model(*args)
                loss = nn.functional.nll_loss(logp[valid], batch["labels"][valid])
            opt.zero_grad()
            loss.backward()
            for group in groups:
                nn.utils.clip_grad_norm_(group, 1.0)
            opt.step()
            sched.step()
            done += 1
            running += loss.item()
            count += 1
        if log:
            log(f"{system} epoch {epoch + 1}/{config.epochs} loss {running / count:.4f} ({time.time() - start:.0f}s)")
    model.eval()
    return model


def parameter_groups(model: nn.Module) -> list[list[nn.Parameter]]:
    """[the rest] or [the rest, the MIE branch]: the MIE's MLP and the CMAA that feeds it context
    (in Edu-EmotionNet both learn from the MIE's own loss only; see TrainConfig.mie_lr_factor)."""
    if not isinstance(model, EduEmotionNet) or model.mie is None:
        return [list(model.parameters())]
    branch = [model.mie] + ([model.cmaa, model.context_out] if model.cmaa is not None else [])
    ids = {id(p) for part in branch for p in part.parameters()}
    mie = [p for p in model.parameters() if id(p) in ids]
    return [[p for p in model.parameters() if id(p) not in ids], mie]


def generator_epochs(spec, config: TrainConfig) -> Callable[[int], Sessions]:
    from .generator import generate

    return lambda epoch: generate(
        spec, config.sessions_per_epoch, seed=1_000_003 * (config.seed + 1) + epoch, missing_rate=tuple(config.train_missing)
    )


@torch.no_grad()
def predict(model: nn.Module, sessions: Sessions, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray | None]:
    """(log-probabilities [N, T, C], MIE weights [N, T, M] or None)."""
    model.eval()
    data = tensors(sessions)
    outs, weights = [], []
    for i in range(0, len(sessions), batch_size):
        sl = slice(i, i + batch_size)
        logp, w = model(data["audio"][sl], data["visual"][sl], data["text"][sl], data["mask"][sl], data["quality"][sl])
        outs.append(logp.numpy())
        weights.append(None if w is None else w.numpy())
    w_all = None if weights[0] is None else np.concatenate(weights)
    return np.concatenate(outs), w_all
