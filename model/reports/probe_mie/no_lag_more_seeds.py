"""Edu-EmotionNet on the unlagged benchmark with more training seeds than the last `evaluate` gave
`results_no_lag` (there `--no-lag-seeds 3`, to save 15 minutes): trains and scores the seeds after
those exactly as `evaluate` does (same training config, same per-seed test sets), pools them with the
seeds in reports/evaluation.json and prints macro-F1 mean ± std per missing rate next to model 1.1.0's
5 seeds (reports/previous_model_1.1.0.json), with the issue's criterion (not below 1.1.0 by more than
one seed-std, the larger of the two). Two seeds at a time (one process each); under 3 minutes on 2 cores.

    cd model && /usr/bin/python3 reports/probe_mie/no_lag_more_seeds.py [total seeds, default 5]
"""
import json
import sys
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet.evaluate import EvalConfig, _mean_std, _run_system  # noqa: E402
from edu_emotionnet.spec import DEFAULT_SPEC_PATH  # noqa: E402

REPORTS = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    report = json.loads((REPORTS / "evaluation.json").read_text(encoding="utf-8"))
    previous = json.loads((REPORTS / "previous_model_1.1.0.json").read_text(encoding="utf-8"))["results"]["edu_emotionnet"]
    have = report["per_seed_no_lag"]["edu_emotionnet"]
    done = len(next(iter(have.values()))["macro_f1"])
    cfg = EvalConfig()
    with Pool(2) as pool:
        runs = pool.map(_run_system, [(str(DEFAULT_SPEC_PATH), "edu_emotionnet", seed, cfg, False)
                                      for seed in range(done, total)])
    print(f"model {report['model_version']}, unlagged benchmark, macro-F1 (seeds 0-{done - 1} from evaluation.json, "
          f"{done}-{total - 1} trained now)")
    for rate, kept in have.items():
        f1 = kept["macro_f1"] + [r["scores"][rate]["macro_f1"] for r in runs]
        now, prev = _mean_std(f1), previous[rate]["macro_f1"]  # the evaluation's mean and seed-std
        within = now["mean"] >= prev["mean"] - max(now["std"], prev["std"])
        print(f"{float(rate) * 100:.0f} % missing: seeds {' '.join(f'{x:.4f}' for x in f1)}; "
              f"mean {now['mean']:.4f} ± {now['std']:.4f} vs 1.1.0 {prev['mean']:.4f} ± {prev['std']:.4f}: "
              f"{'within' if within else 'below'} one seed-std")
