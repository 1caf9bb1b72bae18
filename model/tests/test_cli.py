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
        (["train", "--teacher-forcing", "1.5", "--out", "x.pt"], "argument --teacher-forcing: must be a share in [0, 1], got 1.5"),
        (["build", "--teacher-forcing", "-0.1", "--out", "x.pt"], "argument --teacher-forcing: must be a share in [0, 1]"),
        (["train", "--teacher-forcing", "nan", "--out", "x.pt"], "argument --teacher-forcing: must be a share in [0, 1]"),
        (["train", "--teacher-forcing", "half", "--out", "x.pt"], "argument --teacher-forcing: expected a number"),
        (["generate", "--missing-rate", "nan", "--out", "x.jsonl"], "argument --missing-rate: missing rate must be in [0, 1)"),
        # own data must not overwrite the shipped model's committed files by default
        (["train", "--data", "x.jsonl"], "a model trained on --data needs explicit output paths: give --out"),
        (["build", "--data", "x.jsonl"], "give --out, --onnx, --golden"),
        (["build", "--data", "x.jsonl", "--out", "x.pt"], "give --onnx, --golden"),
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


def _own_rows(dims=(16, 24, 8), sessions=3, steps=14, seed=0):
    """A tiny platform recording: encoders of other sizes than the benchmark's, some modalities missing."""
    rng = np.random.default_rng(seed)
    classes = ["confusion", "curiosity", "boredom", "frustration"]
    rows = []
    for i in range(sessions):
        for t in range(steps):
            mask = [int(v) for v in rng.random(3) > 0.3]
            row = {"learner_id": f"l{i}", "session_id": f"s{i}", "step": t, "mask": mask, "label": classes[(t // 4 + i) % 4],
                   "quality": [12.0 if mask[0] else None, 0.9 if mask[1] else None, None]}
            for mi, (name, d) in enumerate(zip(("audio", "visual", "text"), dims)):
                row[name] = [round(float(v), 4) for v in rng.standard_normal(d)] if mask[mi] else None
            rows.append(row)
    return rows


def test_own_data_dims_come_from_the_first_row(tmp_path, spec):
    rows = _own_rows()
    back = read_jsonl(_write(tmp_path, rows), spec, infer_dims=True)
    assert [x.shape[-1] for x in back.embeddings] == [16, 24, 8]
    first_audio = next(i for i, r in enumerate(rows) if r["mask"][0]) + 1
    bad = rows + [{**rows[-1], "step": 99, "mask": [1, 0, 0], "audio": [0.0] * 17, "visual": None, "text": None}]
    with pytest.raises(DataError, match=f"audio must have 16 values \\(like its first row .*bad.jsonl:{first_audio}\\), got 17 values"):
        read_jsonl(_write(tmp_path, bad), spec, infer_dims=True)


def test_build_on_own_data_records_its_source_and_leaves_shipped_files_alone(tmp_path):
    import onnx

    data = tmp_path / "campus-a"
    data.mkdir()
    (data / "part.jsonl").write_text("\n".join(json.dumps(r) for r in _own_rows()) + "\n")
    committed = {p: p.read_bytes() for p in (MODEL_DIR / "reports" / "shipped_model.json", MODEL_DIR / "edu_emotionnet.onnx",
                                             MODEL_DIR / "golden" / "manifest.json")}
    out = cli("build", "--data", str(data), "--epochs", "1", "--out", str(tmp_path / "m.pt"),
              "--onnx", str(tmp_path / "m.onnx"), "--golden", str(tmp_path / "g"))
    assert out.returncode == 0, out.stderr
    assert "no benchmark scores" in out.stdout
    assert all(p.read_bytes() == b for p, b in committed.items()), "own-data build touched the shipped model's files"
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert meta["edu.training_data"] == "own data: campus-a, 3 sessions, 42 labelled steps"
    assert meta["edu.benchmark_fingerprint"] == "none (own data)"
    assert json.loads(meta["edu.input_dims"]) == {"audio": 16, "visual": 24, "text": 8}
    manifest = json.loads((tmp_path / "g" / "manifest.json").read_text())
    assert manifest["benchmark_fingerprint"] == meta["edu.benchmark_fingerprint"]
    assert [manifest["files"][m]["shape"][-1] for m in ("audio", "visual", "text")] == [16, 24, 8]
    # re-exporting that checkpoint also needs explicit paths
    again = cli("export", "--checkpoint", str(tmp_path / "m.pt"))
    assert again.returncode == 2 and "give --onnx, --golden" in again.stderr
