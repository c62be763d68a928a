"""synthset's table synthesizers against SDV's, side by side, on UCI adult.

For every model (ctgan, tvae, gaussian_copula) and every library (synthset, SDV) this measures,
in one process and one after the other:

* fit seconds (the synthesizer's fit on the training rows; spec / metadata detection excluded),
* sampling throughput: rows/s for ``--sample-rows`` rows end to end, including writing Parquet
  (synthset: ``sample()`` + ``synthset.data.write_table``; SDV: ``sample()`` + ``to_parquet``),
* SDMetrics ``QualityReport`` (overall, Column Shapes, Column Pair Trends), computed by sdmetrics,
* train-on-synthetic-test-on-real (TSTR): a fixed HistGradientBoostingClassifier predicting
  ``income`` on the real test split, next to train-on-real (TRTR) as the reference,

plus synthset / SDV ratios and the time of synthset's TableEncoder fit + transform alone.
A failing step is recorded in the JSON and the run goes on. Results are rewritten after every
model, so an interrupted run keeps what it finished.

    PYTHONPATH=src python benchmarks/tabular_vs_sdv.py --epochs 30 --batch-size 500
    PYTHONPATH=src python benchmarks/tabular_vs_sdv.py --train-rows 2000 --epochs 1 \
        --sample-rows 5000 --name smoke            # a quick check of the whole pipeline
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import resource
import shlex
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

MODELS = ("ctgan", "tvae", "gaussian_copula")
LIBRARIES = ("synthset", "sdv")
TARGET = "income"
POSITIVE = ">50K"
SDV_CTGAN_PAC = 10  # SDV's CTGAN packs 10 rows per discriminator input: batch % 10 == 0
VERSIONED = (
    "synthset", "sdv", "sdmetrics", "ctgan", "rdt", "copulas", "torch", "numpy", "pandas",
    "pyarrow", "scikit-learn", "scipy",
)  # fmt: skip


# --- small helpers ----------------------------------------------------------------------------
def _error(exc: BaseException) -> dict[str, str]:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"error": f"{type(exc).__name__}: {exc}", "traceback": "".join(tb)[-3000:]}


def _attempt(record: dict[str, Any], key: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; on failure store the error under ``record[key]`` and return None."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one failing step must not end the benchmark
        record[key] = _error(exc)
        print(f"  ! {key}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return None


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _version(dist: str) -> str | None:
    try:
        return importlib_metadata.version(dist)
    except importlib_metadata.PackageNotFoundError:
        if dist == "synthset":  # run from a checkout with PYTHONPATH=src
            import synthset

            return getattr(synthset, "__version__", None)
        return None


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _synthset_threads() -> int | None:
    """The torch threads synthset trains and samples with (SYNTHSET_NUM_THREADS, default 1)."""
    try:
        from synthset.utils import default_cpu_threads

        return default_cpu_threads()
    except ImportError:
        return None


def machine_info() -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_available": affinity,
        "torch_default_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "synthset_threads": _synthset_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "versions": {name: _version(name) for name in VERSIONED},
    }


# --- data -------------------------------------------------------------------------------------
def load_adult(train_rows: int | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The UCI adult train and test splits from synthset's bundled datasets."""
    from synthset import datasets

    train = datasets.load("adult").data
    test = datasets.load("adult", split="test").data
    if train_rows is not None and train_rows < len(train):
        train = train.sample(n=train_rows, random_state=seed).reset_index(drop=True)
    return train, test


def sdmetrics_metadata(df: pd.DataFrame) -> dict[str, Any]:
    """One neutral single-table metadata dict for every QualityReport: numbers vs the rest."""
    return {
        "columns": {
            c: {"sdtype": "numerical" if pd.api.types.is_numeric_dtype(df[c]) else "categorical"}
            for c in df.columns
        }
    }


def _like_real(synth: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Real's column order; pandas categoricals as plain values (what sdmetrics expects)."""
    out = synth[list(real.columns)].copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
    return out


# --- metrics ----------------------------------------------------------------------------------
def quality(real: pd.DataFrame, synth: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    t0 = time.perf_counter()
    report.generate(real, synth, meta, verbose=False)
    props = report.get_properties()
    scores = {str(p): float(s) for p, s in zip(props["Property"], props["Score"], strict=True)}
    return {
        "overall": float(report.get_score()),
        "column_shapes": scores.get("Column Shapes"),
        "column_pair_trends": scores.get("Column Pair Trends"),
        "properties": scores,
        "rows_real": len(real),
        "rows_synthetic": len(synth),
        "seconds": time.perf_counter() - t0,
    }


def utility(train: pd.DataFrame, test: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """Fit a fixed classifier on ``train`` to predict ``income``; accuracy / ROC AUC on ``test``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    train = train[train[TARGET].notna()]
    features = [c for c in test.columns if c != TARGET]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(test[c])]
    numeric = [c for c in features if c not in categorical]
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                categorical,
            ),
            ("numeric", "passthrough", numeric),
        ]
    )
    classifier = HistGradientBoostingClassifier(
        categorical_features=list(range(len(categorical))), random_state=seed
    )
    model = make_pipeline(encode, classifier)
    model.fit(train[features].astype(dict.fromkeys(categorical, object)), train[TARGET].astype(str))
    x_test = test[features].astype(dict.fromkeys(categorical, object))
    y_test = test[TARGET].astype(str)
    classes = list(model.classes_)
    auc = None
    if POSITIVE in classes and len(classes) == 2:
        auc = float(roc_auc_score(y_test == POSITIVE, model.predict_proba(x_test)[:, 1]))
    return {
        "accuracy": float(accuracy_score(y_test, model.predict(x_test))),
        "roc_auc": auc,
        "train_rows": len(train),
        "train_positive_rate": float((train[TARGET].astype(str) == POSITIVE).mean()),
    }


def _parse_params(items: list[str]) -> dict[str, Any]:
    """``k=v`` strings (values read as JSON when they parse) for synthset's neural models."""
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


# --- the two libraries ------------------------------------------------------------------------
class SynthsetRunner:
    library = "synthset"

    def __init__(self, model: str, args: argparse.Namespace, train: pd.DataFrame):
        from synthset import Table, make_synthesizer

        self.params: dict[str, Any] = {"random_state": args.seed}
        if model != "gaussian_copula":
            self.params.update(epochs=args.epochs, batch_size=args.batch_size)
            self.params.update(_parse_params(args.synthset_param))
        self.synth = make_synthesizer(model, **self.params)
        self.table = Table(train, name="adult")
        self.sample_seed = args.seed + 1

    def fit(self) -> None:
        self.synth.fit(self.table)

    def sample(self, n: int, path: Path) -> pd.DataFrame:
        from synthset.data import write_table

        fake = self.synth.sample(n, seed=self.sample_seed)
        write_table(fake, path, overwrite=True)
        return fake.data


class SdvRunner:
    library = "sdv"

    def __init__(self, model: str, args: argparse.Namespace, train: pd.DataFrame):
        from sdv.single_table import (
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        metadata = _sdv_metadata(train)
        self.params: dict[str, Any] = {}
        if model == "ctgan":
            cls = CTGANSynthesizer
            self.params.update(epochs=args.epochs, batch_size=args.batch_size, verbose=False)
        elif model == "tvae":
            cls = TVAESynthesizer
            self.params.update(epochs=args.epochs, batch_size=args.batch_size, verbose=False)
        else:
            cls = GaussianCopulaSynthesizer
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*save_to_json.*")
            self.synth = cls(metadata, **self.params)
        # SDV 2 takes and returns {table name: frame} even for one table; SDV 1 a bare frame.
        major = int(importlib_metadata.version("sdv").split(".")[0])
        self.train = {"adult": train} if major >= 2 else train
        self.seed = args.seed

    def fit(self) -> None:
        _seed_everything(self.seed)
        self.synth.fit(self.train)

    def sample(self, n: int, path: Path) -> pd.DataFrame:
        fake = self.synth.sample(num_rows=n)
        if isinstance(fake, dict):
            (fake,) = fake.values()
        fake.to_parquet(path, index=False)
        return fake


def _sdv_metadata(df: pd.DataFrame) -> Any:
    """SDV metadata detected from the frame (SDV ≥ 1.10 API, single-table fallback)."""
    from sdv.metadata import Metadata

    if hasattr(Metadata, "detect_from_dataframe"):
        return Metadata.detect_from_dataframe(df, table_name="adult")
    return Metadata.detect_from_dataframes({"adult": df})


RUNNERS = {"synthset": SynthsetRunner, "sdv": SdvRunner}


def run_one(
    library: str,
    model: str,
    args: argparse.Namespace,
    train: pd.DataFrame,
    test: pd.DataFrame,
    meta: dict[str, Any],
    default_threads: int,
) -> dict[str, Any]:
    """Fit, sample + write, and score one (library, model) pair; every step may fail alone."""
    rec: dict[str, Any] = {"library": library, "model": model}
    # Every run starts from torch's default thread count, so what one library sets
    # does not leak into the next; what the library itself changes shows in *_after.
    torch.set_num_threads(default_threads)
    runner = _attempt(rec, "setup_error", lambda: RUNNERS[library](model, args, train))
    if runner is None:
        return rec
    rec["params"] = runner.params

    rec["threads_before_fit"] = torch.get_num_threads()
    fitted = _attempt(rec, "fit_error", lambda: _timed(runner.fit))
    rec["threads_after_fit"] = torch.get_num_threads()
    if fitted is None:
        return rec
    rec["fit_seconds"] = fitted[1]
    print(f"  fit {fitted[1]:.1f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{library}-{model}.parquet"
        rec["threads_before_sample"] = torch.get_num_threads()
        sampled = _attempt(
            rec, "sample_error", lambda: _timed(lambda: runner.sample(args.sample_rows, path))
        )
        rec["threads_after_sample"] = torch.get_num_threads()
        if sampled is None:
            return rec
        fake, seconds = sampled
        rec["sample_seconds"] = seconds
        rec["sample_rows"] = len(fake)
        rec["sample_rows_per_s"] = len(fake) / seconds
        rec["parquet_bytes"] = path.stat().st_size if path.exists() else None
    print(f"  sample {len(fake)} rows at {len(fake) / seconds:,.0f} rows/s", file=sys.stderr)

    eval_rows = min(args.eval_rows or len(train), len(fake))
    fake = _like_real(fake.iloc[:eval_rows].reset_index(drop=True), train)
    rec["quality"] = _attempt(rec, "quality_error", lambda: quality(train, fake, meta))
    rec["tstr"] = _attempt(rec, "tstr_error", lambda: utility(fake, test, args.seed))
    return rec


def encoder_timing(train: pd.DataFrame, seed: int) -> dict[str, Any]:
    """synthset's TableEncoder fit + transform alone (the step SDV spends most time in)."""
    from synthset.data import TableSpec
    from synthset.data.transforms.table_encoder import TableEncoder

    spec = TableSpec.detect(train)

    def fit_transform() -> np.ndarray:
        return TableEncoder().fit(train, spec, seed=seed).transform(train, seed=seed)

    encoded, seconds = _timed(fit_transform)
    return {"seconds": seconds, "rows": len(train), "encoded_shape": list(np.shape(encoded))}


# --- ratios and reports -----------------------------------------------------------------------
def _get(rec: dict[str, Any] | None, *keys: str) -> float | None:
    value: Any = rec
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, (int, float)) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _diff(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def comparisons(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per model: SDV time / synthset time (speedups) and synthset minus SDV (scores)."""
    out = {}
    for model, pair in results.items():
        ours, sdv = pair.get("synthset"), pair.get("sdv")
        if ours is None or sdv is None:
            continue
        out[model] = {
            "fit_speedup": _ratio(_get(sdv, "fit_seconds"), _get(ours, "fit_seconds")),
            "sample_speedup": _ratio(
                _get(ours, "sample_rows_per_s"), _get(sdv, "sample_rows_per_s")
            ),
        }
        for key, path in (
            ("quality_overall_diff", ("quality", "overall")),
            ("column_shapes_diff", ("quality", "column_shapes")),
            ("column_pair_trends_diff", ("quality", "column_pair_trends")),
            ("tstr_accuracy_diff", ("tstr", "accuracy")),
            ("tstr_roc_auc_diff", ("tstr", "roc_auc")),
        ):
            out[model][key] = _diff(_get(ours, *path), _get(sdv, *path))
    return out


def _fmt(value: float | None, spec: str) -> str:
    """``format(value, spec)``, "—" for a missing value; a trailing "×" is kept as a suffix."""
    if value is None:
        return "—"
    return format(value, spec[:-1]) + "×" if spec.endswith("×") else format(value, spec)


def to_markdown(report: dict[str, Any]) -> str:
    cfg, ref = report["config"], report["reference"]
    lines = [
        "# synthset vs SDV on UCI adult",
        "",
        f"{report['date']} · {cfg['train_rows_used']:,} train rows · {cfg['test_rows']:,} test rows"
        f" · epochs {cfg['epochs']} · batch {cfg['batch_size']} · "
        f"{cfg['sample_rows']:,} sampled rows · machine: {report['machine']['cpus_available']} "
        f"CPUs, torch {report['machine']['torch_default_threads']} threads by default (SDV), "
        f"synthset {report['machine'].get('synthset_threads')} thread(s)",
        "",
        "| model | library | fit s | sample rows/s | quality | shapes | pair trends "
        "| TSTR acc | TSTR AUC | error |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for model, pair in report["results"].items():
        for library in sorted(pair, key=LIBRARIES.index):
            rec = pair[library]
            errors = [k for k in rec if k.endswith("_error")]
            lines.append(
                f"| {model} | {library} | {_fmt(_get(rec, 'fit_seconds'), '.1f')} "
                f"| {_fmt(_get(rec, 'sample_rows_per_s'), ',.0f')} "
                f"| {_fmt(_get(rec, 'quality', 'overall'), '.3f')} "
                f"| {_fmt(_get(rec, 'quality', 'column_shapes'), '.3f')} "
                f"| {_fmt(_get(rec, 'quality', 'column_pair_trends'), '.3f')} "
                f"| {_fmt(_get(rec, 'tstr', 'accuracy'), '.3f')} "
                f"| {_fmt(_get(rec, 'tstr', 'roc_auc'), '.3f')} "
                f"| {', '.join(errors)} |"
            )
    lines += [
        "",
        f"Train on real (reference): accuracy {_fmt(_get(ref, 'trtr', 'accuracy'), '.3f')}, "
        f"ROC AUC {_fmt(_get(ref, 'trtr', 'roc_auc'), '.3f')}. "
        f"Real test rows scored as if synthetic: quality "
        f"{_fmt(_get(ref, 'holdout_quality', 'overall'), '.3f')}."
        + (
            f" synthset TableEncoder fit + transform: "
            f"{_fmt(_get(ref, 'encoder', 'seconds'), '.2f')} s (target ≤ 3 s)."
            if "encoder" in ref or "encoder_error" in ref
            else ""
        ),
    ]
    if report["comparison"]:
        lines += [
            "",
            "| model | fit speedup | sampling speedup | Δ quality | Δ shapes | Δ pair trends "
            "| Δ TSTR acc | Δ TSTR AUC |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for model, c in report["comparison"].items():
            lines.append(
                f"| {model} | {_fmt(c['fit_speedup'], '.2f×')} "
                f"| {_fmt(c['sample_speedup'], '.2f×')} "
                f"| {_fmt(c['quality_overall_diff'], '+.3f')} "
                f"| {_fmt(c['column_shapes_diff'], '+.3f')} "
                f"| {_fmt(c['column_pair_trends_diff'], '+.3f')} "
                f"| {_fmt(c['tstr_accuracy_diff'], '+.3f')} "
                f"| {_fmt(c['tstr_roc_auc_diff'], '+.3f')} |"
            )
        lines += ["", "Speedups are SDV time / synthset time; Δ is synthset minus SDV."]
    lines += [
        "",
        "Quality and TSTR use the first "
        f"{cfg['eval_rows'] or cfg['train_rows_used']:,} sampled rows (at most the sample).",
        "Timings are wall-clock seconds of one run on a shared machine; expect noise.",
        *(
            [f"SDV rows reused from `{cfg['sdv_reused_from']}` (an earlier run, same config)."]
            if cfg.get("sdv_reused_from")
            else []
        ),
        "",
        "Reproduce:",
        "",
        "```",
        report["command"],
        "```",
        "",
    ]
    return "\n".join(lines)


def write_outputs(report: dict[str, Any], out: Path, name: str) -> None:
    report["comparison"] = comparisons(report["results"])
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / f"{name}.md").write_text(to_markdown(report))


REUSE_MUST_MATCH = ("epochs", "batch_size", "sample_rows", "train_rows_used", "eval_rows", "seed")


def reuse_sdv(report: dict[str, Any], path: Path) -> None:
    """Copy SDV's per-model results from an earlier run whose config matches this one."""
    earlier = json.loads(path.read_text())
    mismatched = {
        k: (earlier["config"].get(k), report["config"][k])
        for k in REUSE_MUST_MATCH
        if earlier["config"].get(k) != report["config"][k]
    }
    if mismatched:
        raise SystemExit(f"--reuse-sdv {path}: config differs (earlier, now): {mismatched}")
    for model in report["config"]["models"]:
        rec = earlier["results"].get(model, {}).get("sdv")
        if rec is not None:
            rec = {**rec, "reused_from": str(path), "reused_run_date": earlier["date"]}
            report["results"].setdefault(model, {})["sdv"] = rec
    report["config"]["sdv_reused_from"] = str(path)


# --- main -------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset")
    p.add_argument("--libraries", default=",".join(LIBRARIES), help="comma-separated subset")
    p.add_argument("--only-sdv", action="store_true", help="same as --libraries sdv")
    p.add_argument("--only-synthset", action="store_true", help="same as --libraries synthset")
    p.add_argument(
        "--synthset-param",
        action="append",
        default=[],
        metavar="K=V",
        help="extra parameter for synthset's ctgan/tvae (repeatable), e.g. amp=off",
    )
    p.add_argument("--sample-rows", type=int, default=100_000)
    p.add_argument("--train-rows", type=int, default=None, help="random subsample of train")
    p.add_argument("--eval-rows", type=int, default=None, help="default: the train rows used")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--name", default="tabular_vs_sdv", help="stem of the .json / .md files")
    p.add_argument(
        "--reuse-sdv",
        type=Path,
        default=None,
        metavar="JSON",
        help="take SDV's results from an earlier run's JSON (same config) instead of running SDV",
    )
    args = p.parse_args(argv)
    if args.only_sdv and args.only_synthset:
        p.error("--only-sdv and --only-synthset exclude each other")
    if args.only_sdv or args.only_synthset:
        args.libraries = "sdv" if args.only_sdv else "synthset"
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.libraries = [x.strip() for x in args.libraries.split(",") if x.strip()]
    checks = ((args.models, MODELS, "--models"), (args.libraries, LIBRARIES, "--libraries"))
    for value, known, flag in checks:
        unknown = sorted(set(value) - set(known))
        if unknown:
            p.error(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
    if "sdv" in args.libraries and "ctgan" in args.models and args.batch_size % SDV_CTGAN_PAC:
        p.error(f"--batch-size must be a multiple of {SDV_CTGAN_PAC} for SDV's CTGAN (pac)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    default_threads = torch.get_num_threads()
    cmd_args = sys.argv[1:] if argv is None else argv
    command = shlex.join(["PYTHONPATH=src", "python", "benchmarks/tabular_vs_sdv.py", *cmd_args])

    train, test = load_adult(args.train_rows, args.seed)
    meta = sdmetrics_metadata(train)
    print(f"adult: {len(train)} train / {len(test)} test rows", file=sys.stderr)
    report: dict[str, Any] = {
        "benchmark": "tabular_vs_sdv",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "python_executable": sys.executable,
        "machine": machine_info(),
        "config": {
            "dataset": "adult",
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "models": args.models,
            "libraries": args.libraries,
            "sample_rows": args.sample_rows,
            "train_rows": args.train_rows,
            "train_rows_used": len(train),
            "test_rows": len(test),
            "eval_rows": args.eval_rows,
            "seed": args.seed,
            "sample_seed_synthset": args.seed + 1,
            "classifier": "HistGradientBoostingClassifier(random_state=seed), ordinal-encoded "
            "categoricals as native categorical features",
            "sdmetrics_metadata": meta,
        },
        "reference": {},
        "results": {},
    }
    if args.reuse_sdv is not None:
        reuse_sdv(report, args.reuse_sdv)  # fails fast on a config mismatch
    ref = report["reference"]
    print("reference: train on real, real holdout quality", file=sys.stderr, flush=True)
    ref["trtr"] = _attempt(ref, "trtr_error", lambda: utility(train, test, args.seed))
    ref["holdout_quality"] = _attempt(
        ref, "holdout_quality_error", lambda: quality(train, test[list(train.columns)], meta)
    )
    if "synthset" in args.libraries:
        ref["encoder"] = _attempt(ref, "encoder_error", lambda: encoder_timing(train, args.seed))
    write_outputs(report, args.out, args.name)

    libraries = [x for x in args.libraries if not (x == "sdv" and args.reuse_sdv)]
    for model in args.models:
        for library in libraries:
            print(f"{model} / {library}", file=sys.stderr, flush=True)
            rec = run_one(library, model, args, train, test, meta, default_threads)
            report["results"].setdefault(model, {})[library] = rec
            write_outputs(report, args.out, args.name)
    torch.set_num_threads(default_threads)
    print(f"wrote {args.out / (args.name + '.json')} and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
