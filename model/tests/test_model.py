import numpy as np
import pytest
import torch

from edu_emotionnet import generator
from edu_emotionnet.baselines import LEARNED_SYSTEMS, build
from edu_emotionnet.metrics import scores
from edu_emotionnet.model import EduEmotionNet, ModelConfig, reliability_target
from edu_emotionnet.train import TrainConfig, generator_epochs, predict, tensors, train


def _steps(model, s, d=None):
    d = tensors(s) if d is None else d
    state = model.initial_state(len(s))
    probs, weights = [], []
    with torch.no_grad():
        for t in range(s.labels.shape[1]):
            p, w, state = model.step(d["audio"][:, t], d["visual"][:, t], d["text"][:, t], d["mask"][:, t], d["quality"][:, t], state)
            probs.append(p)
            weights.append(w)
    return torch.stack(probs, 1), torch.stack(weights, 1), state


def test_carried_state_fits_in_8_kib():
    model = EduEmotionNet()
    assert model.state_size * 4 <= 8 * 1024
    p, w, st = model.step(torch.zeros(3, 128), torch.zeros(3, 512), torch.zeros(3, 384), torch.ones(3, 3), torch.full((3, 3), float("nan")), model.initial_state(3))
    assert p.shape == (3, 4) and w.shape == (3, 3) and st.shape == (3, model.state_size)


def test_mie_weight_is_exactly_zero_for_missing_and_a_share_otherwise_not_normalised(spec):
    torch.manual_seed(0)
    model = EduEmotionNet().eval()
    s = generator.generate(spec, 6, seed=1, missing_rate=0.6, session_steps=30)
    _, w, _ = _steps(model, s)
    mask = torch.from_numpy(s.mask)
    assert torch.all(w[mask == 0] == 0)
    assert torch.all((w[mask > 0] > 0) & (w[mask > 0] < 1))
    some = mask.sum(-1) > 0
    assert not torch.allclose(w.sum(-1)[some], torch.ones(int(some.sum())), atol=1e-3), "weights are not normalised"
    assert torch.all(w.sum(-1)[~some] == 0)
    assert (~some).any(), "the sample should contain a step with nothing present"


def test_a_modality_reaches_the_output_only_through_its_weight(spec, monkeypatch):
    """With the weights held fixed and modality m's at 0, nothing its embedding holds changes the
    predictions: its content reaches them only as w_m * l_m. (With live weights its content still
    informs the other modalities' weights: the MIE reads their disagreement with it, by design.)"""
    torch.manual_seed(4)
    model = EduEmotionNet().eval()
    s = generator.generate(spec, 3, seed=6, missing_rate=0.0, session_steps=15)
    d = tensors(s)
    real = model.weights

    def without_text(*args):
        w, scores, carried = real(*args)
        return torch.full_like(w, 0.7) * torch.tensor([1.0, 1.0, 0.0]), scores, carried

    monkeypatch.setattr(model, "weights", without_text)
    noisy = dict(d, text=d["text"] + 3.0 * torch.randn_like(d["text"]))
    with torch.no_grad():
        a, _ = model(d["audio"], d["visual"], d["text"], d["mask"], d["quality"])
        b, _ = model(noisy["audio"], noisy["visual"], noisy["text"], d["mask"], d["quality"])
        # and the check can fail: with its weight the text does change them
        monkeypatch.setattr(model, "weights", real)
        c, _ = model(noisy["audio"], noisy["visual"], noisy["text"], d["mask"], d["quality"])
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, c, atol=1e-3)


def test_encoders_do_not_see_the_quality_score(spec):
    torch.manual_seed(5)
    model = EduEmotionNet().eval()
    s = generator.generate(spec, 3, seed=7, missing_rate=0.0, session_steps=10)
    d = tensors(s)
    with torch.no_grad():
        _, w1, aux1 = model(d["audio"], d["visual"], d["text"], d["mask"], d["quality"], auxiliary=True)
        _, w2, aux2 = model(d["audio"], d["visual"], d["text"], d["mask"], d["quality"] * 0.5, auxiliary=True)
    assert torch.equal(aux1["modality_evidence"], aux2["modality_evidence"])
    assert not torch.allclose(w1, w2)


@pytest.mark.parametrize("flags", [{}, {"use_cmaa": False}, {"use_mie": False}, {"use_tfl": False}])
def test_step_by_step_equals_whole_sequence(spec, flags):
    torch.manual_seed(1)
    model = EduEmotionNet(ModelConfig(**flags)).eval()
    s = generator.generate(spec, 5, seed=2, missing_rate=0.5, session_steps=40)
    d = tensors(s, quality_drop=0.4, rng=np.random.default_rng(0))  # some quality scores not reported
    assert torch.isnan(d["quality"]).any()
    p_steps, w_steps, _ = _steps(model, s, d)
    with torch.no_grad():
        logp, w_seq = model(d["audio"], d["visual"], d["text"], d["mask"], d["quality"])
    assert torch.max(torch.abs(p_steps - logp.exp())) < 1e-5
    assert torch.max(torch.abs(w_steps - w_seq)) < 1e-5


def test_the_reliability_filter_carries_its_belief_and_a_missing_step_adds_no_evidence(spec):
    """The MIE's belief per modality lives in the carried state: it starts from the learned start, a
    present step moves it by that step's score, a missing step only through the learned chain (its
    weight 0); and the modality's last present evidence is kept across the gap."""
    torch.manual_seed(8)
    model = EduEmotionNet().eval()
    s = generator.generate(spec, 2, seed=9, missing_rate=0.0, session_steps=4)
    d = tensors(s)
    blocks = [name for name, _ in model.state_blocks()]
    mie = model.mie

    def parts(state):
        return dict(zip(blocks, model.split_state(state)))

    state = model.initial_state(2)
    with torch.no_grad():
        for t in range(3):  # all present: the belief moves
            _, w, state = model.step(d["audio"][:, t], d["visual"][:, t], d["text"][:, t], d["mask"][:, t], d["quality"][:, t], state)
        before = parts(state)
        assert not torch.allclose(before["reliability"], torch.zeros(2, 3))
        assert torch.equal(before["last_presence"], torch.ones(2, 3))
        mask = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])  # visual missing at step 3
        _, w, state = model.step(d["audio"][:, 3], d["visual"][:, 3], d["text"][:, 3], mask, d["quality"][:, 3], state)
        after = parts(state)
        belief = torch.sigmoid(before["reliability"][:, 1] + mie.start[1])
        drift = belief * torch.sigmoid(mie.stay[1]) + (1 - belief) * torch.sigmoid(mie.recover[1])
        assert torch.allclose(after["reliability"][:, 1], torch.logit(drift) - mie.start[1], atol=1e-5)
        assert torch.all(w[:, 1] == 0)
        assert torch.equal(after["last_evidence"][:, 1], before["last_evidence"][:, 1])
        assert not torch.equal(after["last_evidence"][:, 0], before["last_evidence"][:, 0])


def test_the_weight_is_trained_to_say_whether_the_evidence_names_the_true_class():
    # evidence over 4 classes, true class 0: its top class; torn between it and class 1 (a pair the
    # modality cannot tell apart still names it); just above and just below half the top class; and
    # pointing elsewhere
    probs = torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.44, 0.46, 0.05, 0.05], [0.32, 0.6, 0.04, 0.04],
                          [0.28, 0.6, 0.06, 0.06], [0.1, 0.1, 0.1, 0.7]])
    logl = probs.log()
    target = reliability_target(logl, logl[:, 0])
    assert target.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert not target.requires_grad


def test_without_mie_every_present_modality_has_weight_one(spec):
    model = EduEmotionNet(ModelConfig(use_mie=False)).eval()
    s = generator.generate(spec, 3, seed=3, missing_rate=0.4, session_steps=20)
    _, w, _ = _steps(model, s)
    assert torch.equal(w, torch.from_numpy(s.mask))


def test_tfl_feeds_back_the_previous_prediction(spec):
    """With nothing present the prediction is the previous one propagated: it depends on history."""
    torch.manual_seed(2)
    model = EduEmotionNet().eval()
    z = [torch.zeros(2, d) for d in (128, 512, 384)]
    state = model.initial_state(2)
    _, _, _, history, *_ = model.split_state(state)  # views into the state
    history[0, -1] = torch.tensor([0.97, 0.01, 0.01, 0.01])
    history[1, -1] = torch.tensor([0.01, 0.01, 0.97, 0.01])
    with torch.no_grad():
        p, w, _ = model.step(*z, torch.zeros(2, 3), torch.zeros(2, 3), state)
    assert p[0].argmax() == 0 and p[1].argmax() == 2
    assert torch.all(w == 0)


def test_the_tfl_memory_is_the_last_block_of_the_carried_state_and_the_next_prediction_reads_it(spec):
    """The memory is carried from step to step in the state (its last block), the next prediction depends
    on it, and without a memory (tfl_memory=0) or without the TFL the block is not there."""
    torch.manual_seed(3)
    model = EduEmotionNet().eval()
    blocks = [name for name, _ in model.state_blocks()]
    assert blocks[-1] == "tfl_memory" and model.memory_size == ModelConfig().tfl_memory > 0
    s = generator.generate(spec, 2, seed=4, missing_rate=0.0, session_steps=6)
    d = tensors(s)

    def step(t, state):
        return model.step(d["audio"][:, t], d["visual"][:, t], d["text"][:, t], d["mask"][:, t], d["quality"][:, t], state)

    state = model.initial_state(2)
    with torch.no_grad():
        for t in range(5):
            _, _, state = step(t, state)
        assert model.split_state(state)[-1].abs().sum() > 0
        forgotten = state.clone()
        forgotten[:, -model.memory_size:] = 0.0
        carried, _, _ = step(5, state)
        without, _, _ = step(5, forgotten)
    assert not torch.allclose(carried, without)
    assert [n for n, _ in EduEmotionNet(ModelConfig(tfl_memory=0)).state_blocks()] == blocks[:-1]
    assert "tfl_memory" not in [n for n, _ in EduEmotionNet(ModelConfig(use_tfl=False)).state_blocks()]
    older = ModelConfig().to_dict()
    del older["tfl_memory"]  # a checkpoint's configuration from before model 2.4.0
    assert ModelConfig.from_dict(older).tfl_memory == 0


@pytest.mark.parametrize("system", LEARNED_SYSTEMS)
def test_every_system_runs_on_a_batch(spec, system):
    model = build(system, ModelConfig()).eval()
    s = generator.generate(spec, 2, seed=4, missing_rate=0.3, session_steps=12)
    logp, _ = predict(model, s)
    assert logp.shape == (2, 12, 4) and np.allclose(np.exp(logp).sum(-1), 1, atol=1e-5)


def test_a_short_training_run_beats_the_majority_class(spec):
    cfg = TrainConfig(epochs=2, sessions_per_epoch=96, seed=0)
    model = train("edu_emotionnet", generator_epochs(spec, cfg), ModelConfig(), cfg)
    test = generator.generate(spec, 40, seed=99, missing_rate=0.2)
    logp, _ = predict(model, test)
    acc = scores(test.labels, logp.argmax(-1), 4)["accuracy"]
    majority = np.bincount(test.labels[test.valid]).max() / test.valid.sum()
    assert acc > majority + 0.15, (acc, majority)


def test_quality_reaches_the_mie_and_unreported_quality_is_finite(spec):
    torch.manual_seed(3)
    model = EduEmotionNet().eval()
    s = generator.generate(spec, 4, seed=5, missing_rate=0.0, session_steps=3)
    d = tensors(s)
    state = model.initial_state(4)
    args = [d[k][:, 0] for k in ("audio", "visual", "text", "mask")]
    with torch.no_grad():
        _, w_good, _ = model.step(*args, d["quality"][:, 0], state)
        bad = d["quality"][:, 0].clone()
        bad[:, 0] = -10.0  # audio at the bottom of its SNR range
        _, w_bad, _ = model.step(*args, bad, state)
        p_none, w_none, st_none = model.step(*args, torch.full_like(bad, float("nan")), state)
    assert not torch.allclose(w_good, w_bad)
    assert torch.isfinite(p_none).all() and torch.isfinite(w_none).all() and torch.isfinite(st_none).all()


def _poison_missing(d: dict, fill: str, seed: int = 0) -> dict:
    """The same inputs with every missing modality's slot overwritten (random values, NaN or Inf)."""
    rng = np.random.default_rng(seed)
    out = dict(d)
    for mi, name in enumerate(("audio", "visual", "text")):
        x = d[name].clone()
        missing = d["mask"][..., mi] == 0
        junk = torch.from_numpy(rng.standard_normal(x.shape).astype(np.float32) * 50)
        if fill == "nan":
            junk[..., ::3] = float("nan")
        elif fill == "inf":
            junk[..., ::2] = float("inf")
            junk[..., 1::4] = float("-inf")
        x[missing] = junk[missing]
        out[name] = x
    return out


@pytest.mark.parametrize("fill", ["random", "nan", "inf"])
@pytest.mark.parametrize("flags", [{}, {"use_cmaa": False}, {"use_mie": False}])
def test_a_missing_modality_slot_cannot_leak_into_the_outputs(spec, flags, fill):
    """enc(x) * mask is not enough (NaN * 0 = NaN): a missing slot's content must change nothing,
    in the step form (probabilities, MIE weights, state) and the whole-sequence form."""
    torch.manual_seed(4)
    model = EduEmotionNet(ModelConfig(**flags)).eval()
    s = generator.generate(spec, 4, seed=6, missing_rate=0.5, session_steps=25)
    clean = tensors(s)
    dirty = _poison_missing(clean, fill)
    assert (clean["mask"] == 0).any() and all((dirty[m] != clean[m]).any() for m in ("audio", "visual", "text"))
    p0, w0, st0 = _steps(model, s, clean)
    p1, w1, st1 = _steps(model, s, dirty)
    assert torch.equal(p0, p1) and torch.equal(w0, w1) and torch.equal(st0, st1)
    with torch.no_grad():
        seq0 = model(*(clean[k] for k in ("audio", "visual", "text", "mask", "quality")))
        seq1 = model(*(dirty[k] for k in ("audio", "visual", "text", "mask", "quality")))
    assert torch.equal(seq0[0], seq1[0]) and torch.equal(seq0[1], seq1[1])


@pytest.mark.parametrize("system", ["early_fusion", "late_fusion", "mult_style"])
def test_baselines_ignore_a_missing_modality_slot(spec, system):
    torch.manual_seed(5)
    model = build(system, ModelConfig()).eval()
    s = generator.generate(spec, 3, seed=7, missing_rate=0.5, session_steps=20)
    clean = tensors(s)
    dirty = _poison_missing(clean, "nan")
    with torch.no_grad():
        a, _ = model(*(clean[k] for k in ("audio", "visual", "text", "mask", "quality")))
        b, _ = model(*(dirty[k] for k in ("audio", "visual", "text", "mask", "quality")))
    assert torch.isfinite(b[torch.from_numpy(s.valid)]).all() and torch.equal(a, b)


def test_trained_checkpoint_step_form_equals_whole_sequence(spec):
    """The shipped weights (not only random ones): what the job runs step by step is what was
    trained and scored over whole sessions."""
    from conftest import MODEL_DIR
    from edu_emotionnet.export import load_checkpoint

    model, _ = load_checkpoint(MODEL_DIR / "checkpoints" / "edu_emotionnet.pt")
    s = generator.generate(spec, 4, seed=11, missing_rate=0.4, session_steps=60)
    d = tensors(s, quality_drop=0.3, rng=np.random.default_rng(1))
    p_steps, w_steps, _ = _steps(model, s, d)
    with torch.no_grad():
        logp, w_seq = model(d["audio"], d["visual"], d["text"], d["mask"], d["quality"])
    assert torch.max(torch.abs(p_steps - logp.exp())) < 1e-5
    assert torch.max(torch.abs(w_steps - w_seq)) < 1e-5
