import json
import shutil

import pytest

from edu_emotionnet.evaluate import auc, below_zero, class_r2, targets

from conftest import MODEL_DIR
from test_cli import cli


def _results(f1=0.85):
    cell = {"accuracy": {"mean": f1, "std": 0.0}, "macro_f1": {"mean": f1, "std": 0.0}}
    return {s: {r: cell for r in ("0.0", "0.6")} for s in ("edu_emotionnet", "mult_style", "oracle")}


@pytest.mark.parametrize(
    "corr, seeds, negative",
    [
        ({"mean": -0.05, "std": 0.01}, 5, True),
        ({"mean": -0.026, "std": 0.034}, 5, False),  # the shipped evaluation's audio: std above |mean|
        ({"mean": -0.01, "std": 0.02}, 5, False),  # -0.01 + 2 * 0.02 / sqrt(5) > 0
        ({"mean": -0.01, "std": 0.02}, 25, True),  # more seeds, smaller standard error
        ({"mean": 0.02, "std": 0.0}, 5, False),
    ],
)
def test_a_negative_correlation_counts_only_beyond_two_standard_errors(corr, seeds, negative):
    assert below_zero(corr, seeds) is negative


def _report(auc_mean, ratio, r2):
    by_level = {k: {"audio": {"clean": 0.8, "noisy": 0.7, "interference": 0.8 * ratio}} for k in ("0.0", "0.6")}
    return {"results": _results(), "config": {"rates": [0.0, 0.6], "seeds": 5},
            "mie_interference_auc": {"audio": {"mean": auc_mean, "std": 0.01}},
            "mie_weight_by_level": by_level, "mie_class_r2": {"audio": {"mean": r2, "std": 0.01}}}


@pytest.mark.parametrize("auc_mean,ratio,r2,met", [(0.9, 0.4, 0.1, (True, True, True)), (0.8, 0.6, 0.5, (False, False, False))])
def test_mie_targets_are_judged_from_the_measured_keys(auc_mean, ratio, r2, met):
    t = targets(_report(auc_mean, ratio, r2))["met"]
    assert (t["mie_interference_auc >= 0.85 (every modality)"],
            t["mie weight at interference <= half of clean (every modality, every rate)"],
            t["mie_class_r2 <= 0.3 (every modality)"]) == met


def test_auc_and_class_r2_measure_what_they_say():
    import numpy as np

    assert auc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert auc(np.array([0.5, 0.5]), np.array([0.5])) == 0.5  # ties count half
    assert auc(np.array([0.1]), np.array([0.9, 0.8])) == 0.0
    w = np.array([0.9, 0.9, 0.1, 0.1])
    assert class_r2(w, np.array([0, 0, 1, 1])) == pytest.approx(1.0)
    assert class_r2(w, np.array([0, 1, 0, 1])) == pytest.approx(0.0)


def test_report_rerenders_from_the_json_and_judges_targets_again(tmp_path):
    # a tiny real run of `evaluate` (numbers meaningless) with every key this version writes
    shutil.copy(MODEL_DIR / "tests" / "data" / "evaluation_tiny.json", tmp_path / "evaluation.json")
    readme = (MODEL_DIR / "README.md").read_bytes()
    out = cli("report", "--out-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert (MODEL_DIR / "README.md").read_bytes() == readme, "a report outside reports/ must not touch the README"
    md = (tmp_path / "evaluation.md").read_text()
    line = next(l for l in md.splitlines() if l.startswith("- MIE weight separates interference"))
    assert line.endswith("— met") or line.endswith("— NOT met")
    assert "## Macro-F1 on the unlagged benchmark" in md and "## What the MIE weights mean" in md
    assert (tmp_path / "mie_vs_noise.png").stat().st_size > 0
    assert "1 epochs" in md
    rendered = json.loads((tmp_path / "evaluation.json").read_text())
    assert rendered["targets"] == json.loads(json.dumps(targets(rendered)))


def test_committed_report_matches_the_current_criteria():
    """evaluation.md and the README's results are what `report` renders from evaluation.json now."""
    from edu_emotionnet.report import results_section

    report = json.loads((MODEL_DIR / "reports" / "evaluation.json").read_text())
    shipped = json.loads((MODEL_DIR / "reports" / "shipped_model.json").read_text())
    assert report["targets"] == json.loads(json.dumps(targets(report)))
    assert results_section(report, shipped) in (MODEL_DIR / "README.md").read_text()
