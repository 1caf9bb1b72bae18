"""Seeds beyond evaluate.run's range(seeds): the same training and test sets as evaluate._run_system,
plus accuracy on on-task vs off-task steps."""
import json, sys, time
from dataclasses import asdict
from multiprocessing import get_context
import numpy as np
from edu_emotionnet.evaluate import EvalConfig, test_set
from edu_emotionnet.metrics import scores
from edu_emotionnet.spec import load
from edu_emotionnet.train import TrainConfig, generator_epochs, predict, train
from edu_emotionnet import oracle

def job(args):
    spec_path, system, seed, cfg = args
    spec = load(spec_path)
    out = {"system": system, "seed": seed, "scores": {}}
    if system == "oracle":
        model = None
    else:
        tcfg = TrainConfig(**{**asdict(cfg.train), "seed": seed, "threads": 1})
        model = train(system, generator_epochs(spec, tcfg), cfg.model, tcfg)
    for rate in cfg.rates:
        test = test_set(spec, seed, rate, cfg.test_learners)
        pred = oracle.predict(spec, test) if model is None else predict(model, test)[0].argmax(-1)
        sc = scores(test.labels, pred, spec.num_classes)
        v = test.valid
        on, off = v & ~test.off_task, v & test.off_task
        sc["acc_on_task"] = float((pred[on] == test.labels[on]).mean())
        sc["acc_off_task"] = float((pred[off] == test.labels[off]).mean())
        sc.pop("per_class_f1", None)
        out["scores"][f"{rate:.1f}"] = sc
    return out

if __name__ == "__main__":
    spec_path, out_path = sys.argv[1], sys.argv[2]
    seeds = [int(s) for s in sys.argv[3].split(",")]
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    systems = tuple(sys.argv[5].split(",")) if len(sys.argv) > 5 else ("oracle", "edu_emotionnet", "no_mie", "no_cmaa")
    cfg = EvalConfig(rates=(0.0, 0.6), workers=2, train=TrainConfig(epochs=epochs))
    tasks = [(spec_path, s, seed, cfg) for seed in seeds for s in systems]
    t0 = time.time(); res = []
    with get_context("spawn").Pool(2) as pool:
        for r in pool.imap_unordered(job, tasks):
            res.append(r); print(r["system"], r["seed"], {k: {kk: round(vv, 4) for kk, vv in v.items()} for k, v in r["scores"].items()}, f"{time.time()-t0:.0f}s", flush=True)
            json.dump(res, open(out_path, "w"), indent=1)
