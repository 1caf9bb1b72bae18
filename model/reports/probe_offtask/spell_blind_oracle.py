import numpy as np
from edu_emotionnet import oracle
from edu_emotionnet.spec import load
from edu_emotionnet.metrics import scores
from edu_emotionnet.evaluate import test_set
spec = load("benchmark/spec_offtask.json"); base = load()
for rate in (0.0, 0.6):
    f1, on, off = [], [], []
    for seed in range(6):
        t = test_set(spec, seed, rate, 200)
        p = oracle.predict(base, t); v = t.valid
        f1.append(scores(t.labels, p, 4)["macro_f1"])
        on.append((p[v & ~t.off_task] == t.labels[v & ~t.off_task]).mean()); off.append((p[v & t.off_task] == t.labels[v & t.off_task]).mean())
    print(f"spell-blind oracle at {rate}: macro-F1 {np.mean(f1):.3f} ± {np.std(f1, ddof=1):.3f}, acc on-task {np.mean(on):.3f}, off-task {np.mean(off):.3f} ± {np.std(off, ddof=1):.3f}")
