"""evaluation.md and its plots, from the evaluation JSON."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SYSTEM_NAMES = {
    "edu_emotionnet": "Edu-EmotionNet (CMAA + MIE + TFL)",
    "no_cmaa": "− CMAA",
    "no_mie": "− MIE",
    "no_tfl": "− TFL",
    "early_fusion": "Early-fusion MLP",
    "late_fusion": "Late fusion",
    "mult_style": "MulT-style cross-attention",
    "oracle": "Oracle (Bayes filter, all modalities)",
    "oracle_lag_blind": "Oracle blind to the lag (filter of the unlagged benchmark)",
    "oracle_audio": "Oracle, audio only",
    "oracle_visual": "Oracle, visual only",
    "oracle_text": "Oracle, text only",
}
CLASS_COLOURS = ["#d62728", "#2ca02c", "#7f7f7f", "#ff7f0e"]
# evaluation.json files written before the level names were recorded: the spec's three levels
DEFAULT_LEVELS = ["clean", "noisy", "interference"]


def _fmt(ms: dict) -> str:
    return f"{ms['mean']:.3f} ± {ms['std']:.3f}"


def macro_f1_table(first_header: str, results: dict, keys: list[str]) -> list[str]:
    """A markdown table of each system's macro-F1 (mean ± std) at each missing rate."""
    lines = ["| " + first_header + " | " + " | ".join(f"{int(float(k) * 100)} % missing" for k in keys) + " |",
             "| --- | " + " | ".join("---" for _ in keys) + " |"]
    for name in results:
        lines.append(f"| {SYSTEM_NAMES.get(name, name)} | " + " | ".join(_fmt(results[name][k]["macro_f1"]) for k in keys) + " |")
    return lines


def write_plots(report: dict, out_dir: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    classes = ["confusion", "curiosity", "boredom", "frustration"]
    tl = report.get("timeline_sample")
    if tl:
        n = len(tl["labels"])
        fig, axes = plt.subplots(n, 1, figsize=(11, 2.6 * n), sharex=False)
        for i, ax in enumerate(np.atleast_1d(axes)):
            length = tl["lengths"][i]
            t = np.arange(length) * 2.0
            ax.step(t, tl["labels"][i][:length], where="post", color="black", lw=2, label="truth (felt)")
            ax.step(t, np.array(tl["predictions"][i][:length]) + 0.08, where="post", color="tab:blue", lw=1.2,
                    label="Edu-EmotionNet")
            mask = np.array(tl["mask"][i][:length])
            for mi, (name, y) in enumerate(zip(("audio", "visual", "text"), (-0.9, -0.7, -0.5))):
                ax.scatter(t[mask[:, mi] > 0], np.full((mask[:, mi] > 0).sum(), y), s=3, marker="s",
                           color=["tab:purple", "tab:cyan", "tab:olive"][mi], label=f"{name} present")
            ax.set_yticks(range(4))
            ax.set_yticklabels(classes)
            ax.set_ylim(-1.1, 3.5)
            ax.set_xlabel("seconds")
            ax.set_title(f"sample learner {i + 1} (40 % missing)", fontsize=9)
        np.atleast_1d(axes)[0].legend(loc="upper right", fontsize=7, ncol=5)
        fig.tight_layout()
        files["timeline"] = "timeline.png"
        fig.savefig(out_dir / files["timeline"], dpi=110)
        plt.close(fig)
    levels = report.get("mie_weight_by_noise_level")
    if levels:
        # the levels are categories, not a noise axis: interference has the clean noise std, so a
        # noise-std x-axis would double back on itself
        fig, ax = plt.subplots(figsize=(6.5, 5))
        names = levels["audio"].get("levels", DEFAULT_LEVELS)
        for k, (name, colour) in enumerate(zip(("audio", "visual", "text"), ("tab:purple", "tab:cyan", "tab:olive"))):
            d = levels[name]
            corr = report["mie_noise_correlation"][name]
            x = np.arange(len(d["mean_weight"])) + (k - 1) * 0.12
            ax.plot(x, d["mean_weight"], "o", ms=8, color=colour,
                    label=f"{name} (noise std {' / '.join(f'{v:g}' for v in d['noise_std'])}; r = {corr['mean']:.3f} ± {corr['std']:.3f})")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names)
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set_xlabel("noise level of the modality at the step")
        ax.set_ylabel("mean MIE weight (steps with ≥ 2 modalities)")
        ax.set_title("MIE weight per noise level (0 % missing, all seeds)")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15))  # below: points stay visible
        fig.tight_layout()
        files["mie_noise"] = "mie_vs_noise.png"
        fig.savefig(out_dir / files["mie_noise"], dpi=110)
        plt.close(fig)
    res = report["results"]
    rates = report["config"]["rates"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in res:
        ys = [res[name][f"{r:.1f}"]["macro_f1"]["mean"] for r in rates]
        style = "--" if name.startswith("oracle") else "-"
        lw = 2.5 if name == "edu_emotionnet" else 1.2
        ax.plot([100 * r for r in rates], ys, style, marker="o", lw=lw, label=SYSTEM_NAMES.get(name, name))
    ax.set_xlabel("missing modality-steps (%)")
    ax.set_ylabel("macro-F1 (mean of seeds)")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    files["missing"] = "macro_f1_vs_missing.png"
    fig.savefig(out_dir / files["missing"], dpi=110)
    plt.close(fig)
    return files


def target_lines(report: dict) -> list[str]:
    """The model issue's targets as measured, one bullet each (evaluation.md and model/README.md)."""
    t = report.get("targets") or {}
    if not t:
        return []
    res = report["results"]
    hi = f"{report['config']['rates'][-1]:.1f}"
    pct = int(float(hi) * 100)
    met = lambda key: "met" if t["met"].get(key) else "NOT met"  # noqa: E731
    edu = lambda k: res["edu_emotionnet"][k]["macro_f1"]  # noqa: E731
    lines = [
        f"- macro-F1 ≥ 0.97 × (lag-aware) oracle at 0 %: **{t['macro_f1_vs_oracle_at_0']:.3f}** × oracle "
        f"(Edu-EmotionNet {_fmt(edu('0.0'))}) — {met('ratio_at_0 >= 0.97')}",
        f"- macro-F1 ≥ 0.97 × (lag-aware) oracle at {pct} %: **{t[f'macro_f1_vs_oracle_at_{hi}']:.3f}** × oracle "
        f"(Edu-EmotionNet {_fmt(edu(hi))}) — {met(f'ratio_at_{hi} >= 0.97')}",
        f"- accuracy drop 0 → {pct} % ≤ 3 points: **{t[f'accuracy_drop_points_0_to_{hi}']:.2f}** points — {met(f'drop_0_to_{hi} <= 3 points')}",
    ]
    prev = t.get("no_lag_vs_previous_model")
    if prev:
        key = "not below the previous model on the unlagged benchmark by more than one seed-std"
        cells = "; ".join(f"{int(float(k) * 100)} %: {_fmt(v['now'])} vs {_fmt(v['previous'])}" for k, v in prev.items())
        lines.append(f"- not below the previous model (1.1.0) on the unlagged benchmark by more than one seed-std (macro-F1 now vs then): "
                     f"{cells} — {met(key)}")
    auc_int = report.get("mie_interference_auc") or {}
    if auc_int:
        lines.append("- MIE weight separates interference from clean steps, AUC ≥ 0.85 for every modality: "
                     + ", ".join(f"{m} {_fmt(v)}" for m, v in auc_int.items())
                     + f" — {met('mie_interference_auc >= 0.85 (every modality)')}")
        ratios = t.get("mie_interference_weight_ratio") or {}
        worst = {m: max(per[m] for per in ratios.values()) for m in auc_int} if ratios else {}
        lines.append("- mean weight at interference ≤ half the clean one, every rate (worst ratio over rates): "
                     + ", ".join(f"{m} {r:.2f}" for m, r in worst.items())
                     + f" — {met('mie weight at interference <= half of clean (every modality, every rate)')}")
        r2 = report.get("mie_class_r2") or {}
        lines.append("- share of the weight's variance explained by the displayed class ≤ 0.3: "
                     + ", ".join(f"{m} {_fmt(v)}" for m, v in r2.items()) + f" — {met('mie_class_r2 <= 0.3 (every modality)')}")
    best = t.get(f"best_other_macro_f1_at_{hi}")
    if best:
        lines.append(f"- (not a target of this issue) above every ablation and baseline at {pct} %: Edu-EmotionNet {edu(hi)['mean']:.3f}, "
                     f"best other {SYSTEM_NAMES.get(best[0], best[0])} {best[1]:.3f} — "
                     + ("yes" if t["met"].get(f"above_all_ablations_and_baselines_at_{hi}") else "no"))
    cm = t.get("cmaa_value")
    if cm:
        def diff(v):
            return "n/a" if v is None else f"{v['mean']:+.4f} ± {v['std']:.4f}"
        lines.append("- CMAA's value on the lagged benchmark (macro-F1, full model minus the other, paired by seed): "
                     + "; ".join(f"{int(float(k) * 100)} %: vs − CMAA {diff(v['vs_no_cmaa'])}, vs MulT-style {diff(v['vs_mult_style'])}"
                                 for k, v in cm.items()))
    gain = t.get("lag_aware_oracle_gain")
    if gain:
        lines.append("- what modelling the lag is worth to an ideal filter (lag-aware minus lag-blind oracle, macro-F1): "
                     + ", ".join(f"{int(float(k) * 100)} % {v:+.4f}" for k, v in gain.items()))
    return lines


def training_note(report: dict, shipped: dict | None = None, link: str = "reports/shipped_model.json") -> str:
    """How long each evaluated system trains, and where the shipped model's own scores are."""
    tr = report["config"]["train"]
    trained = (shipped or {}).get("trained") or {}
    if "epochs" in trained:
        longer = "shorter than" if tr["epochs"] < trained["epochs"] else ("longer than" if tr["epochs"] > trained["epochs"] else "as long as")
        note = (f"Each learned system here is trained for {tr['epochs']} epochs × {tr['sessions_per_epoch']} sessions per seed, "
                f"{longer} the shipped model (`build`: {trained['epochs']} epochs × {trained['sessions_per_epoch']} sessions, "
                f"seed {trained['seed']})")
    else:
        note = f"Each learned system here is trained for {tr['epochs']} epochs × {tr['sessions_per_epoch']} sessions per seed"
    version = (shipped or {}).get("model_version")
    if version and version != report.get("model_version"):
        note += f"; the shipped model is version {version}, the evaluated one {report.get('model_version')}"
    learners = (shipped or {}).get("learners_per_rate", 4000)
    note += (f". The shipped model itself is scored in [reports/shipped_model.json]({link}) "
             f"(every step of {learners:,} learners per missing rate".replace(",", " ")
             + "; what the Flink job's streaming run is compared with)")
    if shipped and shipped.get("results"):
        note += ": macro-F1 " + " / ".join(f"{v['macro_f1']:.3f}" for v in shipped["results"].values()) + " at " + \
            " / ".join(f"{int(float(k) * 100)}" for k in shipped["results"]) + " % missing"
    return note + "."


def write_markdown(report: dict, plots: dict, shipped: dict | None = None) -> str:
    res = report["results"]
    rates = report["config"]["rates"]
    keys = [f"{r:.1f}" for r in rates]
    lines = [
        "# Edu-EmotionNet evaluation on EduAffect-Synth",
        "",
        f"Benchmark **{report['benchmark']['name']} {report['benchmark']['version']}** — synthetic "
        f"(`{report['benchmark']['fingerprint'][:19]}…`); model version {report['model_version']}. "
        f"{report['config']['seeds']} seeds; each seed trains every system on its own generator data and "
        f"scores it on its own test sets ({report['config']['test_learners_per_seed_and_rate']} learners per "
        "missing rate). Mean ± standard deviation over seeds.",
        "",
        training_note(report, shipped, link="shipped_model.json"),  # evaluation.md sits in reports/
        "",
        "Produced by `cd model && /usr/bin/python3 -m edu_emotionnet evaluate` in "
        f"{report['run']['wall_seconds'] / 60:.1f} min on {report['run']['machine']['cpu']} "
        f"({report['run']['machine']['cores']} cores, torch {report['run']['machine']['torch']}).",
        "",
        "## Macro-F1",
        "",
        *macro_f1_table("system", res, keys),
    ]
    lines += ["", "## Accuracy", "", "| system | " + " | ".join(f"{int(float(k) * 100)} %" for k in keys) + " |",
              "| --- | " + " | ".join("---" for _ in keys) + " |"]
    for name in res:
        lines.append(f"| {SYSTEM_NAMES.get(name, name)} | " + " | ".join(_fmt(res[name][k]["accuracy"]) for k in keys) + " |")
    no_lag = report.get("results_no_lag")
    if no_lag:
        lines += ["", "## Macro-F1 on the unlagged benchmark (`results_no_lag`)", "",
                  "The same systems trained and scored on the benchmark without its cross-modal lag (every modality "
                  "shows the current expressed state; the earlier versions' benchmark), "
                  f"{report['config'].get('seeds_no_lag') or report['config']['seeds']} seeds.", ""]
        lines += macro_f1_table("system", no_lag, keys)
    lines += mie_lines(report)
    pc = report["per_class_f1"]
    classes = list(next(iter(next(iter(pc.values())).values())).keys())
    lines += ["", "## Per-class F1 at 0 % and 60 % missing", "",
              "| system | " + " | ".join(f"{c} 0 %" for c in classes) + " | " + " | ".join(f"{c} 60 %" for c in classes) + " |",
              "| --- |" + " --- |" * (2 * len(classes))]
    for name in pc:
        cells = [f"{pc[name][k][c]['mean']:.3f}" for k in (keys[0], keys[-1]) for c in classes]
        lines.append(f"| {SYSTEM_NAMES.get(name, name)} | " + " | ".join(cells) + " |")
    targets = target_lines(report)
    if targets:
        lines += ["", "## Targets (measured, not asserted in tests)", ""] + targets
    mc = report.get("mie_noise_correlation") or {}
    if mc:
        lines += ["", "## MIE weight vs injected noise", "", MIE_CORRELATION_TEXT, ""]
        bound = (report.get("targets") or {}).get("mie_correlation_upper_bound") or {}
        for m, c in mc.items():
            extra = f" (mean + 2 SE = {bound[m]:+.3f})" if m in bound else ""
            lines.append(f"- {m}: {_fmt(c)}{extra}")
        levels = report.get("mie_weight_by_noise_level") or {}
        if levels:
            names = next(iter(levels.values())).get("levels", DEFAULT_LEVELS)
            lines += ["", "Mean MIE weight per noise level (0 % missing, steps with ≥ 2 modalities present, mean over seeds):", "",
                      "| modality | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
            for m, d in levels.items():
                lines.append(f"| {m} | " + " | ".join(f"{w:.3f}" for w in d["mean_weight"]) + " |")
    ts = report.get("train_seconds") or {}
    if ts:
        lines += ["", "## Training time per run (one thread)", ""]
        for name, v in ts.items():
            lines.append(f"- {SYSTEM_NAMES.get(name, name)}: {v['mean']:.0f} s")
    lines += [""]
    for key, title in (("missing", "Macro-F1 vs missing rate"), ("timeline", "Emotion timeline vs truth"),
                       ("mie_noise", "MIE weight per noise level")):
        if key in plots:
            lines += [f"## {title}", "", f"![{title}]({plots[key]})", ""]
    return "\n".join(lines)


def mie_lines(report: dict) -> list[str]:
    """What the MIE weights mean, measured: AUCs, mean weight per level and rate, class R²."""
    auc_int = report.get("mie_interference_auc") or {}
    if not auc_int:
        return []
    lines = ["", "## What the MIE weights mean", "",
             "A weight is the modality's reliability as the MIE estimates it from this step and the modality's recent record "
             "in the session: the probability that the modality's own evidence names the true class (its most plausible "
             "class, or within a factor 2 of it) (0 to 1, exactly 0 when the modality "
             "is missing; weights are not normalised over modalities). Measured on "
             "steps where the modality is present, Edu-EmotionNet, lagged benchmark, pooled over the missing rates, "
             "mean ± std over seeds:", "",
             "| modality | AUC clean vs interference | AUC clean vs noise burst | class R² |", "| --- | --- | --- | --- |"]
    for m, v in auc_int.items():
        lines.append(f"| {m} | {_fmt(v)} | {_fmt(report['mie_noise_auc'][m])} | {_fmt(report['mie_class_r2'][m])} |")
    by_level = report.get("mie_weight_by_level") or {}
    if by_level:
        levels = list(next(iter(next(iter(by_level.values())).values())).keys())
        lines += ["", "Mean weight per level (mean over seeds):", "",
                  "| missing | modality | " + " | ".join(levels) + " |", "| --- | --- |" + " --- |" * len(levels)]
        for key, per in by_level.items():
            for m, lv in per.items():
                lines.append(f"| {int(float(key) * 100)} % | {m} | " + " | ".join(f"{lv[l]:.3f}" for l in levels) + " |")
    return lines


MIE_CORRELATION_TEXT = (
    "Pearson correlation between a modality's MIE weight and the ambient noise std injected at the step's noise "
    "level (the modality's noise std × the level's multiplier), on steps where it and at least one other modality "
    "are present; per missing rate, averaged over the rates within a seed, then mean ± std over seeds. Interference "
    "steps are included with the clean level's noise std (interference shows another state at normal energy and "
    "adds no noise): the correlation is against ambient noise alone, an interference step counts as a low-noise "
    "step, and a lower weight there pushes the correlation up, not down. A correlation counts as negative only "
    "where mean + 2·std/√seeds < 0."
)

README_START = "<!-- results:start (written by `python3 -m edu_emotionnet evaluate`) -->"
README_END = "<!-- results:end -->"


def results_section(report: dict, shipped: dict | None = None) -> str:
    """The headline tables for model/README.md, from the evaluation JSON."""
    res = report["results"]
    keys = [f"{r:.1f}" for r in report["config"]["rates"]]
    lines = [
        README_START,
        f"Measured by `cd model && /usr/bin/python3 -m edu_emotionnet evaluate` on {report['run']['machine']['cpu']} "
        f"({report['run']['machine']['cores']} cores) in {report['run']['wall_seconds'] / 60:.1f} min; "
        f"{report['config']['seeds']} seeds, mean ± std. Full report: [reports/evaluation.md](reports/evaluation.md).",
        "",
        *macro_f1_table("macro-F1", res, keys),
    ]
    no_lag = report.get("results_no_lag")
    if no_lag:
        lines += ["", f"The same systems on the unlagged benchmark (`results_no_lag`, "
                  f"{report['config'].get('seeds_no_lag') or report['config']['seeds']} seeds):", ""]
        lines += macro_f1_table("macro-F1, no lag", no_lag, keys)
    lines += mie_lines(report)
    lines += ["", training_note(report, shipped)]
    targets = target_lines(report)
    if targets:
        lines += ["", "Targets of the model issue, as measured:", ""] + targets
    lines.append(README_END)
    return "\n".join(lines)


def update_readme(report: dict, readme: Path) -> bool:
    """Replace the results section of model/README.md; False when the markers are missing."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    before = text[: text.index(README_START)]
    after = text[text.index(README_END) + len(README_END):]
    shipped_path = readme.parent / "reports" / "shipped_model.json"
    shipped = json.loads(shipped_path.read_text(encoding="utf-8")) if shipped_path.exists() else None
    readme.write_text(before + results_section(report, shipped) + after, encoding="utf-8")
    return True
