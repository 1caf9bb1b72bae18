import json
import math
import re

import numpy as np
import onnx
import pytest
import torch

from edu_emotionnet.export import (
    INPUTS, OUTPUTS, export_onnx, load_checkpoint, metadata, own_data_training, state_layout, weights_fingerprint,
)
from edu_emotionnet.model import EduEmotionNet, ModelConfig

from conftest import MODEL_DIR

ONNX_PATH = MODEL_DIR / "edu_emotionnet.onnx"
GOLDEN = MODEL_DIR / "golden"


@pytest.fixture(scope="module")
def shipped():
    return onnx.load(str(ONNX_PATH))


def test_shipped_onnx_is_valid_small_opset_17(shipped):
    onnx.checker.check_model(shipped, full_check=True)
    assert ONNX_PATH.stat().st_size <= 10 * 1024 * 1024
    assert any(o.domain in ("", "ai.onnx") and o.version == 17 for o in shipped.opset_import)
    assert [i.name for i in shipped.graph.input] == list(INPUTS)
    assert [o.name for o in shipped.graph.output] == list(OUTPUTS)
    for value in list(shipped.graph.input) + list(shipped.graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"


def _meta(proto):
    return {p.key: p.value for p in proto.metadata_props}


def _width(values, name):
    return next(v for v in values if v.name == name).type.tensor_type.shape.dim[1].dim_value


def test_metadata_describes_model_and_current_benchmark(shipped, spec):
    meta = _meta(shipped)
    assert json.loads(meta["edu.classes"]) == list(spec.classes)
    assert json.loads(meta["edu.input_dims"]) == spec.dims
    assert float(meta["edu.step_seconds"]) == spec.step_seconds
    assert meta["edu.benchmark_fingerprint"] == spec.fingerprint, "spec changed: rebuild with `build`"
    state = json.loads(meta["edu.state_shape"])
    assert state[0] * 4 <= 8192
    assert state == [_width(shipped.graph.output, "state_out")] == [_width(shipped.graph.input, "state")]
    assert "edu.model_version" in meta and "synthetic" in meta["edu.training_data"]


def test_shipped_onnx_and_report_come_from_the_checkpoint(shipped):
    """The committed ONNX file and reports/shipped_model.json (the Java parity test's reference) hold the
    weights of the committed checkpoint: a retrain that skipped the export or the scores shows here."""
    model, _ = load_checkpoint(MODEL_DIR / "checkpoints" / "edu_emotionnet.pt")
    report = json.loads((MODEL_DIR / "reports" / "shipped_model.json").read_text())
    assert _meta(shipped)["edu.weights_fingerprint"] == weights_fingerprint(model)
    assert report["weights_fingerprint"] == weights_fingerprint(model)
    changed = dict(model.state_dict())
    first = next(iter(sorted(changed)))
    changed[first] = changed[first] + 1e-3
    model.load_state_dict(changed)
    assert weights_fingerprint(model) != report["weights_fingerprint"]


def parse_layout(layout: str) -> list[tuple[str, tuple[int, ...]]]:
    """`float32[N]: name[a][b] (note), ...; ...` -> [(name, (a, b)), ...] in the listed order."""
    head, rest = layout.split(": ", 1)
    blocks = re.findall(r"([a-z_]+)((?:\[\d+\])+)", re.sub(r"\([^)]*\)", "", rest))  # notes in (…) dropped
    assert re.fullmatch(r"float32\[\d+\]", head), head
    return [(name, tuple(int(d) for d in re.findall(r"\d+", dims))) for name, dims in blocks]


def assert_layout_matches_split_state(layout: str, model: EduEmotionNet) -> int:
    """The layout's blocks, in its order, are exactly the slices split_state cuts; returns their total size."""
    blocks = parse_layout(layout)
    total = sum(math.prod(shape) for _, shape in blocks)
    assert int(re.match(r"float32\[(\d+)\]", layout).group(1)) == total == model.state_size
    parts = model.split_state(torch.arange(total, dtype=torch.float32).unsqueeze(0))
    assert len(parts) == len(blocks), (len(parts), [n for n, _ in blocks])
    start = 0
    for (name, shape), part in zip(blocks, parts):
        size = math.prod(shape)
        assert tuple(part.shape[1:]) == shape, (name, tuple(part.shape[1:]), shape)
        assert torch.equal(part.reshape(-1), torch.arange(start, start + size, dtype=torch.float32)), name
        start += size
    return total


def test_shipped_state_layout_covers_the_whole_state_in_split_state_order(shipped):
    meta = _meta(shipped)
    model, _ = load_checkpoint(MODEL_DIR / "checkpoints" / "edu_emotionnet.pt")
    total = assert_layout_matches_split_state(meta["edu.state_layout"], model)
    assert [total] == json.loads(meta["edu.state_shape"]) == [_width(shipped.graph.output, "state_out")]
    assert [n for n, _ in parse_layout(meta["edu.state_layout"])] == [
        "tokens", "token_presence", "modality_evidence", "predictions", "last_evidence", "last_presence", "reliability",
        "tfl_memory"]


@pytest.mark.parametrize("config", [ModelConfig(), ModelConfig(context=3, hidden=32, num_classes=5)])
def test_state_layout_follows_the_configuration(config):
    assert_layout_matches_split_state(state_layout(EduEmotionNet(config)), EduEmotionNet(config))


def _ancestors(graph, name: str) -> set[str]:
    """Every tensor name `name` is computed from (graph inputs included)."""
    producer = {out: n for n in graph.node for out in n.output}
    seen, todo = set(), [name]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        if t in producer:
            todo.extend(producer[t].input)
    return seen


def test_exported_graph_gates_every_embedding_by_the_mask_before_use(shipped):
    """onnxruntime is not installed here, so check the graph: an embedding input is read only by a
    Where selected by the mask (and by Shape), never by arithmetic that would carry NaN through."""
    for name in ("audio", "visual", "text"):
        readers = [n for n in shipped.graph.node if name in n.input]
        assert {n.op_type for n in readers} <= {"Where", "Shape"}, (name, [n.op_type for n in readers])
        gates = [n for n in readers if n.op_type == "Where"]
        assert gates and all(n.input[1] == name and "mask" in _ancestors(shipped.graph, n.input[0]) for n in gates), name


def _golden(name):
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    f = manifest["files"][name]
    return np.fromfile(GOLDEN / f["file"], dtype="<f4").reshape(f["shape"])


def test_golden_vectors_come_from_the_shipped_checkpoint():
    model, _ = load_checkpoint(MODEL_DIR / "checkpoints" / "edu_emotionnet.pt")
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    assert manifest["steps"] >= 30 and manifest["learners"] >= 3
    inputs = {k: torch.from_numpy(_golden(k)) for k in ("audio", "visual", "text", "mask", "quality")}
    assert (inputs["mask"] == 0).any() and (inputs["mask"].sum(-1) == 0).any()
    assert torch.isnan(inputs["quality"][inputs["mask"] > 0]).any(), "golden should include unreported quality"
    state = model.initial_state(manifest["learners"])
    with torch.no_grad():
        for t in range(manifest["steps"]):
            p, w, state = model.step(*(inputs[k][:, t] for k in ("audio", "visual", "text", "mask", "quality")), state)
            assert np.abs(p.numpy() - _golden("probabilities")[:, t]).max() < 1e-5
            assert np.abs(w.numpy() - _golden("mie_weights")[:, t]).max() < 1e-5
    assert np.abs(state.numpy() - _golden("state_final")).max() < 1e-5


def _reference_evaluator():
    try:  # onnx >= 1.13; Debian's python3-onnx may be older
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return None
    return ReferenceEvaluator


def test_export_writes_metadata_and_dynamic_batch(tmp_path, spec):
    torch.manual_seed(0)
    model = EduEmotionNet(ModelConfig(context=4)).eval()  # not the default window: values must follow the model
    path = tmp_path / "m.onnx"
    export_onnx(model, spec, path)
    proto = onnx.load(str(path))
    meta = _meta(proto)
    assert json.loads(meta["edu.classes"]) == list(spec.classes)
    assert json.loads(meta["edu.modalities"]) == ["audio", "visual", "text"]
    assert json.loads(meta["edu.input_dims"]) == {"audio": 128, "visual": 512, "text": 384}
    assert json.loads(meta["edu.state_shape"]) == [model.state_size] == [_width(proto.graph.output, "state_out")]
    # K-1 = 3 steps of tokens, presence, per-modality evidence, predictions; then the MIE's last evidence,
    # last presence and filter belief per modality; then the TFL's memory
    assert model.state_size == 3 * (3 * 65 + 3 * 4 + 4) + 3 * 4 + 3 + 3 + model.config.tfl_memory
    assert float(meta["edu.step_seconds"]) == 2.0 == spec.step_seconds
    assert meta["edu.context_steps"] == "4" and meta["edu.initial_state"] == "zeros"
    assert json.loads(meta["edu.inputs"]) == list(INPUTS) and json.loads(meta["edu.outputs"]) == list(OUTPUTS)
    assert meta["edu.benchmark_fingerprint"] == spec.fingerprint and meta["edu.training_data"].startswith("synthetic")
    assert [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] == [17]
    assert_layout_matches_split_state(meta["edu.state_layout"], model)
    # the batch axis is symbolic on every input and output
    for value in list(proto.graph.input) + list(proto.graph.output):
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch", value.name
    evaluator = _reference_evaluator()
    if evaluator is None:
        return
    run = evaluator(proto)
    for b in (1, 3):  # and it really runs at other batch sizes than the export's example (2)
        feeds = {n: np.random.default_rng(b).standard_normal((b, d)).astype(np.float32) for n, d in zip(INPUTS[:3], model.config.dims)}
        feeds.update(mask=np.ones((b, 3), np.float32), quality=np.full((b, 3), 0.5, np.float32),
                     state=np.zeros((b, model.state_size), np.float32))
        probs, weights, state = run.run(None, feeds)
        expect = model.step(*(torch.from_numpy(feeds[n]) for n in INPUTS))
        for got, want in zip((probs, weights, state), expect):
            assert got.shape[0] == b and np.abs(got - want.detach().numpy()).max() < 1e-5


def test_own_data_metadata_names_the_data_not_the_benchmark(spec, tmp_path):
    model = EduEmotionNet(ModelConfig(dims=(16, 24, 8)))
    data = tmp_path / "platform-2025"
    data.mkdir()
    meta = metadata(model, spec, own_data_training(data, 12, 900))
    assert meta["edu.training_data"] == "own data: platform-2025, 12 sessions, 900 labelled steps"
    assert "synthetic" not in meta["edu.training_data"] and "EduAffect" not in meta["edu.training_data"]
    assert meta["edu.benchmark_fingerprint"] == "none (own data)"
    assert meta["edu.benchmark"].startswith("none") and spec.fingerprint in meta["edu.benchmark"]
    assert json.loads(meta["edu.input_dims"]) == {"audio": 16, "visual": 24, "text": 8}
