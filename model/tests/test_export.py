import json

import numpy as np
import onnx
import pytest
import torch

from edu_emotionnet.export import INPUTS, OUTPUTS, export_onnx, load_checkpoint, metadata
from edu_emotionnet.model import EduEmotionNet

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


def test_metadata_describes_model_and_current_benchmark(shipped, spec):
    meta = {p.key: p.value for p in shipped.metadata_props}
    assert json.loads(meta["edu.classes"]) == list(spec.classes)
    assert json.loads(meta["edu.input_dims"]) == spec.dims
    assert float(meta["edu.step_seconds"]) == spec.step_seconds
    assert meta["edu.benchmark_fingerprint"] == spec.fingerprint, "spec changed: rebuild with `build`"
    state = json.loads(meta["edu.state_shape"])
    assert state[0] * 4 <= 8192
    assert "edu.model_version" in meta and "synthetic" in meta["edu.training_data"]


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


def test_export_writes_metadata_and_dynamic_batch(tmp_path, spec):
    model = EduEmotionNet().eval()
    path = tmp_path / "m.onnx"
    export_onnx(model, spec, path)
    proto = onnx.load(str(path))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta == metadata(model, spec)
