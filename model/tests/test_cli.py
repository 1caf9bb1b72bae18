import json
import subprocess
import sys

import numpy as np
import pytest

from edu_emotionnet import generator
from edu_emotionnet.data import DataError, read_jsonl, write_jsonl

from conftest import MODEL_DIR


def cli(*args):
    return subprocess.run([sys.executable, "-m", "edu_emotionnet", *args], cwd=MODEL_DIR, capture_output=True, text=True)


def test_jsonl_round_trip(tmp_path, spec):
    s = generator.generate(spec, 3, seed=1, missing_rate=0.4, session_steps=15)
    write_jsonl(s, spec, tmp_path / "d.jsonl")
    back = read_jsonl(tmp_path / "d.jsonl", spec)
    assert np.array_equal(back.mask, s.mask) and np.array_equal(back.labels, s.labels)
    assert np.allclose(back.visual, s.visual, atol=1e-6)
    present = s.mask > 0
    assert np.allclose(back.quality[present], s.quality[present], atol=1e-3)
    assert np.isnan(back.quality[~present]).all()


def _write(tmp_path, rows):
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return p


def _row(**over):
    row = {"learner_id": "l1", "session_id": "s1", "step": 0, "mask": [1, 0, 0], "audio": [0.0] * 128,
           "visual": None, "text": None, "label": "boredom"}
    row.update(over)
    return row


@pytest.mark.parametrize(
    "row, message",
    [
        (_row(label="joy"), "unknown class 'joy'"),
        (_row(audio=[0.0] * 100), "audio must have 128 values"),
        (_row(mask=[1, 1, 0]), "visual must have 512 values"),
        (_row(audio=[float("nan")] * 128), "NaN"),
        (_row(step=-1), "step must be a non-negative integer"),
        (_row(quality=[1.0, 2.0]), "quality must be a list of three"),
        (_row(quality=["x", None, None]), "quality values must be finite numbers or null"),
    ],
)
def test_bad_rows_name_file_line_and_problem(tmp_path, spec, row, message):
    with pytest.raises(DataError, match=message) as e:
        read_jsonl(_write(tmp_path, [_row(), row]), spec)
    assert "bad.jsonl:2" in str(e.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "--missing-rate", "1.2", "--out", "x.jsonl"], "missing rate must be in [0, 1)"),
        (["generate", "--missing-rate", "0.9", "--out", "x.jsonl"], "above the spec's maximum"),
        (["train", "--data", "/nonexistent/data.jsonl", "--out", "x.pt"], "no such file"),
        (["--spec", "/nonexistent/spec.json", "stats"], "cannot read spec file"),
    ],
)
def test_cli_refuses_impossible_settings_with_one_line(tmp_path, args, message):
    out = cli(*[a if a != "x.jsonl" and a != "x.pt" else str(tmp_path / a) for a in args])
    assert out.returncode != 0
    lines = [l for l in out.stderr.strip().splitlines() if l]
    assert message in lines[-1]
    assert "Traceback" not in out.stderr


def test_cli_unknown_class_in_data(tmp_path):
    bad = _write(tmp_path, [_row(label="joy")])
    out = cli("train", "--data", str(bad), "--out", str(tmp_path / "m.pt"))
    assert out.returncode == 2 and "unknown class 'joy'" in out.stderr and "Traceback" not in out.stderr


def test_cli_trains_from_own_data(tmp_path):
    data = tmp_path / "own.jsonl"
    assert cli("generate", "--learners", "6", "--missing-rate", "0.3", "--out", str(data)).returncode == 0
    out = cli("train", "--data", str(data), "--epochs", "1", "--out", str(tmp_path / "m.pt"))
    assert out.returncode == 0, out.stderr
    assert "read 6 sessions" in out.stdout and (tmp_path / "m.pt").exists()
