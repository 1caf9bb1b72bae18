"""The full evaluation: every system x seed x missing rate, the oracles, MIE vs noise, plots, report.

Each seed trains every learned system on fresh generator data of that seed and scores it on that
seed's test sets (one per missing rate); the oracles score the same test sets, so every
comparison is paired. Work runs in a pool of processes with one torch thread each (small
matrices: two single-threaded trainings beat one two-threaded one on two cores).
"""
from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from . import MODEL_VERSION
from . import oracle as oracle_mod
from .baselines import LEARNED_SYSTEMS
from .generator import generate
from .metrics import scores
from .model import ModelConfig
from .spec import MODALITIES, Spec, load
from .train import TrainConfig, generator_epochs, predict, train

RATES = (0.0, 0.2, 0.4, 0.6)
ORACLES = {"oracle": MODALITIES, "oracle_audio": ("audio",), "oracle_visual": ("visual",), "oracle_text": ("text",)}
ABLATIONS = ("no_cmaa", "no_mie", "no_tfl")
BASELINES = ("early_fusion", "late_fusion", "mult_style")


@dataclass
class EvalConfig:
    seeds: int = 5
    rates: tuple[float, ...] = RATES
    test_learners: int = 200
    systems: tuple[str, ...] = LEARNED_SYSTEMS
    workers: int = 2
    train: TrainConfig = field(default_factory=TrainConfig)
    model: ModelConfig = field(default_factory=ModelConfig)


def test_set(spec: Spec, seed: int, rate: float, learners: int):
    return generate(spec, learners, seed=7_000_000 + 1000 * seed + int(round(rate * 100)), missing_rate=rate)


def _noise_std(spec: Spec, sessions) -> np.ndarray:
    """The ambient noise std injected at each step's level [N, T, M]. Interference adds no noise (it
    shows a wrong state at normal energy), so it gets the clean value: the MIE-noise correlation
    measures the response to ambient noise, with interference steps counted as clean ones."""
    return np.stack(
        [m.noise_std * m.level_multipliers[sessions.levels[:, :, i]] for i, m in enumerate(spec.modalities)], axis=-1
    )


def _run_system(args) -> dict:
    spec_path, system, seed, cfg = args
    spec = load(spec_path)
    tcfg = TrainConfig(**{**asdict(cfg.train), "seed": seed, "threads": 1})
    start = time.time()
    model = train(system, generator_epochs(spec, tcfg), cfg.model, tcfg)
    train_s = time.time() - start
    out = {"system": system, "seed": seed, "train_seconds": train_s, "scores": {}}
    for rate in cfg.rates:
        test = test_set(spec, seed, rate, cfg.test_learners)
        logp, weights = predict(model, test)
        out["scores"][f"{rate:.1f}"] = scores(test.labels, logp.argmax(-1), spec.num_classes)
        if system == "edu_emotionnet" and weights is not None:
            # MIE weight vs injected noise, per modality, on steps where the weight is a choice
            # (the modality present and at least one other present)
            noise = _noise_std(spec, test)
            levels = test.levels
            several = test.mask.sum(-1) >= 2
            mie = out.setdefault("mie", {}).setdefault(f"{rate:.1f}", {})
            for mi, name in enumerate(MODALITIES):
                sel = test.valid & several & (test.mask[:, :, mi] > 0)
                w, nz = weights[:, :, mi][sel], noise[:, :, mi][sel]
                mie[name] = {
                    "correlation": float(np.corrcoef(w, nz)[0, 1]),
                    "mean_weight_per_level": [
                        float(w[levels[:, :, mi][sel] == lv].mean()) if (levels[:, :, mi][sel] == lv).any() else None
                        for lv in range(len(spec.modalities[mi].level_multipliers))
                    ],
                }
            if seed == 0 and f"{rate:.1f}" == "0.4":
                out["timeline"] = {
                    "labels": test.labels[:3].tolist(),
                    "predictions": logp[:3].argmax(-1).tolist(),
                    "weights": weights[:3].tolist(),
                    "mask": test.mask[:3].tolist(),
                    "lengths": test.lengths[:3].tolist(),
                }
    return out


def _run_oracles(args) -> dict:
    spec_path, seed, cfg = args
    spec = load(spec_path)
    out = {"seed": seed, "scores": {name: {} for name in ORACLES}}
    for rate in cfg.rates:
        test = test_set(spec, seed, rate, cfg.test_learners)
        for name, use in ORACLES.items():
            pred = oracle_mod.predict(spec, test, use)
            out["scores"][name][f"{rate:.1f}"] = scores(test.labels, pred, spec.num_classes)
    return out


def level_names(modality) -> list[str]:
    """clean / noisy / interference: level 0 is clean, interference is flagged in the spec."""
    return [
        "clean" if lv == 0 else ("interference" if modality.level_interference[lv] else "noisy")
        for lv in range(len(modality.level_multipliers))
    ]


def _mean_std(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0}


def run(spec_path: str | Path, cfg: EvalConfig, log=print) -> dict:
    spec = load(spec_path)
    start = time.time()
    tasks = [("oracle", (str(spec_path), seed, cfg)) for seed in range(cfg.seeds)]
    # slow systems first so the pool stays busy to the end
    order = sorted(cfg.systems, key=lambda s: s in ("early_fusion", "late_fusion", "no_cmaa"))
    tasks += [("system", (str(spec_path), system, seed, cfg)) for seed in range(cfg.seeds) for system in order]
    per_system: dict[str, list[dict]] = {}
    per_oracle: dict[str, list[dict]] = {name: [] for name in ORACLES}
    mie_runs, timeline, train_seconds = [], None, {}
    ctx = get_context("spawn")
    with ctx.Pool(cfg.workers) as pool:
        results = [
            (kind, pool.apply_async(_run_oracles if kind == "oracle" else _run_system, (args,))) for kind, args in tasks
        ]
        for kind, res in results:
            r = res.get()
            if kind == "oracle":
                for name in ORACLES:
                    per_oracle[name].append(r["scores"][name])
                log(f"oracles seed {r['seed']} done ({time.time() - start:.0f}s)")
            else:
                per_system.setdefault(r["system"], []).append(r["scores"])
                train_seconds.setdefault(r["system"], []).append(r["train_seconds"])
                if "mie" in r:
                    mie_runs.append(r["mie"])
                timeline = r.get("timeline", timeline)
                f1 = r["scores"]["0.6"]["macro_f1"] if "0.6" in r["scores"] else float("nan")
                log(f"{r['system']} seed {r['seed']}: macro-F1 at 60% missing {f1:.3f} ({time.time() - start:.0f}s)")
    results_json: dict = {}
    per_class: dict = {}
    canonical = [s for s in LEARNED_SYSTEMS if s in per_system] + list(ORACLES)
    for name, runs in ((n, {**per_system, **per_oracle}[n]) for n in canonical):
        results_json[name] = {}
        per_class[name] = {}
        for rate in cfg.rates:
            key = f"{rate:.1f}"
            results_json[name][key] = {
                "accuracy": _mean_std([r[key]["accuracy"] for r in runs]),
                "macro_f1": _mean_std([r[key]["macro_f1"] for r in runs]),
            }
            per_class[name][key] = {
                c: _mean_std([r[key]["per_class_f1"][ci] for r in runs]) for ci, c in enumerate(spec.classes)
            }
    mie_corr, mie_levels = {}, {}
    if mie_runs:
        for name in MODALITIES:
            per_seed = [np.mean([run[k][name]["correlation"] for k in run]) for run in mie_runs]
            mie_corr[name] = _mean_std(per_seed)
            first = f"{cfg.rates[0]:.1f}"
            by_level = np.array([run[first][name]["mean_weight_per_level"] for run in mie_runs], dtype=float)
            mie_levels[name] = {
                "levels": level_names(spec.modality(name)),
                "noise_std": [float(spec.modality(name).noise_std * m) for m in spec.modality(name).level_multipliers],
                "mean_weight": np.nanmean(by_level, axis=0).tolist(),
            }
    report = {
        "benchmark": {"name": spec.name, "version": spec.version, "fingerprint": spec.fingerprint, "synthetic": True},
        "model_version": MODEL_VERSION,
        "config": {
            "seeds": cfg.seeds,
            "rates": list(cfg.rates),
            "test_learners_per_seed_and_rate": cfg.test_learners,
            "train": asdict(cfg.train),
            "model": cfg.model.to_dict(),
        },
        "results": results_json,
        "per_class_f1": per_class,
        "mie_noise_correlation": mie_corr,
        "mie_weight_by_noise_level": mie_levels,
        "train_seconds": {k: _mean_std(v) for k, v in train_seconds.items()},
        "timeline_sample": timeline,
        "targets": targets(results_json, mie_corr, cfg.rates, cfg.seeds),
        "run": {
            "wall_seconds": round(time.time() - start, 1),
            "machine": machine(),
            "workers": cfg.workers,
        },
    }
    return report


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__}


def below_zero(corr: dict, seeds: int) -> bool:
    """A mean correlation over seeds counts as negative only if its upper bound, mean + 2 standard
    errors (std / sqrt(seeds)), is below zero; otherwise it is not distinguishable from 0."""
    return upper_bound(corr, seeds) < 0


def upper_bound(corr: dict, seeds: int) -> float:
    return float(corr["mean"] + 2.0 * corr["std"] / math.sqrt(max(seeds, 1)))


def targets(results: dict, mie_corr: dict, rates, seeds: int) -> dict:
    """The issue's targets, measured (not asserted)."""
    if "edu_emotionnet" not in results or "oracle" not in results:
        return {}
    f1 = lambda s, r: results[s][r]["macro_f1"]["mean"]  # noqa: E731
    acc = lambda s, r: results[s][r]["accuracy"]["mean"]  # noqa: E731
    hi = f"{max(rates):.1f}"
    out = {
        "macro_f1_vs_oracle_at_0": f1("edu_emotionnet", "0.0") / f1("oracle", "0.0"),
        f"macro_f1_vs_oracle_at_{hi}": f1("edu_emotionnet", hi) / f1("oracle", hi),
        f"accuracy_drop_points_0_to_{hi}": 100 * (acc("edu_emotionnet", "0.0") - acc("edu_emotionnet", hi)),
        f"best_other_macro_f1_at_{hi}": max(
            (f1(s, hi), s) for s in results if s != "edu_emotionnet" and not s.startswith("oracle")
        )[::-1] if len(results) > 1 else None,
        # mean + 2 standard errors over seeds: below 0 is a negative correlation, else indistinguishable from 0
        "mie_correlation_upper_bound": {m: upper_bound(c, seeds) for m, c in mie_corr.items()},
        "mie_correlation_negative": {m: below_zero(c, seeds) for m, c in mie_corr.items()},
    }
    out["met"] = {
        "ratio_at_0 >= 0.93": out["macro_f1_vs_oracle_at_0"] >= 0.93,
        f"ratio_at_{hi} >= 0.93": out[f"macro_f1_vs_oracle_at_{hi}"] >= 0.93,
        f"drop_0_to_{hi} <= 3 points": out[f"accuracy_drop_points_0_to_{hi}"] <= 3.0,
        f"above_all_ablations_and_baselines_at_{hi}": all(
            f1("edu_emotionnet", hi) > f1(s, hi) for s in results if s != "edu_emotionnet" and not s.startswith("oracle")
        ),
        "mie_weight_falls_with_noise": all(out["mie_correlation_negative"].values()) if mie_corr else False,
    }
    return out


def rerender(out_dir: Path, readme: Path | None = None) -> dict:
    """Re-render evaluation.md, the plots and the README's results from an existing evaluation.json,
    the targets judged again by the current criteria (the JSON's `targets` is rewritten with them);
    nothing is trained or scored."""
    path = out_dir / "evaluation.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ValueError(f"{path}: no such file; run `evaluate` first") from None
    cfg = report["config"]
    report["targets"] = targets(report["results"], report.get("mie_noise_correlation") or {}, cfg["rates"], cfg["seeds"])
    write(report, out_dir, readme)
    return report


def write(report: dict, out_dir: Path, readme: Path | None = None) -> None:
    from .report import update_readme, write_markdown, write_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "evaluation.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    plots = write_plots(report, out_dir)
    shipped_path = out_dir / "shipped_model.json"  # the shipped model's own scores, quoted next to the evaluation's
    shipped = json.loads(shipped_path.read_text(encoding="utf-8")) if shipped_path.exists() else None
    (out_dir / "evaluation.md").write_text(write_markdown(report, plots, shipped), encoding="utf-8")
    if readme is not None:
        update_readme(report, readme)
