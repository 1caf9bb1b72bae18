import sys
from pathlib import Path

import pytest
import torch

MODEL_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MODEL_DIR))

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def spec():
    from edu_emotionnet.spec import load

    return load()
