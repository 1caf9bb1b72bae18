"""Command line: python3 -m edu_emotionnet <command> (run from model/). See model/README.md."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CHECKPOINT = MODEL_DIR / "checkpoints" / "edu_emotionnet.pt"
DEFAULT_ONNX = MODEL_DIR / "edu_emotionnet.onnx"
DEFAULT_GOLDEN = MODEL_DIR / "golden"
DEFAULT_REPORTS = MODEL_DIR / "reports"
DEFAULT_STATS = MODEL_DIR / "benchmark" / "reference_stats.json"
# the shipped model's committed files: what `build` and `export` write unless told otherwise
DEFAULT_OUTPUTS = {"out": DEFAULT_CHECKPOINT, "onnx": DEFAULT_ONNX, "golden": DEFAULT_GOLDEN}


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"missing rate must be a number, got '{text}'") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"missing rate must be in [0, 1), got {v}")
    return v


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got '{text}'") from None
    if not 0.0 <= v <= 1.0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be a share in [0, 1], got {v}")
    return v


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {v}")
    return v


def _log(msg: str) -> None:
    print(msg, flush=True)


def _output_paths(args, names: tuple[str, ...], own_data: bool) -> None:
    """Fill in the default output paths, except for a model trained on own data: the defaults are
    the shipped model's committed files, which such a model must not silently replace."""
    missing = [n for n in names if getattr(args, n, None) is None]
    if own_data and missing:
        raise ValueError(
            f"a model trained on --data needs explicit output paths: give {', '.join('--' + n for n in missing)} "
            "(the defaults are the shipped model's committed files)"
        )
    for n in missing:
        setattr(args, n, str(DEFAULT_OUTPUTS[n]))


def cmd_make_spec(args) -> None:
    from . import spec_builder
    from .spec import DEFAULT_SPEC_PATH

    if args.off_task and Path(args.out).resolve() == DEFAULT_SPEC_PATH.resolve():
        raise ValueError("--off-task writes a benchmark variant: give --out (e.g. benchmark/spec_offtask.json)")
    path = spec_builder.write(
        Path(args.out),
        off_task=spec_builder.OFF_TASK if args.off_task else None,
        mask_start=spec_builder.OFF_TASK_MASK_START if args.off_task else spec_builder.MASK_START,
        lag=not args.off_task,  # the off-task probe was measured on the unlagged benchmark
    )
    _log(f"wrote {path}")


def cmd_stats(args) -> None:
    from .spec import load
    from .stats import reference

    spec = load(args.spec)
    out = Path(args.out)
    out.write_text(json.dumps(reference(spec), indent=1) + "\n", encoding="utf-8")
    _log(f"wrote {out}")


def cmd_generate(args) -> None:
    from .data import write_jsonl
    from .generator import generate
    from .spec import load

    spec = load(args.spec)
    sessions = generate(spec, args.learners, seed=args.seed, missing_rate=args.missing_rate,
                        sessions_per_learner=args.sessions_per_learner)
    rows = write_jsonl(sessions, spec, args.out, with_labels=not args.no_labels)
    _log(f"wrote {rows} steps of {len(sessions)} sessions to {args.out}")


def _train_config(args):
    from .train import TrainConfig

    return TrainConfig(epochs=args.epochs, sessions_per_epoch=args.sessions_per_epoch, seed=args.seed,
                       teacher_start=args.teacher_forcing)


def _train(args, spec):
    from .data import read_jsonl
    from .export import SYNTHETIC_TRAINING, own_data_training
    from .model import ModelConfig
    from .spec import MODALITIES
    from .train import generator_epochs, train

    cfg = _train_config(args)
    dims = tuple(spec.dims[m] for m in MODALITIES)
    training = SYNTHETIC_TRAINING
    if args.data:
        # own data: embedding sizes are the data's (first row with each modality), not the benchmark's
        sessions = read_jsonl(args.data, spec, infer_dims=True)
        labelled = int(sessions.valid.sum())
        _log(f"read {len(sessions)} sessions, {labelled} labelled steps from {args.data}")
        dims = tuple(x.shape[-1] for x in sessions.embeddings)
        if dims != tuple(spec.dims[m] for m in MODALITIES):
            _log(f"embedding sizes from the data: {dict(zip(MODALITIES, dims))}")
        training = own_data_training(Path(args.data), len(sessions), labelled)
        source = sessions
    else:
        _log(f"training on EduAffect-Synth: {cfg.epochs} epochs of {cfg.sessions_per_epoch} fresh sessions")
        source = generator_epochs(spec, cfg)
    model_cfg = ModelConfig(
        dims=dims,
        num_classes=spec.num_classes,
        quality_ranges=tuple(m.quality_range for m in spec.modalities),
    )
    model = train(args.system, source, model_cfg, cfg, log=_log)
    return model, cfg, training


def cmd_train(args) -> None:
    from .export import save_checkpoint
    from .spec import load

    _output_paths(args, ("out",), own_data=bool(args.data))
    spec = load(args.spec)
    if args.system != "edu_emotionnet":
        raise ValueError("only edu_emotionnet checkpoints can be saved for export; use `evaluate` for the others")
    model, cfg, training = _train(args, spec)
    save_checkpoint(model, spec, Path(args.out), asdict(cfg), training)
    _log(f"wrote {args.out}")


def cmd_export(args) -> None:
    """Checkpoint -> ONNX, golden vectors and (synthetic-trained models only) the shipped scores; no training."""
    from .export import export_onnx, load_checkpoint, shipped_scores, training_source, write_golden
    from .spec import load

    spec = load(args.spec)
    model, ckpt = load_checkpoint(Path(args.checkpoint))
    training = training_source(ckpt)
    own_data = training["kind"] != "synthetic"
    _output_paths(args, ("onnx", "golden"), own_data)
    if ckpt["spec_fingerprint"] != spec.fingerprint:
        raise ValueError(f"checkpoint was trained on benchmark {ckpt['spec_fingerprint'][:19]}…, "
                         f"the spec is {spec.fingerprint[:19]}…: retrain with `build`")
    size = export_onnx(model, spec, Path(args.onnx), training)
    _log(f"wrote {args.onnx} ({size / 1024:.0f} KiB, opset 17, onnx.checker passed)")
    write_golden(model, spec, Path(args.golden), training=training)
    _log(f"wrote golden vectors to {args.golden}")
    if own_data:
        # synthetic-benchmark scores say nothing about a model trained on own data, and
        # reports/shipped_model.json belongs to the shipped model
        _log(f"no benchmark scores for a model trained on {training['description']}: evaluate it on held-out learners of your own")
    elif not args.skip_scores:
        scores = shipped_scores(model, spec, learners=args.score_learners, train_config=ckpt.get("train_config"))
        out = DEFAULT_REPORTS / "shipped_model.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(scores, indent=1) + "\n", encoding="utf-8")
        for rate, s in scores["results"].items():
            _log(f"shipped model at {float(rate):.0%} missing: accuracy {s['accuracy']:.3f}, macro-F1 {s['macro_f1']:.3f}")
        _log(f"wrote {out}")


def cmd_build(args) -> None:
    """Train the shipped model and export it: the one command that retrains and rebuilds edu_emotionnet.onnx
    (`export` re-exports an existing checkpoint without training)."""
    start = time.time()
    args.system = "edu_emotionnet"
    # before training, not after: an own-data build must name all its outputs
    _output_paths(args, ("out", "onnx", "golden"), own_data=bool(args.data))
    cmd_train(args)
    args.checkpoint = args.out
    cmd_export(args)
    _log(f"build took {time.time() - start:.0f}s")


def cmd_levels(args) -> None:
    from .reliability import level_information
    from .spec import load

    spec = load(args.spec)
    print(f"one-step accuracy of each modality's own evidence (displayed state; true level and learner offset known), "
          f"{args.learners} learners at 0 % missing; chance 1/{spec.num_classes}")
    for name, rows in level_information(spec, args.learners).items():
        cells = ", ".join(f"{r['level']} {r['one_step_accuracy']:.3f} ({r['share']:.0%} of steps)" for r in rows)
        print(f"  {name:6s} {cells}")


def cmd_evaluate(args) -> None:
    from .evaluate import EvalConfig, run, write
    from .train import TrainConfig

    cfg = EvalConfig(seeds=args.seeds, test_learners=args.test_learners, workers=args.workers, no_lag=not args.skip_no_lag,
                     no_lag_seeds=args.no_lag_seeds,
                     train=TrainConfig(epochs=args.epochs, sessions_per_epoch=args.sessions_per_epoch))
    if args.quick:
        cfg = EvalConfig(seeds=2, test_learners=40, workers=args.workers, no_lag=not args.skip_no_lag,
                         train=TrainConfig(epochs=1, sessions_per_epoch=64))
    report = run(args.spec, cfg, log=_log)
    # the full run also refreshes the results section of model/README.md; a quick run never does
    write(report, Path(args.out_dir), None if args.quick else MODEL_DIR / "README.md")
    _log(f"wrote {args.out_dir}/evaluation.json and evaluation.md in {report['run']['wall_seconds'] / 60:.1f} min")
    for k, v in (report.get("targets") or {}).get("met", {}).items():
        _log(f"  target {k}: {'met' if v else 'NOT met'}")


def cmd_posteriors(args) -> None:
    """Model and oracle posteriors on fresh sessions, for the Java command that measures the intervention rules."""
    from .posteriors import write
    from .spec import load

    rates = tuple(_rate(r) for r in args.rates.split(","))
    start = time.time()
    n = write(load(args.spec), Path(args.checkpoint), Path(args.out), rates, args.learners, args.seed, log=_log)
    _log(f"wrote {n} sessions to {args.out} in {time.time() - start:.0f}s")


def cmd_report(args) -> None:
    """evaluation.md, plots and the README's results from an existing evaluation.json: no training."""
    from .evaluate import rerender

    out_dir = Path(args.out_dir)
    # the README shows the committed evaluation only, never one written elsewhere (e.g. a quick run)
    readme = MODEL_DIR / "README.md" if out_dir.resolve() == DEFAULT_REPORTS.resolve() else None
    report = rerender(out_dir, readme)
    _log(f"rendered {out_dir}/evaluation.md and plots from evaluation.json" + (" and the README's results" if readme else ""))
    for k, v in (report.get("targets") or {}).get("met", {}).items():
        _log(f"  target {k}: {'met' if v else 'NOT met'}")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line naming the problem, not the usage block
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def parser() -> argparse.ArgumentParser:
    from .spec import DEFAULT_SPEC_PATH

    p = _Parser(prog="python3 -m edu_emotionnet", description=__doc__)
    p.add_argument("--spec", default=str(DEFAULT_SPEC_PATH), help="benchmark spec file (default: benchmark/spec.json)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("make-spec", help="write benchmark/spec.json from the design in spec_builder.py")
    s.add_argument("--out", default=str(DEFAULT_SPEC_PATH))
    s.add_argument("--off-task", action="store_true", help="the off-task-spells variant (spec_builder.OFF_TASK)")
    s.set_defaults(func=cmd_make_spec)

    s = sub.add_parser("stats", help="write the generator's reference statistics (for the Java sampler test)")
    s.add_argument("--out", default=str(DEFAULT_STATS))
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("generate", help="write synthetic sessions in the training-data format (JSON Lines)")
    s.add_argument("--learners", type=_positive, default=50)
    s.add_argument("--sessions-per-learner", type=_positive, default=1)
    s.add_argument("--missing-rate", type=_rate, default=0.0)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--no-labels", action="store_true", help="leave labels null, like the job's aligned-steps output")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_generate)

    for name, func, help_text in (
        ("train", cmd_train, "train Edu-EmotionNet (on the generator, or on --data) and save a checkpoint"),
        ("build", cmd_build, "train the shipped model and export ONNX, golden vectors and its scores"),
    ):
        s = sub.add_parser(name, help=help_text)
        s.add_argument("--data", help="your own labelled steps: a .jsonl file or a directory of them")
        s.add_argument("--system", default="edu_emotionnet", help="(train) which system")
        s.add_argument("--epochs", type=_positive, default=12)
        s.add_argument("--sessions-per-epoch", type=_positive, default=400, help="generator only")
        s.add_argument("--teacher-forcing", type=_share, default=0.0,
                       help="initial share of ground truth in the fed-back prediction, in [0, 1] (fades to 0)")
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--out", help="checkpoint (default: checkpoints/edu_emotionnet.pt; required with --data)")
        if name == "build":
            s.add_argument("--onnx", help="ONNX file (default: edu_emotionnet.onnx; required with --data)")
            s.add_argument("--golden", help="golden-vector directory (default: golden/; required with --data)")
            s.add_argument("--skip-scores", action="store_true")
            s.add_argument("--score-learners", type=_positive, default=4000,
                           help="learners per missing rate for reports/shipped_model.json (default 4000)")
        s.set_defaults(func=func)

    s = sub.add_parser("export", help="export a checkpoint to ONNX with metadata, golden vectors and scores (no training)")
    s.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    s.add_argument("--onnx", help="ONNX file (default: edu_emotionnet.onnx; required for an own-data checkpoint)")
    s.add_argument("--golden", help="golden-vector directory (default: golden/; required for an own-data checkpoint)")
    s.add_argument("--skip-scores", action="store_true", help="do not recompute reports/shipped_model.json (minutes)")
    s.add_argument("--score-learners", type=_positive, default=4000,
                   help="learners per missing rate for reports/shipped_model.json (default 4000)")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("evaluate", help="the full report: 5 seeds, missing rates, ablations, baselines, oracles")
    s.add_argument("--seeds", type=_positive, default=5)
    s.add_argument("--epochs", type=_positive, default=6)
    s.add_argument("--sessions-per-epoch", type=_positive, default=400)
    s.add_argument("--test-learners", type=_positive, default=200)
    s.add_argument("--workers", type=_positive, default=2)
    s.add_argument("--quick", action="store_true", help="a tiny run to check the pipeline (numbers meaningless)")
    s.add_argument("--skip-no-lag", action="store_true",
                   help="score the lagged benchmark only (no results_no_lag: half the time)")
    s.add_argument("--no-lag-seeds", type=_positive, default=None,
                   help="seeds for results_no_lag (default: --seeds)")
    s.add_argument("--out-dir", default=str(DEFAULT_REPORTS))
    s.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("levels", help="what each noise level costs each modality's own one-step evidence (seconds)")
    s.add_argument("--learners", type=_positive, default=300)
    s.set_defaults(func=cmd_levels)

    s = sub.add_parser("posteriors", help="per-step posteriors of the model and the oracle on fresh sessions "
                       "(JSON Lines, for measuring the job's intervention rules)")
    s.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    s.add_argument("--rates", default="0.2,0.6", help="missing rates, comma-separated")
    s.add_argument("--learners", type=_positive, default=1000, help="sessions per missing rate")
    s.add_argument("--seed", type=int, default=7_300_000)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_posteriors)

    s = sub.add_parser("report", help="re-render evaluation.md, plots and the README's results from evaluation.json "
                       "(targets judged again; no training)")
    s.add_argument("--out-dir", default=str(DEFAULT_REPORTS))
    s.set_defaults(func=cmd_report)
    return p


def main(argv=None) -> int:
    from .data import DataError
    from .generator import GeneratorError
    from .spec import SpecError

    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (SpecError, DataError, GeneratorError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
