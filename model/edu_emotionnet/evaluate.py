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
# the oracles filter with the lag-aware model of the benchmark they score; on a lagged benchmark
# `oracle_lag_blind` (the unlagged spec's filter on the lagged data) stands beside them
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
    no_lag: bool = True  # also every system and oracle on the unlagged benchmark (`results_no_lag`)
    no_lag_seeds: int | None = None  # seeds for `results_no_lag` (None: as many as `seeds`)
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


def auc(higher: np.ndarray, lower: np.ndarray) -> float:
    """P(a score from `higher` > one from `lower`) + half the ties (Mann-Whitney U / (n1 n2))."""
    if len(higher) == 0 or len(lower) == 0:
        return float("nan")
    both = np.concatenate([higher, lower])
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_vals, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    n1 = len(higher)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * len(lower)))


def mie_statistics(spec: Spec, test, weights: np.ndarray, predictions: np.ndarray) -> dict:
    """What the MIE weights mean, per modality, on the steps where the modality is present:
    - raw material for the AUCs: weights on clean, noisy and interference steps (`levels`);
    - the mean weight per level;
    - class_r2: the share of the weight's variance explained by the displayed (predicted) class alone
      (between-class variance / total variance)."""
    out = {}
    for mi, m in enumerate(spec.modalities):
        sel = test.valid & (test.mask[:, :, mi] > 0)
        w, lv, shown = weights[:, :, mi][sel], test.levels[:, :, mi][sel], predictions[sel]
        names = level_names(m)
        by_level = {names[i]: w[lv == i] for i in range(len(names))}
        out[m.name] = {
            "weights_by_level": by_level,
            "mean_weight": {k: float(v.mean()) if len(v) else None for k, v in by_level.items()},
            "class_r2": class_r2(w, shown),
        }
    return out


def _spec(spec_path: str, lag: bool) -> Spec:
    spec = load(spec_path)
    return spec if lag else spec.without_lag()


def _run_system(args) -> dict:
    spec_path, system, seed, cfg, lag = args
    spec = _spec(spec_path, lag)
    tcfg = TrainConfig(**{**asdict(cfg.train), "seed": seed, "threads": 1})
    start = time.time()
    model = train(system, generator_epochs(spec, tcfg), cfg.model, tcfg)
    train_s = time.time() - start
    out = {"system": system, "seed": seed, "lag": lag, "train_seconds": train_s, "scores": {}}
    pooled: dict[str, dict[str, list]] = {m: {} for m in MODALITIES}
    shown_pooled: dict[str, list] = {m: [] for m in MODALITIES}
    for rate in cfg.rates:
        test = test_set(spec, seed, rate, cfg.test_learners)
        logp, weights = predict(model, test)
        predictions = logp.argmax(-1)
        out["scores"][f"{rate:.1f}"] = scores(test.labels, predictions, spec.num_classes)
        if system == "edu_emotionnet" and weights is not None and lag:
            # MIE weight vs injected noise, per modality, on steps where the weight is a choice
            # (the modality present and at least one other present)
            noise = _noise_std(spec, test)
            levels = test.levels
            several = test.mask.sum(-1) >= 2
            mie = out.setdefault("mie", {}).setdefault(f"{rate:.1f}", {})
            stats = mie_statistics(spec, test, weights, predictions)
            for mi, name in enumerate(MODALITIES):
                sel = test.valid & several & (test.mask[:, :, mi] > 0)
                w, nz = weights[:, :, mi][sel], noise[:, :, mi][sel]
                mie[name] = {
                    "correlation": float(np.corrcoef(w, nz)[0, 1]),
                    "mean_weight_per_level": [
                        float(w[levels[:, :, mi][sel] == lv].mean()) if (levels[:, :, mi][sel] == lv).any() else None
                        for lv in range(len(spec.modalities[mi].level_multipliers))
                    ],
                    "mean_weight_by_level": stats[name]["mean_weight"],
                }
                for level, ws in stats[name]["weights_by_level"].items():
                    pooled[name].setdefault(level, []).append(ws)
                sel_all = test.valid & (test.mask[:, :, mi] > 0)
                shown_pooled[name].append((weights[:, :, mi][sel_all], predictions[sel_all]))
            if seed == 0 and f"{rate:.1f}" == "0.4":
                out["timeline"] = {
                    "labels": test.labels[:3].tolist(),
                    "predictions": predictions[:3].tolist(),
                    "weights": weights[:3].tolist(),
                    "mask": test.mask[:3].tolist(),
                    "lengths": test.lengths[:3].tolist(),
                }
    if "mie" in out:  # pooled over missing rates, this seed
        out["mie_pooled"] = {}
        for name in MODALITIES:
            lv = {k: np.concatenate(v) for k, v in pooled[name].items()}
            w = np.concatenate([a for a, _ in shown_pooled[name]])
            shown = np.concatenate([b for _, b in shown_pooled[name]])
            out["mie_pooled"][name] = {
                "auc_interference": auc(lv["clean"], lv["interference"]),
                "auc_noise": auc(lv["clean"], lv["noisy"]),
                "class_r2": class_r2(w, shown),
            }
    return out


def class_r2(w: np.ndarray, shown: np.ndarray) -> float:
    """Share of the weight's variance explained by the displayed class alone (between-class / total)."""
    total = w.var()
    if total <= 0:
        return 0.0
    between = sum((shown == c).mean() * (w[shown == c].mean() - w.mean()) ** 2 for c in np.unique(shown))
    return float(between / total)


def _run_oracles(args) -> dict:
    spec_path, seed, cfg, lag = args
    spec = _spec(spec_path, lag)
    oracles = dict(ORACLES)
    if spec.max_lag > 0:
        oracles["oracle_lag_blind"] = MODALITIES
    out = {"seed": seed, "lag": lag, "scores": {name: {} for name in oracles}}
    for rate in cfg.rates:
        test = test_set(spec, seed, rate, cfg.test_learners)
        for name, use in oracles.items():
            filter_spec = spec.without_lag() if name == "oracle_lag_blind" else spec
            pred = oracle_mod.predict(filter_spec, test, use)
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


def _table(runs_by_name: dict, names: list[str], rates, classes) -> tuple[dict, dict, dict]:
    """(results, per-class F1, per-seed macro-F1) from per-seed score dicts (each list in seed order)."""
    results, per_class, per_seed = {}, {}, {}
    for name in names:
        runs = runs_by_name[name]
        results[name], per_class[name], per_seed[name] = {}, {}, {}
        for rate in rates:
            key = f"{rate:.1f}"
            results[name][key] = {
                "accuracy": _mean_std([r[key]["accuracy"] for r in runs]),
                "macro_f1": _mean_std([r[key]["macro_f1"] for r in runs]),
            }
            per_class[name][key] = {c: _mean_std([r[key]["per_class_f1"][ci] for r in runs]) for ci, c in enumerate(classes)}
            per_seed[name][key] = {"macro_f1": [r[key]["macro_f1"] for r in runs], "accuracy": [r[key]["accuracy"] for r in runs]}
    return results, per_class, per_seed


def run(spec_path: str | Path, cfg: EvalConfig, log=print) -> dict:
    spec = load(spec_path)
    start = time.time()
    benchmarks = [True] + ([False] if cfg.no_lag and spec.max_lag > 0 else [])
    seeds = {True: cfg.seeds, False: cfg.no_lag_seeds or cfg.seeds}
    tasks = [("oracle", (str(spec_path), seed, cfg, lag)) for lag in benchmarks for seed in range(seeds[lag])]
    # slow systems first so the pool stays busy to the end
    order = sorted(cfg.systems, key=lambda s: s in ("early_fusion", "late_fusion", "mult_style", "no_tfl"))
    tasks += [("system", (str(spec_path), system, seed, cfg, lag)) for lag in benchmarks for seed in range(seeds[lag]) for system in order]
    runs: dict[bool, dict[str, list[dict]]] = {lag: {} for lag in benchmarks}
    mie_runs, mie_pooled, timeline, train_seconds = [], [], None, {}
    ctx = get_context("spawn")
    with ctx.Pool(cfg.workers) as pool:
        results = [
            (kind, pool.apply_async(_run_oracles if kind == "oracle" else _run_system, (args,))) for kind, args in tasks
        ]
        for kind, res in results:
            r = res.get()
            bench = "lagged" if r["lag"] else "no lag"
            if kind == "oracle":
                for name, sc in r["scores"].items():
                    runs[r["lag"]].setdefault(name, []).append((r["seed"], sc))
                log(f"oracles seed {r['seed']} ({bench}) done ({time.time() - start:.0f}s)")
            else:
                runs[r["lag"]].setdefault(r["system"], []).append((r["seed"], r["scores"]))
                if r["lag"]:
                    train_seconds.setdefault(r["system"], []).append(r["train_seconds"])
                if "mie" in r:
                    mie_runs.append(r["mie"])
                    mie_pooled.append(r["mie_pooled"])
                timeline = r.get("timeline", timeline)
                f1 = r["scores"]["0.6"]["macro_f1"] if "0.6" in r["scores"] else float("nan")
                log(f"{r['system']} seed {r['seed']} ({bench}): macro-F1 at 60% missing {f1:.3f} ({time.time() - start:.0f}s)")
    ordered = {lag: {name: [sc for _, sc in sorted(v, key=lambda x: x[0])] for name, v in by.items()} for lag, by in runs.items()}

    def canonical(lag: bool) -> list[str]:
        oracles = list(ORACLES) + (["oracle_lag_blind"] if "oracle_lag_blind" in ordered[lag] else [])
        return [s for s in LEARNED_SYSTEMS if s in ordered[lag]] + oracles

    results_json, per_class, per_seed = _table(ordered[True], canonical(True), cfg.rates, spec.classes)
    no_lag = _table(ordered[False], canonical(False), cfg.rates, spec.classes) if False in ordered else None
    mie_corr, mie_levels = {}, {}
    mie_auc, mie_noise_auc, mie_by_level, mie_r2 = {}, {}, {}, {}
    if mie_runs:
        for name in MODALITIES:
            per_seed_corr = [np.mean([run[k][name]["correlation"] for k in run]) for run in mie_runs]
            mie_corr[name] = _mean_std(per_seed_corr)
            first = f"{cfg.rates[0]:.1f}"
            by_level = np.array([run[first][name]["mean_weight_per_level"] for run in mie_runs], dtype=float)
            mie_levels[name] = {
                "levels": level_names(spec.modality(name)),
                "noise_std": [float(spec.modality(name).noise_std * m) for m in spec.modality(name).level_multipliers],
                "mean_weight": np.nanmean(by_level, axis=0).tolist(),
            }
            mie_auc[name] = _mean_std([p[name]["auc_interference"] for p in mie_pooled])
            mie_noise_auc[name] = _mean_std([p[name]["auc_noise"] for p in mie_pooled])
            mie_r2[name] = _mean_std([p[name]["class_r2"] for p in mie_pooled])
        for rate in cfg.rates:
            key = f"{rate:.1f}"
            mie_by_level[key] = {
                name: {
                    level: float(np.nanmean([np.nan if run[key][name]["mean_weight_by_level"][level] is None
                                             else run[key][name]["mean_weight_by_level"][level] for run in mie_runs]))
                    for level in level_names(spec.modality(name))
                }
                for name in MODALITIES
            }
    report = {
        "benchmark": {"name": spec.name, "version": spec.version, "fingerprint": spec.fingerprint, "synthetic": True,
                      "lag": {m.name: {"steps": m.lag_steps.tolist(), "probabilities": m.lag_probabilities.tolist()} for m in spec.modalities}},
        "model_version": MODEL_VERSION,
        "config": {
            "seeds": cfg.seeds,
            "seeds_no_lag": seeds[False] if False in benchmarks else 0,
            "rates": list(cfg.rates),
            "test_learners_per_seed_and_rate": cfg.test_learners,
            "train": asdict(cfg.train),
            "model": cfg.model.to_dict(),
        },
        "results": results_json,
        "results_no_lag": no_lag[0] if no_lag else None,
        "per_class_f1": per_class,
        "per_seed": per_seed,
        "per_seed_no_lag": no_lag[2] if no_lag else None,
        "mie_interference_auc": mie_auc,
        "mie_noise_auc": mie_noise_auc,
        "mie_weight_by_level": mie_by_level,
        "mie_class_r2": mie_r2,
        "mie_noise_correlation": mie_corr,
        "mie_weight_by_noise_level": mie_levels,
        "train_seconds": {k: _mean_std(v) for k, v in train_seconds.items()},
        "timeline_sample": timeline,
        "run": {
            "wall_seconds": round(time.time() - start, 1),
            "machine": machine(),
            "workers": cfg.workers,
        },
    }
    report["targets"] = targets(report)
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


PREVIOUS_MODEL = Path(__file__).resolve().parent.parent / "reports" / "previous_model_1.1.0.json"


def _paired(per_seed: dict, a: str, b: str, key: str) -> dict | None:
    """Mean ± std over seeds of (a − b) macro-F1 at one rate, paired by seed."""
    if a not in per_seed or b not in per_seed:
        return None
    diff = np.asarray(per_seed[a][key]["macro_f1"]) - np.asarray(per_seed[b][key]["macro_f1"])
    return _mean_std(diff.tolist())


def targets(report: dict, previous: dict | None = None) -> dict:
    """The issue's targets, measured (not asserted). `previous`: the previous model's evaluation on the
    unlagged benchmark (default: reports/previous_model_1.1.0.json)."""
    results, rates, seeds = report["results"], report["config"]["rates"], report["config"]["seeds"]
    if "edu_emotionnet" not in results or "oracle" not in results:
        return {}
    if previous is None and PREVIOUS_MODEL.exists():
        previous = json.loads(PREVIOUS_MODEL.read_text(encoding="utf-8"))
    f1 = lambda s, r: results[s][r]["macro_f1"]["mean"]  # noqa: E731
    acc = lambda s, r: results[s][r]["accuracy"]["mean"]  # noqa: E731
    hi = f"{max(rates):.1f}"
    keys = [f"{r:.1f}" for r in rates]
    others = [s for s in results if s != "edu_emotionnet" and not s.startswith("oracle")]
    out = {
        "macro_f1_vs_oracle_at_0": f1("edu_emotionnet", "0.0") / f1("oracle", "0.0"),
        f"macro_f1_vs_oracle_at_{hi}": f1("edu_emotionnet", hi) / f1("oracle", hi),
        f"accuracy_drop_points_0_to_{hi}": 100 * (acc("edu_emotionnet", "0.0") - acc("edu_emotionnet", hi)),
        f"best_other_macro_f1_at_{hi}": max((f1(s, hi), s) for s in others)[::-1] if others else None,
    }
    met = {
        "ratio_at_0 >= 0.97": out["macro_f1_vs_oracle_at_0"] >= 0.97,
        f"ratio_at_{hi} >= 0.97": out[f"macro_f1_vs_oracle_at_{hi}"] >= 0.97,
        f"drop_0_to_{hi} <= 3 points": out[f"accuracy_drop_points_0_to_{hi}"] <= 3.0,
        f"above_all_ablations_and_baselines_at_{hi}": all(f1("edu_emotionnet", hi) > f1(s, hi) for s in others),
    }
    auc_int = report.get("mie_interference_auc") or {}
    if auc_int:
        by_level = report.get("mie_weight_by_level") or {}
        out["mie_interference_weight_ratio"] = {
            key: {m: lv["interference"] / lv["clean"] for m, lv in by_level[key].items()} for key in by_level
        }
        met["mie_interference_auc >= 0.85 (every modality)"] = all(v["mean"] >= 0.85 for v in auc_int.values())
        met["mie weight at interference <= half of clean (every modality, every rate)"] = all(
            r <= 0.5 for per in out["mie_interference_weight_ratio"].values() for r in per.values())
        met["mie_class_r2 <= 0.3 (every modality)"] = all(v["mean"] <= 0.3 for v in (report.get("mie_class_r2") or {}).values())
    no_lag = report.get("results_no_lag")
    if no_lag and previous and "edu_emotionnet" in no_lag:
        prev = previous["results"]["edu_emotionnet"]
        out["no_lag_vs_previous_model"] = {
            k: {"now": no_lag["edu_emotionnet"][k]["macro_f1"], "previous": prev[k]["macro_f1"]} for k in keys if k in prev
        }
        met["not below the previous model on the unlagged benchmark by more than one seed-std"] = all(
            v["now"]["mean"] >= v["previous"]["mean"] - max(v["now"]["std"], v["previous"]["std"])
            for v in out["no_lag_vs_previous_model"].values())
    per_seed = report.get("per_seed") or {}
    if per_seed:
        out["cmaa_value"] = {
            k: {"vs_no_cmaa": _paired(per_seed, "edu_emotionnet", "no_cmaa", k),
                "vs_mult_style": _paired(per_seed, "edu_emotionnet", "mult_style", k)} for k in keys
        }
        if report.get("per_seed_no_lag"):
            out["cmaa_value_no_lag"] = {
                k: {"vs_no_cmaa": _paired(report["per_seed_no_lag"], "edu_emotionnet", "no_cmaa", k)} for k in keys
            }
    if "oracle_lag_blind" in results:
        out["lag_aware_oracle_gain"] = {k: f1("oracle", k) - f1("oracle_lag_blind", k) for k in keys}
    out["met"] = met
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
    report["targets"] = targets(report)
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
