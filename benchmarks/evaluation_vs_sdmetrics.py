"""synthset's fidelity metrics against SDMetrics' QualityReport, and the time of ``evaluate()``.

For every dataset (adult, penguins, breast_cancer) and synthesizer (synthset's gaussian_copula,
tvae, ctgan) this fits the synthesizer on the whole dataset, samples as many rows, and scores
the sample twice:

* synthset: ``evaluate(real, fake, metrics="column_shapes,pair_trends")``,
* SDMetrics: ``QualityReport`` "Column Shapes" and "Column Pair Trends", with the neutral
  metadata of ``tabular_vs_sdv.py`` (numeric columns ``numerical``, the rest ``categorical``),

and records both, their absolute differences (target ≤ 0.02) and both libraries' seconds. As a
reference it also scores adult's real test split against its training split. Then it times the
whole ``evaluate()`` on adult (32,561 real train rows, 32,561 synthetic rows, the 16,281-row test
split as holdout, target ``income``; target ≤ 60 s on 2 cores), metric by metric.

Needs sdmetrics (the ``bench`` venv, see README.md); run from the checkout:

    PYTHONPATH=src python benchmarks/evaluation_vs_sdmetrics.py
    PYTHONPATH=src python benchmarks/evaluation_vs_sdmetrics.py --datasets penguins \
        --models gaussian_copula --name smoke      # a quick check of the whole pipeline
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tabular_vs_sdv import (  # noqa: E402  (a sibling script, not a package)
    _attempt,
    _like_real,
    machine_info,
    quality,
    sdmetrics_metadata,
)

DATASETS = ("adult", "penguins", "breast_cancer")
MODELS = ("gaussian_copula", "tvae", "ctgan")
TARGET_DIFF = 0.02
TARGET_EVALUATE_SECONDS = 60.0
THREAD_VARS = ("OMP_NUM_THREADS", "SYNTHSET_NUM_THREADS")


def _env_prefix() -> list[str]:
    """``PYTHONPATH=src`` and the thread settings this run had, for the command to reproduce."""
    return ["PYTHONPATH=src"] + [f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ]


def synthset_scores(real: pd.DataFrame, fake: pd.DataFrame, seed: int) -> dict[str, Any]:
    """synthset's column_shapes and pair_trends values (and the seconds they took)."""
    import synthset

    t0 = time.perf_counter()
    report = synthset.evaluate(real, fake, metrics="column_shapes,pair_trends", seed=seed)
    seconds = time.perf_counter() - t0
    values = {m.name: m.value for m in report.metrics}
    return {
        "column_shapes": values.get("column_shapes"),
        "pair_trends": values.get("pair_trends"),
        "seconds": seconds,
    }


def compare(real: pd.DataFrame, fake: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Score ``fake`` against ``real`` with both libraries; differences are synthset - SDMetrics."""
    rec: dict[str, Any] = {}
    ours = _attempt(rec, "synthset_error", lambda: synthset_scores(real, fake, seed))
    theirs = _attempt(
        rec,
        "sdmetrics_error",
        lambda: quality(real, _like_real(fake, real), sdmetrics_metadata(real)),
    )
    rec["synthset"], rec["sdmetrics"] = ours, theirs
    if ours and theirs:
        rec["diff"] = {
            "column_shapes": ours["column_shapes"] - theirs["column_shapes"],
            "pair_trends": ours["pair_trends"] - theirs["column_pair_trends"],
        }
    return rec


def fit_sample(name: str, model: str, params: dict[str, Any], seed: int) -> tuple[Any, Any, float]:
    """Fit ``model`` on dataset ``name``; sample as many rows (seed + 1). Returns the real Table,
    the synthetic Table and the fit seconds."""
    from synthset import datasets, make_synthesizer

    table = datasets.load(name)
    synth = make_synthesizer(model, random_state=seed, **params)
    t0 = time.perf_counter()
    synth.fit(table)
    seconds = time.perf_counter() - t0
    return table, synth.sample(len(table.data), seed=seed + 1), seconds


def time_evaluate(fake: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Wall time of the whole ``evaluate()`` on adult: train vs ``fake``, test as holdout."""
    import synthset
    from synthset import datasets
    from synthset.evaluation import list_metrics

    train = datasets.load("adult")
    test = datasets.load("adult", split="test")
    t0 = time.perf_counter()
    report = synthset.evaluate(train, fake, test, target="income", seed=seed)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "target_seconds": TARGET_EVALUATE_SECONDS,
        "rows": report.meta["rows"],
        "metric_seconds": report.meta["seconds"],
        "metrics_registered": list_metrics(),
        "values": {m.name: m.value for m in report.metrics},
    }


# --- report ------------------------------------------------------------------------------------
def _f(v: float | None, spec: str = ".4f") -> str:
    return "—" if v is None else format(v, spec)


def to_markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    lines = [
        "# synthset fidelity metrics vs SDMetrics QualityReport",
        "",
        f"Run {report['date']} with `{report['command']}`",
        f"({report['machine']['platform']}, {report['machine']['cpus_available']} CPUs; "
        f"sdmetrics {report['machine']['versions'].get('sdmetrics')}, "
        f"pandas {report['machine']['versions'].get('pandas')}).",
        "",
        f"Synthesizers fitted on the whole dataset with `random_state={cfg['seed']}` "
        f"(tvae {cfg['params']['tvae']}, ctgan {cfg['params']['ctgan']}); as many rows sampled "
        f"(seed {cfg['seed'] + 1}). Differences are synthset − SDMetrics; target "
        f"|difference| ≤ {TARGET_DIFF}.",
        "",
        "| dataset | synthesizer | shapes synthset | shapes SDMetrics | Δ | "
        "pair trends synthset | pair trends SDMetrics | Δ | s synthset | s SDMetrics |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, rec in report["results"].items():
        ours, theirs, diff = (
            rec.get("synthset") or {},
            rec.get("sdmetrics") or {},
            rec.get("diff") or {},
        )
        dataset, _, model = key.partition("/")
        lines.append(
            f"| {dataset} | {model} | {_f(ours.get('column_shapes'))} "
            f"| {_f(theirs.get('column_shapes'))} | {_f(diff.get('column_shapes'), '+.4f')} "
            f"| {_f(ours.get('pair_trends'))} | {_f(theirs.get('column_pair_trends'))} "
            f"| {_f(diff.get('pair_trends'), '+.4f')} | {_f(ours.get('seconds'), '.2f')} "
            f"| {_f(theirs.get('seconds'), '.2f')} |"
        )
    s = report["summary"]
    lines += [
        "",
        "Definitions, as SDMetrics 0.32's QualityReport: shapes drop missing values (KS for "
        "numbers, TV for categories); pair trends average only the pairs with a trend (|ρ| > 0.5, "
        "Cramér's V > 0.3) and bin each table's numbers over its own range. One deliberate "
        "difference: a pair counts when either table (SDMetrics: the real one) shows the trend.",
        "",
        f"Largest |Δ|: column shapes {_f(s['max_abs_diff_column_shapes'])}, pair trends "
        f"{_f(s['max_abs_diff_pair_trends'])} over {s['compared']} comparisons: "
        f"{'all within' if s['within_target'] else 'NOT all within'} {TARGET_DIFF}.",
        "",
    ]
    timing = report.get("evaluate_timing")
    if timing and "seconds" in timing:
        lines += [
            "## `evaluate()` on adult",
            "",
            f"{timing['rows']['real']:,} real, {timing['rows']['synthetic']:,} synthetic "
            f"({timing['synthetic_from']}), {timing['rows']['holdout']:,} holdout rows, "
            f"target `income`: **{timing['seconds']:.1f} s** (target ≤ "
            f"{TARGET_EVALUATE_SECONDS:.0f} s).",
            "",
            "| metric | seconds | value |",
            "|---|---:|---:|",
        ]
        for name, sec in timing["metric_seconds"].items():
            lines.append(f"| {name} | {sec:.2f} | {_f(timing['values'].get(name))} |")
        lines += [
            "",
            "Metrics registered at the time of the run: "
            + ", ".join(timing["metrics_registered"])
            + ".",
            "",
        ]
    return "\n".join(lines)


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    diffs = [r["diff"] for r in results.values() if "diff" in r]
    shapes = max((abs(d["column_shapes"]) for d in diffs), default=None)
    pairs = max((abs(d["pair_trends"]) for d in diffs), default=None)
    return {
        "compared": len(diffs),
        "max_abs_diff_column_shapes": shapes,
        "max_abs_diff_pair_trends": pairs,
        "within_target": bool(diffs) and max(shapes, pairs) <= TARGET_DIFF,
    }


def write(report: dict[str, Any], out: Path, name: str) -> None:
    report["summary"] = summarise(report["results"])
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / f"{name}.md").write_text(to_markdown(report))


# --- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--tvae-epochs", type=int, default=20)
    p.add_argument("--ctgan-epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-timing", action="store_true", help="skip timing evaluate() on adult")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--name", default="evaluation_vs_sdmetrics")
    args = p.parse_args(argv)
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    cmd_args = sys.argv[1:] if argv is None else argv
    params = {
        "gaussian_copula": {},
        "tvae": {"epochs": args.tvae_epochs},
        "ctgan": {"epochs": args.ctgan_epochs},
    }
    report: dict[str, Any] = {
        "benchmark": "evaluation_vs_sdmetrics",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(
            [
                *_env_prefix(),
                shlex.join(["python", "benchmarks/evaluation_vs_sdmetrics.py", *cmd_args]),
            ]
        ),
        "env": {k: os.environ.get(k) for k in THREAD_VARS},
        "python_executable": sys.executable,
        "machine": machine_info(),
        "config": {
            "datasets": args.datasets,
            "models": args.models,
            "seed": args.seed,
            "params": params,
            "target_abs_diff": TARGET_DIFF,
        },
        "results": {},
    }
    timing_fake = None
    for name in args.datasets:
        for model in args.models:
            key = f"{name}/{model}"
            print(f"{key}: fit", file=sys.stderr, flush=True)
            rec: dict[str, Any] = {"params": params[model]}
            done = _attempt(
                rec, "fit_error", lambda n=name, m=model: fit_sample(n, m, params[m], args.seed)
            )
            if done is not None:
                real, fake, rec["fit_seconds"] = done
                rec.update(compare(real.data, fake.data, args.seed))
                if name == "adult" and timing_fake is None:
                    timing_fake = (model, fake)
            report["results"][key] = rec
            print(f"  {json.dumps(rec.get('diff'))}", file=sys.stderr, flush=True)
            write(report, args.out, args.name)
        if name == "adult":  # a ceiling: real held-out rows against the training rows
            from synthset import datasets

            train, test = datasets.load("adult").data, datasets.load("adult", split="test").data
            report["results"]["adult/real test split"] = compare(
                train, test[list(train.columns)], args.seed
            )
            write(report, args.out, args.name)
    if not args.no_timing and timing_fake is not None:
        print("timing evaluate() on adult", file=sys.stderr, flush=True)
        timing: dict[str, Any] = {"synthetic_from": timing_fake[0]}
        done = _attempt(timing, "error", lambda: time_evaluate(timing_fake[1], args.seed))
        report["evaluate_timing"] = {**timing, **(done or {})}
        write(report, args.out, args.name)
    print(to_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
