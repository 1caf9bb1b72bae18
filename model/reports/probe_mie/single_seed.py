"""One seed, one system: train on the (lagged) benchmark and print accuracy / macro-F1 next to the
lag-aware oracle, and what the MIE weights mean (AUC clean vs interference and vs noise burst, mean
weight per level, class R²) at 40 % missing. The quick check used while designing model 2.0.0, when
the full `evaluate` could not run (machine load); its output is quoted in model/README.md.

    cd model && /usr/bin/python3 reports/probe_mie/single_seed.py edu_emotionnet 4
    cd model && SEED=1 /usr/bin/python3 reports/probe_mie/single_seed.py edu_emotionnet 6   # another training seed
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from edu_emotionnet import oracle, spec as spec_mod  # noqa: E402
from edu_emotionnet.evaluate import auc, mie_statistics, test_set  # noqa: E402
from edu_emotionnet.metrics import scores  # noqa: E402
from edu_emotionnet.model import ModelConfig  # noqa: E402
from edu_emotionnet.train import TrainConfig, generator_epochs, predict, train  # noqa: E402

system = sys.argv[1] if len(sys.argv) > 1 else "edu_emotionnet"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 4
spec = spec_mod.load()
if len(sys.argv) > 3 and sys.argv[3] == "nolag":
    spec = spec.without_lag()
cfg = TrainConfig(epochs=epochs, seed=int(os.environ.get("SEED", "0")), threads=1)  # the test sets stay seed 0's
start = time.time()
model = train(system, generator_epochs(spec, cfg), ModelConfig(), cfg, log=print)
print("train", time.time() - start)
for rate in (0.0, 0.4, 0.6):
    test = test_set(spec, 0, rate, 100)
    logp, w = predict(model, test)
    sc = scores(test.labels, logp.argmax(-1), spec.num_classes)
    line = f"rate {rate} acc {sc['accuracy']:.4f} f1 {sc['macro_f1']:.4f}"
    if rate in (0.0, 0.6):
        so = scores(test.labels, oracle.predict(spec, test), spec.num_classes)
        line += f" | oracle acc {so['accuracy']:.4f} f1 {so['macro_f1']:.4f}"
    print(line)
    if w is not None and rate == 0.4:
        for m, v in mie_statistics(spec, test, w, logp.argmax(-1)).items():
            b = v["weights_by_level"]
            print(m, "auc_int %.3f auc_noise %.3f" % (auc(b["clean"], b["interference"]), auc(b["clean"], b["noisy"])),
                  {k: round(x, 3) for k, x in v["mean_weight"].items()}, "r2 %.3f" % v["class_r2"])
