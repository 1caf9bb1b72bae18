import json

import numpy as np
import pytest

from edu_emotionnet import generator, oracle
from edu_emotionnet.metrics import scores
from edu_emotionnet.spec import MODALITIES, SpecError, load, parse, stationary
from edu_emotionnet.stats import reference

from conftest import MODEL_DIR


def test_same_seed_same_sessions(spec):
    a = generator.generate(spec, 5, seed=7, missing_rate=0.3)
    b = generator.generate(spec, 5, seed=7, missing_rate=0.3)
    c = generator.generate(spec, 5, seed=8, missing_rate=0.3)
    assert np.array_equal(a.visual, b.visual) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.visual, c.visual)


def test_class_base_rates_follow_the_chain(spec):
    s = generator.generate(spec, 300, seed=1, session_steps=600)
    late = s.labels[:, 300:]  # far from the session start the chain is near its stationary law
    rates = np.bincount(late.ravel(), minlength=spec.num_classes) / late.size
    assert np.allclose(rates, stationary(spec.transition), atol=0.03), rates


def test_persistence_ordering_boredom_most_frustration_intermediate(spec):
    s = generator.generate(spec, 300, seed=2, session_steps=300)
    prev, cur = s.labels[:, :-1], s.labels[:, 1:]
    stay = {c: (cur[prev == i] == i).mean() for i, c in enumerate(spec.classes)}
    assert stay["boredom"] > stay["frustration"] > stay["curiosity"] > stay["confusion"], stay
    # and the empirical persistence is the spec's
    for i, c in enumerate(spec.classes):
        assert stay[c] == pytest.approx(spec.transition[i, i], abs=0.01)


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.4, 0.6, 0.8])
def test_missing_rate_is_honoured(spec, rate):
    s = generator.generate(spec, 200, seed=3, missing_rate=rate)
    measured = 1.0 - s.mask[s.valid].mean()
    assert measured == pytest.approx(rate, abs=0.02)
    # text is the sparsest modality, visual the most available
    if rate > 0:
        per = 1.0 - s.mask[s.valid].mean(axis=0)
        assert per[2] > per[0] > per[1]


def test_missing_modalities_are_zero_and_padding_is_unlabelled(spec):
    s = generator.generate(spec, 20, seed=4, missing_rate=0.5)
    for mi, x in enumerate(s.embeddings):
        missing = s.mask[:, :, mi] == 0
        assert np.all(x[missing] == 0)
        assert np.all(np.abs(x[~missing]).sum(-1) > 0)
    pad = np.arange(s.labels.shape[1])[None, :] >= s.lengths[:, None]
    assert np.all(s.labels[pad] == -1) and np.all(s.labels[~pad] >= 0)


def test_embedding_sizes_are_encoder_sizes(spec):
    assert spec.dims == {"audio": 128, "visual": 512, "text": 384}


@pytest.mark.parametrize("rate", [-0.1, 1.0, 0.95])
def test_impossible_missing_rates_are_refused(spec, rate):
    with pytest.raises(generator.GeneratorError):
        generator.generate(spec, 2, seed=0, missing_rate=rate)


def test_spec_errors_name_the_problem(tmp_path):
    raw = json.loads((MODEL_DIR / "benchmark" / "spec.json").read_text())
    raw["affect"]["transition"][0][0] += 0.5
    with pytest.raises(SpecError, match="affect.transition"):
        parse(raw)
    with pytest.raises(SpecError, match="cannot read"):
        load(tmp_path / "absent.json")


def test_oracle_ceiling_is_calibrated_and_fusion_matters(spec):
    s = generator.generate(spec, 150, seed=5, missing_rate=0.0)
    full = scores(s.labels, oracle.predict(spec, s), 4)["macro_f1"]
    assert 0.85 <= full <= 0.95
    for m in MODALITIES:
        single = scores(s.labels, oracle.predict(spec, s, (m,)), 4)["macro_f1"]
        assert single <= full - 0.05, (m, single, full)


def test_oracle_beats_chance_and_degrades_gracefully_with_missing_data(spec):
    full = generator.generate(spec, 100, seed=6, missing_rate=0.0)
    sparse = generator.generate(spec, 100, seed=6, missing_rate=0.6)
    a0 = scores(full.labels, oracle.predict(spec, full), 4)["accuracy"]
    a6 = scores(sparse.labels, oracle.predict(spec, sparse), 4)["accuracy"]
    # "chance" here is always predicting the most frequent class (about a third of the steps)
    for s, acc in ((full, a0), (sparse, a6)):
        majority = np.bincount(s.labels[s.valid]).max() / s.valid.sum()
        assert acc > majority + 0.3, (acc, majority)
    assert a6 < a0 and a0 - a6 < 0.06


def test_reference_statistics_file_is_current(spec):
    """The Java sampler is tested against this file: it must come from the current spec and generator."""
    committed = json.loads((MODEL_DIR / "benchmark" / "reference_stats.json").read_text())
    fresh = reference(spec)
    assert committed["benchmark_fingerprint"] == spec.fingerprint
    for key, value in fresh["statistics"].items():
        assert committed["statistics"][key]["value"] == pytest.approx(value["value"], abs=1e-9), key


def test_quality_likelihood_points_to_the_true_noise_level(spec):
    """The oracle reads the quality score: its likelihood is highest at the generating level for most
    steps, and a score clipped at a bound gets the probability mass beyond it."""
    s = generator.generate(spec, 40, seed=12, missing_rate=0.0, session_steps=60)
    for mi, name in enumerate(MODALITIES):
        ll = oracle.quality_loglik(spec, name, s.quality[:, :, mi])
        assert np.isfinite(ll).all()
        hit = (ll.argmax(-1) == s.levels[:, :, mi]).mean()
        assert hit > 0.6, (name, hit)
    m = spec.modality("visual")
    top = oracle.quality_loglik(spec, "visual", np.array([[m.quality_range[1]]]))[0, 0]
    # P(N(mu, j) >= 1) for the clean level (mu 0.95, jitter 0.05) is about 0.16
    assert abs(np.exp(top[0]) - 0.1587) < 0.01


def test_level_information_orders_the_levels_as_the_spec_degrades_them(spec):
    """Clean evidence beats noisy evidence beats interference (a random state's content: about chance)."""
    from edu_emotionnet.reliability import level_information

    info = level_information(spec, learners=120, seed=5)
    assert set(info) == {"audio", "visual", "text"}
    for name, rows in info.items():
        by = {r["level"]: r for r in rows}
        assert abs(sum(r["share"] for r in rows) - 1.0) < 1e-9
        noisy = next(r for r in rows if r["level"].startswith("noise"))
        assert by["clean"]["one_step_accuracy"] >= noisy["one_step_accuracy"] - 0.02, name
        assert noisy["one_step_accuracy"] > by["interference"]["one_step_accuracy"] + 0.3, name
        assert by["interference"]["one_step_accuracy"] < 0.25 + 0.08, name
