"""What the lag costs an ideal filter: the lag-aware and the lag-blind oracle on the same lagged sessions
(200 learners, 0 % missing, generator seed 1), accuracy and wall time.

    cd model && /usr/bin/python3 reports/probe_mie/lag_oracle.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet import generator, oracle, spec as spec_mod  # noqa: E402

spec = spec_mod.load()
s = generator.generate(spec, 200, seed=1, missing_rate=0.0)
for name, filter_spec in (("lag-aware", spec), ("lag-blind", spec.without_lag())):
    start = time.time()
    post = oracle.filter_posteriors(filter_spec, s)
    acc = (post.argmax(-1)[s.valid] == s.labels[s.valid]).mean()
    print(f"{name} oracle: accuracy {acc:.4f} ({time.time() - start:.0f} s)")
