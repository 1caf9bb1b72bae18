"""The off-task-spells variant (benchmark/spec_offtask.json): optional in the spec, exact in the oracle,
and absent from the shipped spec, whose generator and oracle must be unchanged by it."""
import copy
import hashlib

import numpy as np
import pytest

from edu_emotionnet import generator, oracle, spec_builder
from edu_emotionnet.spec import SpecError, parse

from conftest import MODEL_DIR

VARIANT = MODEL_DIR / "benchmark" / "spec_offtask.json"


@pytest.fixture(scope="module")
def variant():
    from edu_emotionnet.spec import load

    return load(VARIANT)


def _with_off_task(spec, start, cont):
    raw = copy.deepcopy(spec.raw)
    raw["affect"]["off_task"] = {"start": start, "continue": cont}
    return parse(raw)


def test_shipped_spec_has_no_spells_and_generates_and_filters_as_before(spec):
    """Values recorded from generator.py and oracle.py before off-task spells (and the lag) were added:
    the shipped spec without its lag generates and filters exactly as before."""
    assert not spec.has_off_task
    spec = spec.without_lag()
    s = generator.generate(spec, 6, seed=11, missing_rate=0.3)
    assert s.off_task is None
    digest = hashlib.sha256(s.visual.tobytes() + s.labels.tobytes() + s.mask.tobytes() + s.quality.tobytes())
    assert digest.hexdigest() == "c2b0ae02e549aeec88b3ffa49cb19c86941af87e0142d3467a34da1db66c7406"
    post = oracle.filter_posteriors(spec, s)
    before = [
        [0.903558166571, 0.090637791226, 0.002210019233, 0.003594022971],
        [0.981470953134, 0.013970398976, 0.001487067501, 0.00307158039],
        [0.984268137696, 0.0116988138, 0.001278900662, 0.002754147843],
        [0.986343151034, 0.010120089678, 0.001102841084, 0.002433918204],
    ]
    assert np.allclose(post[0, :4], before, atol=1e-10)
    assert np.allclose(
        post[3, 50], [0.0013881016379488056, 0.001847403844134394, 0.47771597435659935, 0.5190485201613178], atol=1e-10
    )
    assert np.allclose(
        post[s.valid].sum(0), [142.148503543235, 224.228370057347, 181.4570332507815, 239.16609314863624], atol=1e-7
    )


def test_spells_that_never_start_leave_the_oracle_unchanged(spec):
    spec = spec.without_lag()  # the probe's benchmark (and half the cost)
    never = _with_off_task(spec, 0.0, 0.85)
    s = generator.generate(spec, 8, seed=5, missing_rate=0.4)
    assert np.allclose(oracle.filter_posteriors(never, s), oracle.filter_posteriors(spec, s), atol=1e-12)


def test_variant_is_the_builders_design_and_differs_only_by_the_spells(spec, variant):
    assert variant.has_off_task
    assert (variant.off_task_start, variant.off_task_continue) == (
        spec_builder.OFF_TASK["start"], spec_builder.OFF_TASK["continue"])
    assert variant.mask_start == spec_builder.OFF_TASK_MASK_START
    assert parse(spec_builder.build(spec_builder.OFF_TASK, spec_builder.OFF_TASK_MASK_START, lag=False)).fingerprint == parse(
        variant.raw).fingerprint
    raw = copy.deepcopy(variant.raw)
    del raw["affect"]["off_task"]
    raw["affect"]["display"]["mask_start"] = spec.mask_start
    # the probe was built on the unlagged benchmark (version 1.0.0)
    assert raw == {**spec.without_lag().raw, "version": "1.0.0"}


def test_off_task_spells_happen_at_the_stationary_rate_and_length(variant):
    s = generator.generate(variant, 300, seed=3, session_steps=400)
    start, cont = variant.off_task_start, variant.off_task_continue
    assert s.off_task.mean() == pytest.approx(start / (start + 1 - cont), abs=0.01)
    prev, cur = s.off_task[:, :-1], s.off_task[:, 1:]
    assert cur[prev].mean() == pytest.approx(cont, abs=0.015)  # mean spell 1 / (1 - continue)
    assert cur[~prev].mean() == pytest.approx(start, abs=0.003)
    # independent of affect: the same off-task share in every felt state
    for c in range(variant.num_classes):
        assert s.off_task[s.labels == c].mean() == pytest.approx(s.off_task.mean(), abs=0.025)


def test_off_task_content_is_unrelated_to_affect_and_the_oracle_knows_it(spec, variant):
    s = generator.generate(variant, 60, seed=9)
    # the visual embedding's nearest class centre matches the expressed state on task, ~chance off task
    m = variant.modality("visual")
    ll = oracle.modality_loglik(variant, "visual", s.visual, s.offsets["visual"])[..., 0]
    nearest = ll.argmax(-1)
    on, off = s.valid & ~s.off_task, s.valid & s.off_task
    assert (nearest[on] == s.expressed[on]).mean() > 0.7
    assert (nearest[off] == s.expressed[off]).mean() < 0.4
    # the oracle that models the spells beats the one that does not, on the same sessions
    acc = lambda sp: (oracle.predict(sp, s)[s.valid] == s.labels[s.valid]).mean()  # noqa: E731
    assert acc(variant) > acc(spec.without_lag()) + 0.01


def test_off_task_must_end(spec):
    with pytest.raises(SpecError, match="off_task.continue"):
        _with_off_task(spec, 0.02, 1.0)
    with pytest.raises(SpecError, match="off_task.start"):
        _with_off_task(spec, 1.5, 0.5)
