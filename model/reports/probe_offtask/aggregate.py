import json, sys, numpy as np
res = []
for f in sys.argv[1:]:
    res += json.load(open(f))
systems = ["edu_emotionnet", "no_cmaa", "no_mie", "oracle"]
seeds = sorted({r["seed"] for r in res})
print("seeds", seeds)
by = {(r["system"], r["seed"]): r["scores"] for r in res}
for metric in ("macro_f1", "accuracy", "acc_on_task", "acc_off_task"):
    print("==", metric)
    for s in systems:
        row = []
        for rate in ("0.0", "0.6"):
            v = np.array([by[(s, sd)][rate][metric] for sd in seeds if (s, sd) in by])
            row.append(f"{rate}: {v.mean():.3f} ± {v.std(ddof=1):.3f} (n={len(v)})")
        print(f"{s:15s}", " | ".join(row))
print("== paired differences full - no_cmaa, full - no_mie (macro-F1)")
for other in ("no_cmaa", "no_mie"):
    for rate in ("0.0", "0.6"):
        d = np.array([by[("edu_emotionnet", sd)][rate]["macro_f1"] - by[(other, sd)][rate]["macro_f1"] for sd in seeds if (other, sd) in by])
        print(f"full - {other} at {rate}: {d.mean():+.4f} ± {d.std(ddof=1):.4f} (SE {d.std(ddof=1)/np.sqrt(len(d)):.4f}) per seed {np.round(d, 4).tolist()}")
for s in ("edu_emotionnet", "oracle"):
    d = np.array([100 * (by[(s, sd)]["0.0"]["accuracy"] - by[(s, sd)]["0.6"]["accuracy"]) for sd in seeds])
    print(f"{s} accuracy drop 0->60: {d.mean():.2f} ± {d.std(ddof=1):.2f} points")
