import json
import shutil

import pytest

from edu_emotionnet.evaluate import below_zero, targets

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
    t = targets(_results(), {"audio": corr}, (0.0, 0.6), seeds)
    assert t["met"]["mie_weight_falls_with_noise"] is negative


def test_report_rerenders_from_the_json_and_judges_targets_again(tmp_path):
    shutil.copy(MODEL_DIR / "reports" / "evaluation.json", tmp_path / "evaluation.json")
    readme = (MODEL_DIR / "README.md").read_bytes()
    out = cli("report", "--out-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert (MODEL_DIR / "README.md").read_bytes() == readme, "a report outside reports/ must not touch the README"
    md = (tmp_path / "evaluation.md").read_text()
    line = next(l for l in md.splitlines() if l.startswith("- MIE weight falls"))
    assert "not distinguishable from 0" in line and line.endswith("— NOT met")
    assert (tmp_path / "mie_vs_noise.png").stat().st_size > 0
    assert "6 epochs" in md
    assert json.loads((tmp_path / "evaluation.json").read_text())["targets"]["met"]["mie_weight_falls_with_noise"] is False


def test_committed_report_matches_the_current_criteria():
    """evaluation.md and the README's results are what `report` renders from evaluation.json now."""
    from edu_emotionnet.report import results_section

    report = json.loads((MODEL_DIR / "reports" / "evaluation.json").read_text())
    shipped = json.loads((MODEL_DIR / "reports" / "shipped_model.json").read_text())
    cfg = report["config"]
    assert report["targets"] == json.loads(json.dumps(targets(report["results"], report["mie_noise_correlation"], cfg["rates"], cfg["seeds"])))
    assert results_section(report, shipped) in (MODEL_DIR / "README.md").read_text()
