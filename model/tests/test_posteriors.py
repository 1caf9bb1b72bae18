"""The posteriors file the Java intervention measurement reads: header, one line per session, and the
posteriors are the model's and the oracle's on the same generated sessions."""
import json

import numpy as np

from edu_emotionnet.__main__ import DEFAULT_CHECKPOINT
from edu_emotionnet.export import load_checkpoint
from edu_emotionnet.generator import generate
from edu_emotionnet.oracle import filter_posteriors
from edu_emotionnet.posteriors import write
from edu_emotionnet.train import predict


def test_sessions_hold_truth_presence_and_both_posteriors(tmp_path, spec):
    out = tmp_path / "p.jsonl"
    n = write(spec, DEFAULT_CHECKPOINT, out, rates=(0.6,), learners=3, seed=11, log=lambda m: None)
    lines = out.read_text().splitlines()
    assert n == 3 and len(lines) == 4
    header = json.loads(lines[0])
    assert header["classes"] == list(spec.classes)
    assert header["step_seconds"] == spec.step_seconds
    assert header["benchmark_fingerprint"] == spec.fingerprint

    # the same sessions, generated again, give the same truth, presence and posteriors
    sessions = generate(spec, 3, seed=11, missing_rate=0.6)
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    logp, _ = predict(model, sessions)
    oracle = filter_posteriors(spec, sessions)
    # the ceiling is the lag-aware oracle on the lagged benchmark (the spec's default), not the lag-blind one
    assert spec.max_lag > 0
    blind = filter_posteriors(spec.without_lag(), sessions)
    assert not np.allclose(oracle, blind, atol=1e-3)
    for i, line in enumerate(lines[1:]):
        row = json.loads(line)
        length = int(sessions.lengths[i])
        assert row["rate"] == "0.6"
        assert row["truth"] == sessions.labels[i, :length].tolist()
        bits = [int(sum(int(sessions.mask[i, t, m]) << m for m in range(3))) for t in range(length)]
        assert row["present"] == bits
        assert 0 in bits  # at 60 % missing some steps have no input at all
        np.testing.assert_allclose(row["model"], np.exp(logp[i, :length]), atol=1e-5)
        np.testing.assert_allclose(row["oracle"], oracle[i, :length], atol=1e-5)
        assert np.shape(row["model"]) == (length, len(spec.classes))
        np.testing.assert_allclose(np.sum(row["oracle"], axis=1), 1.0, atol=1e-4)
