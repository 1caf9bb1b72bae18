"""Cross-modal lag: the spec's per-modality lag distributions, the generator following them, the exact
lag-aware oracle (checked against a brute-force sum over every hidden path on tiny cases), and a spec
with an impossible lag refused at load naming the key."""
import copy
import itertools

import numpy as np
import pytest

from edu_emotionnet import generator, oracle
from edu_emotionnet.model import ModelConfig
from edu_emotionnet.spec import MAX_LAG_STEPS, MODALITIES, SpecError, display_transition, parse


def _brute_force(spec, s, use):
    """p(y_t | x_1..t) for learner 0 by summing over every path of (felt, expressed) and of the used
    modalities' levels, the content at t showing e_{max(t-d, 0)} with probability pi_d."""
    t_max = s.labels.shape[1]
    c = spec.num_classes
    init, trans = display_transition(spec)
    lik = {}
    for mi, name in enumerate(MODALITIES):
        if name in use:
            ll = oracle.modality_loglik(spec, name, s.embeddings[mi][:1], s.offsets[name][:1])[0]
            ll = ll + oracle.quality_loglik(spec, name, s.quality[:1, :, mi])[0][:, None, :]
            lik[mi] = np.exp(ll - ll.max())  # [T, C(shown), L]
    post = np.zeros((t_max, c))
    for horizon in range(1, t_max + 1):
        ye = np.array(list(itertools.product(range(c * c), repeat=horizon)))  # [P, horizon]
        w = init[ye[:, 0]] * np.prod([trans[ye[:, t - 1], ye[:, t]] for t in range(1, horizon)], axis=0)
        e = ye % c
        total = np.zeros(c)
        for lv in itertools.product(*[itertools.product(range(3), repeat=horizon) for _ in lik]):
            pw = w.copy()
            for (mi, table), path in zip(lik.items(), lv):
                m = spec.modalities[mi]
                pw = pw * m.level_initial[path[0]] * np.prod([m.level_transition[path[t - 1], path[t]] for t in range(1, horizon)])
                for t in range(horizon):
                    if s.mask[0, t, mi] > 0:
                        mix = sum(p * table[t, e[:, max(t - d, 0)], path[t]] for d, p in zip(m.lag_steps, m.lag_probabilities))
                        pw = pw * mix
            total += np.bincount(ye[:, -1] // c, weights=pw, minlength=c)
        post[horizon - 1] = total / total.sum()
    return post


@pytest.mark.parametrize("use,steps", [(("text",), 4), (("audio", "text"), 3)])
def test_lag_aware_oracle_is_the_exact_posterior(spec, use, steps):
    assert spec.modality("text").max_lag == 3
    s = generator.generate(spec, 2, seed=21, missing_rate=0.0, session_steps=steps)
    exact = oracle.filter_posteriors(spec, s, use)[0]
    assert np.allclose(exact, _brute_force(spec, s, use), atol=1e-9)
    # and the check can fail: the lag-blind filter is a different posterior on the same data
    assert not np.allclose(oracle.filter_posteriors(spec.without_lag(), s, use)[0], _brute_force(spec, s, use), atol=1e-3)


def test_generator_draws_each_modalitys_lag_from_the_spec(spec):
    s = generator.generate(spec, 200, seed=3, missing_rate=0.0, session_steps=200)
    for mi, m in enumerate(spec.modalities):
        drawn = s.lags[:, :, mi][s.valid]
        shares = [(drawn == d).mean() for d in m.lag_steps]
        assert np.allclose(shares, m.lag_probabilities, atol=0.01), (m.name, shares)
    # the content follows the lagged expressed state: the visual nearest centre matches e_{t-d}
    t = np.arange(s.labels.shape[1])[None, :]
    ll = oracle.modality_loglik(spec, "text", s.text, s.offsets["text"])[..., 0]
    clean = s.valid & (s.levels[:, :, 2] == 0) & (t >= 3)
    lagged = np.take_along_axis(s.expressed, np.maximum(t - s.lags[:, :, 2], 0), axis=1)
    changed = clean & (s.expressed != lagged)
    assert (ll.argmax(-1)[changed] == lagged[changed]).mean() > 0.7
    assert (ll.argmax(-1)[changed] == s.expressed[changed]).mean() < 0.2


def test_lag_aware_oracle_beats_the_lag_blind_one(spec):
    s = generator.generate(spec, 80, seed=5, missing_rate=0.0)
    acc = lambda sp: (oracle.predict(sp, s)[s.valid] == s.labels[s.valid]).mean()  # noqa: E731
    assert acc(spec) > acc(spec.without_lag()) + 0.003


def test_the_carried_context_bounds_the_lag():
    assert MAX_LAG_STEPS == ModelConfig().context - 1


def _with_lag(spec, modality, steps, probabilities):
    raw = copy.deepcopy(spec.raw)
    raw["modalities"][modality]["lag"] = {"steps": steps, "probabilities": probabilities}
    return raw


@pytest.mark.parametrize(
    "steps,probabilities,message",
    [
        ([-1, 1], [0.5, 0.5], "modalities.text.lag.steps must not be negative"),
        ([1, MAX_LAG_STEPS + 1], [0.5, 0.5], "modalities.text.lag.steps must be at most 5"),
        ([1, 2], [0.5, 0.6], "modalities.text.lag.probabilities must be probabilities summing to 1"),
        ([1, 2], [1.0], "modalities.text.lag.probabilities must be a list of 2"),
        ([1.5], [1.0], "modalities.text.lag.steps must be a non-empty list of whole numbers"),
    ],
)
def test_an_impossible_lag_is_refused_naming_the_key(spec, steps, probabilities, message):
    with pytest.raises(SpecError) as err:
        parse(_with_lag(spec, "text", steps, probabilities))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_without_lag_is_the_unlagged_process(spec):
    plain = spec.without_lag()
    assert plain.max_lag == 0 and spec.max_lag == 3
    s = generator.generate(plain, 4, seed=1)
    assert (s.lags == 0).all()
