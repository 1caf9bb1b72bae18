import json, sys
from edu_emotionnet.evaluate import EvalConfig, run

if __name__ == "__main__":
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    cfg = EvalConfig(seeds=seeds, rates=(0.0, 0.6), systems=("edu_emotionnet", "no_cmaa", "no_mie"), workers=2)
    rep = run(sys.argv[1], cfg, log=lambda m: print(m, flush=True))
    json.dump(rep, open(sys.argv[2], "w"), indent=1)
    for s, r in rep["results"].items():
        print(s, {k: (round(v["macro_f1"]["mean"], 4), round(v["macro_f1"]["std"], 4), round(v["accuracy"]["mean"], 4)) for k, v in r.items()})
    print(rep["targets"], rep["run"])
