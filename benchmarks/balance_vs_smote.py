"""``augment(balance_on=)`` against SMOTE, SMOTE-NC, random oversampling and class weights.

UCI adult (``synthset.datasets.load("adult")``): for every seed and minority rate r, the ``>50K``
training rows are subsampled (seeded) until they are r of the training rows, every ``<=50K`` row
kept. Each arm turns that imbalanced table into a training set:

* ``real``: the imbalanced rows only; ``class_weight``: the same rows, a class-weighted classifier;
* ``random_oversampling``, ``smotenc``, ``smote_onehot``: imbalanced-learn, to a 1:1 balance;
* ``gaussian_copula``, ``tvae``, ``ctgan``: ``synthset.augment(train, synth,
  balance_on="income", seed=seed)`` with the synthesizer at its library defaults.

Two fixed classifiers (a HistGradientBoostingClassifier on ordinal-encoded categoricals as native
categorical features, and a LogisticRegression on one-hot + standardised features) are trained
on each set and scored on the untouched real test split (16,281 rows): minority-class F1,
balanced accuracy, average precision (PR-AUC) and ROC AUC. Mean ± std over seeds, and the paired
difference of every arm against ``real``. Results are rewritten after every run; ``--resume``
skips the runs already in the JSON, so arms can be run (or rerun with ``--replace``) one at a
time and merged.

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python \\
        benchmarks/balance_vs_smote.py --overwrite
    ... benchmarks/balance_vs_smote.py --quick --out /tmp/bench --overwrite   # smoke test
    ... benchmarks/balance_vs_smote.py --resume --replace --arms ctgan        # rerun one arm
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
import warnings
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET = "income"
POSITIVE = ">50K"
THREAD_VARS = ("OMP_NUM_THREADS", "SYNTHSET_NUM_THREADS")
MISSING = "?"  # adult's own marker for a missing category, restored so SMOTE can read it
CLASSIFIER_SEED = 0  # one classifier for every arm and seed (tabular_vs_sdv.py's TSTR at seed 0)
SYNTHS = ("gaussian_copula", "tvae", "ctgan")
ARMS = (
    "real", "class_weight", "random_oversampling", "smotenc", "smote_onehot", *SYNTHS,
)  # fmt: skip
CLASSIFIERS = ("hgb", "logreg")
METRICS = ("f1", "balanced_accuracy", "average_precision", "roc_auc")
METRIC_NAMES = {
    "f1": "minority F1",
    "balanced_accuracy": "balanced acc",
    "average_precision": "PR-AUC",
    "roc_auc": "ROC-AUC",
}
VERSIONED = (
    "synthset", "imbalanced-learn", "scikit-learn", "torch", "numpy", "pandas", "scipy",
)  # fmt: skip


# --- small helpers ----------------------------------------------------------------------------
def _version(dist: str) -> str | None:
    try:
        return importlib_metadata.version(dist)
    except importlib_metadata.PackageNotFoundError:
        if dist == "synthset":  # run from a checkout with PYTHONPATH=src
            import synthset

            return getattr(synthset, "__version__", None)
        return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def code_state() -> dict[str, Any]:
    """The commit and the uncommitted files under src/ when this process started (the code it
    imported): other people edit the synthesizers' defaults while a long run goes on."""
    dirty = _git("status", "--porcelain", "--", "src") or ""
    return {
        "commit": (_git("rev-parse", "--short", "HEAD") or "").strip() or None,
        "src_modified": [line[3:] for line in dirty.splitlines() if line.strip()],
    }


def machine_info() -> dict[str, Any]:
    import torch

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpus_available": affinity,
        "torch_threads": torch.get_num_threads(),
        "env": {k: os.environ.get(k) for k in THREAD_VARS},
        "versions": {name: _version(name) for name in VERSIONED},
    }


def _error(exc: BaseException) -> dict[str, str]:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"error": f"{type(exc).__name__}: {exc}", "traceback": "".join(tb)[-3000:]}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- data -------------------------------------------------------------------------------------
def load_adult() -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """adult's train and test splits; missing categories become ``"?"`` (SMOTE reads no NaN)."""
    from synthset import datasets

    train = datasets.load("adult").data
    test = datasets.load("adult", split="test").data[list(train.columns)]
    features = [c for c in train.columns if c != TARGET]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
    numeric = [c for c in features if c not in categorical]
    for df in (train, test):
        for c in [*categorical, TARGET]:
            df[c] = df[c].astype(object).where(df[c].notna(), MISSING)
    return train, test, categorical, numeric


def subsample(train: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    """Every ``<=50K`` row and a seeded draw of ``>50K`` rows making up ``rate`` of the result."""
    rng = np.random.default_rng([seed, round(rate * 1e6)])
    positive = np.flatnonzero((train[TARGET] == POSITIVE).to_numpy())
    n_negative = len(train) - len(positive)
    n_keep = round(rate * n_negative / (1 - rate))
    negative = np.flatnonzero((train[TARGET] != POSITIVE).to_numpy())
    keep = np.sort(np.concatenate([negative, rng.choice(positive, n_keep, replace=False)]))
    return train.iloc[keep].reset_index(drop=True)


# --- arms: an imbalanced table in, a training set out -----------------------------------------
def _split_xy(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return df.drop(columns=[TARGET]), df[TARGET]


def _join(x: pd.DataFrame, y: Any) -> pd.DataFrame:
    out = pd.DataFrame(x).reset_index(drop=True)
    out[TARGET] = np.asarray(y, dtype=object)
    return out


def random_oversampling(df: pd.DataFrame, seed: int, **_: Any) -> tuple[pd.DataFrame, dict]:
    from imblearn.over_sampling import RandomOverSampler

    x, y = RandomOverSampler(random_state=seed).fit_resample(*_split_xy(df))
    return _join(x, y), {"sampler": "RandomOverSampler(random_state=seed)"}


def smotenc(
    df: pd.DataFrame, seed: int, categorical: list[str], numeric: list[str], **_: Any
) -> tuple[pd.DataFrame, dict]:
    """SMOTE-NC on the table, numeric columns standardised for the neighbour search and back."""
    from imblearn.over_sampling import SMOTENC
    from sklearn.preprocessing import StandardScaler

    x, y = _split_xy(df)
    scaler = StandardScaler().fit(x[numeric].to_numpy(float))
    x = x.copy()
    x[numeric] = scaler.transform(x[numeric].to_numpy(float))
    sampler = SMOTENC(categorical_features=categorical, k_neighbors=5, random_state=seed)
    xr, yr = sampler.fit_resample(x, y)
    xr = pd.DataFrame(xr, columns=x.columns)
    xr[numeric] = scaler.inverse_transform(xr[numeric].to_numpy(float))
    return _join(xr, yr), {
        "sampler": "SMOTENC(categorical_features=<categorical columns>, k_neighbors=5, "
        "random_state=seed) on standardised numeric columns, un-scaled after"
    }


def smote_onehot(
    df: pd.DataFrame, seed: int, categorical: list[str], numeric: list[str], **_: Any
) -> tuple[pd.DataFrame, dict]:
    """Plain SMOTE on [one-hot categoricals, standardised numerics]; new rows decoded back."""
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    x, y = _split_xy(df)
    onehot = OneHotEncoder(sparse_output=False, dtype=np.float64).fit(x[categorical])
    scaler = StandardScaler().fit(x[numeric].to_numpy(float))
    encoded = np.hstack(
        [onehot.transform(x[categorical]), scaler.transform(x[numeric].to_numpy(float))]
    )
    xr, yr = SMOTE(k_neighbors=5, random_state=seed).fit_resample(encoded, y.to_numpy())
    new = xr[len(x) :]  # imbalanced-learn appends the synthetic rows after the originals
    decoded: dict[str, Any] = {}
    start = 0
    for col, cats in zip(categorical, onehot.categories_, strict=True):
        decoded[col] = cats[new[:, start : start + len(cats)].argmax(1)]  # nearest category
        start += len(cats)
    nums = scaler.inverse_transform(new[:, start:])
    decoded.update({col: nums[:, j] for j, col in enumerate(numeric)})
    synthetic = _join(pd.DataFrame(decoded)[list(x.columns)], yr[len(x) :])
    return pd.concat([df, synthetic], ignore_index=True), {
        "sampler": "SMOTE(k_neighbors=5, random_state=seed) on OneHotEncoder(categoricals) + "
        "StandardScaler(numerics); each new row's categorical = argmax of its one-hot block, "
        "numerics un-scaled (not rounded)"
    }


def synthset_augment(
    df: pd.DataFrame, seed: int, synth_name: str, epochs: int | None, **_: Any
) -> tuple[pd.DataFrame, dict]:
    """``augment(train, synth, balance_on="income", seed=seed)``; fit and sampling timed apart."""
    from synthset import Table, augment, make_synthesizer

    params: dict[str, Any] = {"random_state": seed}
    if epochs is not None and synth_name != "gaussian_copula":
        params["epochs"] = epochs
    synth = make_synthesizer(synth_name, **params)
    table = Table(df, name="adult")
    gc.collect()
    t0 = time.perf_counter()
    synth.fit(table)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = augment(table, synth, balance_on=TARGET, seed=seed)  # already fitted: samples only
    sample_s = time.perf_counter() - t0
    out = out.data
    added = out[out["synthset_source"] == "synthetic"]
    history = getattr(synth, "history_", None) or []
    info = {
        "epochs_run": len(history) or None,
        "steps_run": sum(int(row.get("steps", 0)) for row in history) or None,
        "last_epoch": history[-1] if history else None,
        "params_given": params,
        "params": {k: v for k, v in synth.get_params().items() if k != "callbacks"},
        "fit_seconds": fit_s,
        "sample_seconds": sample_s,
        "added_positive_share": float((added[TARGET] == POSITIVE).mean()) if len(added) else None,
    }
    return out.drop(columns=["synthset_source"]), info


def make_training_set(
    arm: str, df: pd.DataFrame, seed: int, args: argparse.Namespace, cols: dict[str, list[str]]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    if arm in ("real", "class_weight"):
        return df, {}
    if arm in SYNTHS:
        return synthset_augment(df, seed, synth_name=arm, epochs=args.epochs)
    fn = {
        "random_oversampling": random_oversampling,
        "smotenc": smotenc,
        "smote_onehot": smote_onehot,
    }[arm]
    return fn(df, seed, **cols)


# --- classifiers and metrics ------------------------------------------------------------------
def make_classifier(kind: str, categorical: list[str], numeric: list[str], weighted: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    class_weight = "balanced" if weighted else None
    if kind == "hgb":
        ordinal = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
        encode = ColumnTransformer(
            [("categorical", ordinal, categorical), ("numeric", "passthrough", numeric)]
        )
        model = HistGradientBoostingClassifier(
            categorical_features=list(range(len(categorical))),
            class_weight=class_weight,
            random_state=CLASSIFIER_SEED,
        )
    else:
        encode = ColumnTransformer(
            [
                ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
                ("numeric", StandardScaler(), numeric),
            ]
        )
        model = LogisticRegression(C=1.0, max_iter=2000, class_weight=class_weight)
    return make_pipeline(encode, model)


CLASSIFIER_TEXT = {
    "hgb": "HistGradientBoostingClassifier(categorical_features=<ordinal-encoded categoricals>, "
    "random_state=0), sklearn defaults otherwise (early stopping on a 10% validation split of "
    "the training set, as sklearn does past 10,000 rows)",
    "logreg": "LogisticRegression(C=1, max_iter=2000) on OneHotEncoder(handle_unknown='ignore') "
    "categoricals + StandardScaler numerics",
}


def _features(df: pd.DataFrame, categorical: list[str], numeric: list[str]) -> pd.DataFrame:
    x = df[[*categorical, *numeric]].copy()
    x[categorical] = x[categorical].astype(object)
    x[numeric] = x[numeric].astype(float)
    return x


def _positive_column(model: Any) -> int:
    return list(model.classes_).index(POSITIVE)


def score(model: Any, x_test: pd.DataFrame, y_test: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    proba = model.predict_proba(x_test)[:, _positive_column(model)]
    pred = proba >= 0.5  # what predict() does for two classes
    return {
        "f1": float(f1_score(y_test, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
        "average_precision": float(average_precision_score(y_test, proba)),
        "roc_auc": float(roc_auc_score(y_test, proba)),
        "precision": float(precision_score(y_test, pred, zero_division=0)),
        "recall": float(recall_score(y_test, pred)),
        "predicted_positive_rate": float(pred.mean()),
    }


def train_and_score(
    kind: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    cols: dict[str, list[str]],
    weighted: bool = False,
) -> tuple[Any, dict[str, Any]]:
    model = make_classifier(kind, cols["categorical"], cols["numeric"], weighted)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unknown categories.*")
        model.fit(_features(train, **cols), train[TARGET].astype(str))
        fit_s = time.perf_counter() - t0
        metrics = score(model, _features(test, **cols), (test[TARGET] == POSITIVE).to_numpy())
    return model, {**metrics, "fit_seconds": fit_s}


def label_consistency(reference: Any, added: pd.DataFrame, cols: dict[str, list[str]]) -> dict:
    """How ``>50K``-like the added minority rows look to a model of the full real training set."""
    if not len(added):
        return {}
    p = reference.predict_proba(_features(added, **cols))[:, _positive_column(reference)]
    return {"mean_p_positive": float(p.mean()), "share_p_ge_half": float((p >= 0.5).mean())}


def detection_auc(real: pd.DataFrame, added: pd.DataFrame, cols: dict[str, list[str]]) -> float:
    """ROC AUC of the HGB told to separate the real ``>50K`` training rows from the added ones
    (half of each to train, half to score): 0.5 = indistinguishable. A classifier trained on the
    balanced set can use whatever gives the added rows away as a shortcut to ``>50K``."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    both = pd.concat([real, added], ignore_index=True)
    both[TARGET] = np.repeat(["real", "added"], [len(real), len(added)])
    fit, held = train_test_split(both, test_size=0.5, stratify=both[TARGET], random_state=0)
    model = make_classifier("hgb", cols["categorical"], cols["numeric"], weighted=True)
    model.fit(_features(fit, **cols), fit[TARGET])
    p = model.predict_proba(_features(held, **cols))[:, list(model.classes_).index("added")]
    return float(roc_auc_score(held[TARGET] == "added", p))


# --- one run ----------------------------------------------------------------------------------
def run_one(
    arm: str,
    rate: float,
    seed: int,
    train_full: pd.DataFrame,
    test: pd.DataFrame,
    reference: Any,
    args: argparse.Namespace,
    cols: dict[str, list[str]],
) -> dict[str, Any]:
    imbalanced = subsample(train_full, rate, seed)
    rec: dict[str, Any] = {
        "arm": arm,
        "rate": rate,
        "seed": seed,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "code": args.code,
        "imbalanced_rows": len(imbalanced),
        "imbalanced_positive": int((imbalanced[TARGET] == POSITIVE).sum()),
    }
    try:
        gc.collect()
        t0 = time.perf_counter()
        train, info = make_training_set(arm, imbalanced, seed, args, cols)
        rec["prepare_seconds"] = time.perf_counter() - t0
        rec.update(info)
        rec["train_rows"] = len(train)
        rec["train_positive_share"] = float((train[TARGET] == POSITIVE).mean())
        added = train.iloc[len(imbalanced) :]
        rec["added_rows"] = len(added)
        if len(added):
            added_pos = added[added[TARGET] == POSITIVE]
            rec["added_consistency"] = label_consistency(reference, added_pos, cols)
            real_pos = imbalanced[imbalanced[TARGET] == POSITIVE]
            if arm != "random_oversampling":  # copies of real rows: nothing to detect
                rec["added_detection_auc"] = detection_auc(real_pos, added_pos, cols)
        rec["classifiers"] = {}
        for kind in CLASSIFIERS:
            _, rec["classifiers"][kind] = train_and_score(
                kind, train, test, cols, weighted=arm == "class_weight"
            )
    except Exception as exc:  # noqa: BLE001 - one failing run must not end the benchmark
        rec["error"] = _error(exc)
        _log(f"  ! {arm} r={rate} seed={seed}: {type(exc).__name__}: {exc}")
    return rec


# --- summary ----------------------------------------------------------------------------------
def _t95(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, n - 1)) if n > 1 else math.inf


def _stats(values: list[float]) -> dict[str, Any]:
    a = np.asarray(values, dtype=float)
    std = float(a.std(ddof=1)) if len(a) > 1 else 0.0
    return {"mean": float(a.mean()), "std": std, "n": len(a)}


def _paired(a: dict[int, float], b: dict[int, float]) -> dict[str, Any] | None:
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    d = _stats([a[s] - b[s] for s in seeds])
    half = _t95(d["n"]) * d["std"] / math.sqrt(d["n"]) if d["n"] > 1 else math.inf
    d["ci95"] = half if math.isfinite(half) else None
    d["significant"] = bool(d["n"] > 1 and abs(d["mean"]) > half)
    return d


def _by_seed(runs: list[dict], arm: str, rate: float, kind: str, metric: str) -> dict[int, float]:
    return {
        r["seed"]: r["classifiers"][kind][metric]
        for r in runs
        if r["arm"] == arm and r["rate"] == rate and "classifiers" in r
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """mean ± std per (rate, classifier, arm, metric) and the paired difference against real."""
    out: dict[str, Any] = {}
    rates = sorted({r["rate"] for r in runs}, reverse=True)
    arms = [a for a in ARMS if any(r["arm"] == a for r in runs)]
    for rate in rates:
        for kind in CLASSIFIERS:
            table: dict[str, Any] = {}
            for arm in arms:
                cell: dict[str, Any] = {}
                for metric in (*METRICS, "precision", "recall"):
                    values = _by_seed(runs, arm, rate, kind, metric)
                    if not values:
                        continue
                    cell[metric] = _stats(list(values.values()))
                    if arm != "real":
                        base = _by_seed(runs, "real", rate, kind, metric)
                        cell[metric]["vs_real"] = _paired(values, base)
                if cell:
                    table[arm] = cell
            out[f"{rate}/{kind}"] = table
    return out


def timings(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rate in sorted({r["rate"] for r in runs}, reverse=True):
        for arm in ARMS:
            rs = [r for r in runs if r["arm"] == arm and r["rate"] == rate and "classifiers" in r]
            if not rs:
                continue

            def stat(key: str, rs: list[dict] = rs) -> dict[str, Any] | None:
                vals = [r[key] for r in rs if r.get(key) is not None]
                return _stats(vals) if vals else None

            cons = [
                r["added_consistency"]["mean_p_positive"] for r in rs if r.get("added_consistency")
            ]
            out[f"{rate}/{arm}"] = {
                "train_rows": stat("train_rows"),
                "added_rows": stat("added_rows"),
                "prepare_seconds": stat("prepare_seconds"),
                "fit_seconds": stat("fit_seconds"),
                "sample_seconds": stat("sample_seconds"),
                "added_mean_p_positive": _stats(cons) if cons else None,
                "added_detection_auc": stat("added_detection_auc"),
                "hgb_fit_seconds": _stats([r["classifiers"]["hgb"]["fit_seconds"] for r in rs]),
                "logreg_fit_seconds": _stats(
                    [r["classifiers"]["logreg"]["fit_seconds"] for r in rs]
                ),
            }
    return out


# --- Markdown ---------------------------------------------------------------------------------
def _ms(cell: dict[str, Any] | None, spec: str = ".3f") -> str:
    if not cell:
        return "—"
    return f"{cell['mean']:{spec}} ± {cell['std']:{spec}}"


def _delta(cell: dict[str, Any] | None) -> str:
    d = cell.get("vs_real") if cell else None
    if not d:
        return "—"
    return f"{d['mean']:+.3f} ± {d['std']:.3f}" + ("*" if d["significant"] else "")


def _noise(d: dict[str, Any] | None) -> str:
    if not d:
        return ""
    if d["n"] < 2:
        return f"{d['mean']:+.3f}, one seed"
    sig = "" if d["significant"] else ", within noise"
    return f"{d['mean']:+.3f} ± {d['std']:.3f}{sig}"


def _arm_vs(
    runs: list[dict], a: str, b: str, rate: float, kind: str, metric: str
) -> dict[str, Any] | None:
    return _paired(_by_seed(runs, a, rate, kind, metric), _by_seed(runs, b, rate, kind, metric))


def verdicts(summary: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """Per (rate, classifier, metric): the best arm, its paired margin over the runner-up, and
    the best synthset arm against the best of the others (paired over seeds)."""
    lines = []
    for key, table in summary.items():
        rate_text, kind = key.split("/")
        rate = float(rate_text)
        lines.append(f"- r = {rate:.0%}, {kind}:")
        for metric in METRICS:
            ranked = sorted(
                (a for a in table if metric in table[a]),
                key=lambda a, m=metric: -table[a][m]["mean"],
            )
            if len(ranked) < 2:
                continue

            best, second = ranked[:2]
            text = (
                f"{METRIC_NAMES[metric]}: best `{best}` {table[best][metric]['mean']:.3f}, "
                f"ahead of `{second}` by {_noise(_arm_vs(runs, best, second, rate, kind, metric))}"
            )
            ours = [a for a in ranked if a in SYNTHS]
            others = [a for a in ranked if a not in SYNTHS]
            if ours and others:
                text += (
                    f"; best synthset arm `{ours[0]}` vs best other `{others[0]}`: "
                    f"{_noise(_arm_vs(runs, ours[0], others[0], rate, kind, metric))}"
                )
            lines.append(f"  - {text}.")
    return lines


def headline(summary: dict[str, Any]) -> list[str]:
    """One compact table: minority F1 and PR-AUC per arm, classifier and rate."""
    keys = [k for k in summary if k.split("/")[1] in CLASSIFIERS]
    if not keys:
        return []
    head = [f"{k.split('/')[1]} r={float(k.split('/')[0]):.0%}" for k in keys]
    lines = [
        "## Headline: minority F1 / PR-AUC (mean ± std over seeds)",
        "",
        "| arm | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    arms = [a for a in ARMS if any(a in summary[k] for k in keys)]
    for arm in arms:
        cells = []
        for k in keys:
            cell = summary[k].get(arm, {})
            f1, ap = cell.get("f1"), cell.get("average_precision")
            cells.append(f"{_ms(f1)} / {_ms(ap)}" if f1 and ap else "—")
        lines.append(f"| `{arm}` | " + " | ".join(cells) + " |")
    return [*lines, ""]


def to_markdown(report: dict[str, Any]) -> str:
    cfg, ref, summary = report["config"], report["reference"], report["summary"]
    lines = [
        "# Balancing adult: synthset `augment(balance_on=)` vs SMOTE, SMOTE-NC, oversampling",
        "",
        f"{report['date']} · UCI adult, {cfg['train_rows']:,} training rows of which the "
        f"`>50K` rows are subsampled to r of the training rows (every `<=50K` row kept), "
        f"seeds {cfg['seeds']}; scored on the untouched real test split "
        f"({cfg['test_rows']:,} rows, {ref['test_positive_share']:.1%} `>50K`). "
        f"Machine: {report['machine']['cpus_available']} CPUs shared, one process, "
        f"OMP_NUM_THREADS={report['machine']['env']['OMP_NUM_THREADS']}, "
        f"SYNTHSET_NUM_THREADS={report['machine']['env']['SYNTHSET_NUM_THREADS']}.",
        "",
        "Arms (each gives one training set; every balancing arm goes to 1:1):",
        "",
        "- `real`: the imbalanced rows only. `class_weight`: the same rows, "
        '`class_weight="balanced"` in the classifier (no new rows).',
        f"- `random_oversampling`: {cfg['arms_text']['random_oversampling']}.",
        f"- `smotenc`: {cfg['arms_text']['smotenc']}.",
        f"- `smote_onehot`: {cfg['arms_text']['smote_onehot']}.",
        "- `gaussian_copula`, `tvae`, `ctgan`: `synthset.augment(train, "
        'make_synthesizer(name, random_state=seed), balance_on="income", seed=seed)`, '
        + (
            "library defaults"
            if cfg["epochs"] is None
            else f"**epochs={cfg['epochs']}** for tvae/ctgan (not the defaults)"
        )
        + "; the provenance column is dropped before training.",
        "",
        "Classifiers (the same pipeline for every arm):",
        "",
        f"- `hgb`: {CLASSIFIER_TEXT['hgb']}.",
        f"- `logreg`: {CLASSIFIER_TEXT['logreg']}.",
        "",
        "Metrics on the real test split: F1 of `>50K` and balanced accuracy at the classifier's "
        "0.5 threshold; average precision (PR-AUC) and ROC AUC from the predicted probability, "
        "which do not depend on a threshold. Cells are mean ± std over seeds; Δ is the paired "
        "difference against `real` (same seed, same subsample), mean ± std, * where its 95% "
        "t-interval excludes 0. Missing categories are the category `?` in every arm.",
        "",
        *headline(summary),
    ]
    for key, table in summary.items():
        rate, kind = key.split("/")
        full = ref["full_train"].get(kind, {})
        lines += [
            f"## r = {float(rate):.0%} `>50K`, {kind}",
            "",
            "| arm | minority F1 | Δ F1 | balanced acc | Δ | PR-AUC | Δ | ROC-AUC | Δ "
            "| precision / recall |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        best = {
            m: max((table[a][m]["mean"] for a in table if m in table[a]), default=None)
            for m in METRICS
        }
        for arm, cell in table.items():
            row = [f"`{arm}`"]
            for m in METRICS:
                text = _ms(cell.get(m))
                if cell.get(m) and cell[m]["mean"] == best[m]:
                    text = f"**{text}**"
                row += [text, _delta(cell.get(m))]
            pr = cell.get("precision"), cell.get("recall")
            row.append(f"{_ms(pr[0], '.2f')} / {_ms(pr[1], '.2f')}" if all(pr) else "—")
            lines.append("| " + " | ".join(row) + " |")
        if full:
            lines += [
                "",
                f"Reference, the full training split ({ref['train_positive_share']:.1%} `>50K`, "
                f"no subsampling, no balancing): F1 {full['f1']:.3f}, balanced acc "
                f"{full['balanced_accuracy']:.3f}, PR-AUC {full['average_precision']:.3f}, "
                f"ROC-AUC {full['roc_auc']:.3f}.",
            ]
        lines.append("")
    lines += [
        "## Training sets and time",
        "",
        "Seconds are wall clock on a shared machine (mean ± std over seeds). *P(>50K) of added* "
        "is the mean probability that an HGB trained on the full real training split gives the "
        "added `>50K` rows (real test `>50K` rows: "
        f"{ref['test_positive_mean_p']:.2f}, test `<=50K` rows: {ref['test_negative_mean_p']:.2f});"
        " for `random_oversampling` the rows are copies of training rows that model has seen. "
        "*Detection AUC*: an HGB told to tell the added `>50K` rows from the real `>50K` "
        "training rows (half of each to train, half to score; 0.5 = indistinguishable).",
        "",
        "| r | arm | training rows | added rows | synth fit s | sample / resample s "
        "| P(>50K) of added | detection AUC | hgb fit s | logreg fit s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, t in report["timings"].items():
        rate, arm = key.split("/")
        prep = t["sample_seconds"] if arm in SYNTHS else t["prepare_seconds"]
        lines.append(
            f"| {float(rate):.0%} | `{arm}` | {_ms(t['train_rows'], ',.0f')} "
            f"| {_ms(t['added_rows'], ',.0f')} | {_ms(t['fit_seconds'], '.1f')} "
            f"| {_ms(prep, '.2f')} | {_ms(t['added_mean_p_positive'], '.2f')} "
            f"| {_ms(t.get('added_detection_auc'), '.2f')} "
            f"| {_ms(t['hgb_fit_seconds'], '.1f')} | {_ms(t['logreg_fit_seconds'], '.1f')} |"
        )
    errors = [r for r in report["runs"] if "error" in r]
    if errors:
        lines += ["", "Failed runs:", ""]
        lines += [
            f"- {r['arm']} r={r['rate']} seed={r['seed']}: {r['error']['error']}" for r in errors
        ]
    lines += [
        "",
        "## What this says",
        "",
        *([report["notes"], ""] if report.get("notes") else []),
        "Generated from the numbers above:",
        "",
        *verdicts(summary, report["runs"]),
        "",
        "Balancing to 1:1 mostly moves the decision threshold: F1 and balanced accuracy at 0.5 "
        "reward a classifier that predicts `>50K` more often, which class weights do for free. "
        "PR-AUC and ROC-AUC only change if the added rows teach the classifier a better ranking.",
        "",
        "Reproduce: the commands that built this file, in order (every arm is seeded, so the "
        "first alone, which runs everything, gives the same scores; only the seconds differ):",
        "",
        "```",
        *report["commands"],
        "```",
        "",
    ]
    return "\n".join(lines)


def write_outputs(report: dict[str, Any], out: Path, name: str) -> None:
    from synthset.utils import atomic_path

    report["summary"] = summarise(report["runs"])
    report["timings"] = timings(report["runs"])
    with atomic_path(out / f"{name}.json", overwrite=True) as tmp:
        tmp.write_text(json.dumps(report, indent=1, default=str) + "\n")
    with atomic_path(out / f"{name}.md", overwrite=True) as tmp:
        tmp.write_text(to_markdown(report))


# --- main -------------------------------------------------------------------------------------
def _csv(text: str, cast: Any = str) -> list[Any]:
    return [cast(s.strip()) for s in text.split(",") if s.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated")
    p.add_argument("--rates", default="0.05,0.01", help="minority shares, comma-separated")
    p.add_argument("--arms", default=",".join(ARMS), help="comma-separated subset")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for tvae and ctgan (default: the library default; the headline numbers)",
    )
    p.add_argument("--quick", action="store_true", help="seed 0, 2 epochs: a smoke test")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--name", default=None, help="file stem (default balance_vs_smote[_quick])")
    p.add_argument("--overwrite", action="store_true", help="start a new result file")
    p.add_argument(
        "--notes",
        type=Path,
        default=None,
        metavar="MD",
        help="a hand-written reading of the numbers, kept in the JSON and shown in the Markdown "
        "(dropped by --overwrite: new numbers need a new reading)",
    )
    p.add_argument("--resume", action="store_true", help="keep earlier runs, skip the done ones")
    p.add_argument(
        "--replace", action="store_true", help="with --resume: rerun (replace) the given arms"
    )
    args = p.parse_args(argv)
    args.seeds = _csv(args.seeds, int)
    args.rates = _csv(args.rates, float)
    args.arms = _csv(args.arms)
    unknown = sorted(set(args.arms) - set(ARMS))
    if unknown:
        p.error(f"--arms: unknown {unknown}; choose from {', '.join(ARMS)}")
    if any(not 0 < r < 0.5 for r in args.rates):
        p.error("--rates must lie in (0, 0.5)")
    if "real" not in args.arms and not args.resume:
        p.error("--arms needs `real` (the paired baseline) unless --resume adds to a run that has")
    if args.quick:
        args.seeds = args.seeds[:1]
        args.epochs = 2 if args.epochs is None else args.epochs
    if args.name is None:
        args.name = "balance_vs_smote_quick" if args.quick else "balance_vs_smote"
    if args.overwrite and args.resume:
        p.error("--overwrite and --resume exclude each other")
    if args.replace and not args.resume:
        p.error("--replace needs --resume")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.code = code_state()  # before the long runs: the code this process imports
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # one core: HGB's OpenMP and BLAS, whatever the environment says
    cmd_args = sys.argv[1:] if argv is None else argv
    env = [f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ]
    script = [".venv/bin/python", "benchmarks/balance_vs_smote.py", *cmd_args]
    command = " ".join([*env, "PYTHONPATH=src", shlex.join(script)])
    json_path = args.out / f"{args.name}.json"
    if json_path.exists() and not (args.overwrite or args.resume):
        raise SystemExit(f"{json_path} exists; pass --overwrite or --resume")

    train, test, categorical, numeric = load_adult()
    cols = {"categorical": categorical, "numeric": numeric}
    _log(f"adult: {len(train)} train / {len(test)} test rows")
    if args.resume and json_path.exists():
        report = json.loads(json_path.read_text())
        if args.replace:
            report["runs"] = [r for r in report["runs"] if r["arm"] not in args.arms]
        if report["config"]["epochs"] != args.epochs:
            raise SystemExit(
                f"--epochs {args.epochs} differs from the earlier run's "
                f"{report['config']['epochs']}; use another --name"
            )
        report["config"]["seeds"] = sorted(set(report["config"]["seeds"]) | set(args.seeds))
        report["config"]["rates"] = sorted(set(report["config"]["rates"]) | set(args.rates))
        report["config"]["arms"] = [a for a in ARMS if a in report["config"]["arms"] + args.arms]
    else:
        report = {
            "benchmark": "balance_vs_smote",
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commands": [command],
            "python_executable": sys.executable,
            "machine": machine_info(),
            "config": {
                "dataset": "adult",
                "train_rows": len(train),
                "test_rows": len(test),
                "seeds": args.seeds,
                "rates": args.rates,
                "arms": args.arms,
                "epochs": args.epochs,
                "classifiers": CLASSIFIER_TEXT,
                "classifier_seed": CLASSIFIER_SEED,
                "categorical": categorical,
                "numeric": numeric,
                "missing_category": MISSING,
                "arms_text": {},
            },
            "reference": {},
            "runs": [],
        }
    report["date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    if args.notes is not None:
        report["notes"] = args.notes.read_text().strip()
    report["config"]["arms_text"] = {
        "random_oversampling": "imblearn `RandomOverSampler(random_state=seed)`",
        "smotenc": "imblearn `SMOTENC(categorical_features=<the 8 categorical columns>, "
        "k_neighbors=5, random_state=seed)`, numeric columns standardised for the neighbour "
        "search and un-scaled after (raw, `fnlwgt`'s range of ~10⁶ would decide every distance)",
        "smote_onehot": "imblearn `SMOTE(k_neighbors=5, random_state=seed)` on one-hot "
        "categoricals + standardised numerics, the common recipe; each new row is decoded back "
        "to a table (a categorical takes the argmax of its interpolated one-hot block, numerics "
        "un-scaled, not rounded) so the same classifiers train on it",
    }

    # the full real training split: a ceiling, and the model behind the label-consistency check
    ref = report["reference"]
    _log("reference: the full training split")
    reference, ref_hgb = train_and_score("hgb", train, test, cols)
    _, ref_lr = train_and_score("logreg", train, test, cols)
    ref["full_train"] = {"hgb": ref_hgb, "logreg": ref_lr}
    ref["train_positive_share"] = float((train[TARGET] == POSITIVE).mean())
    ref["test_positive_share"] = float((test[TARGET] == POSITIVE).mean())
    p_test = reference.predict_proba(_features(test, **cols))[:, 1]
    is_pos = (test[TARGET] == POSITIVE).to_numpy()
    ref["test_positive_mean_p"] = float(p_test[is_pos].mean())
    ref["test_negative_mean_p"] = float(p_test[~is_pos].mean())
    write_outputs(report, args.out, args.name)

    done = {(r["arm"], r["rate"], r["seed"]) for r in report["runs"] if "error" not in r}
    report["runs"] = [r for r in report["runs"] if "error" not in r]  # failed runs are retried
    t_all = time.perf_counter()
    # arm by arm in ARMS order (cheap ones first, the GAN last); within an arm seed by seed,
    # both rates per seed, so an interrupted run has whole seeds of every rate
    for arm in [a for a in ARMS if a in args.arms]:
        for seed in args.seeds:
            for rate in args.rates:
                if (arm, rate, seed) in done:
                    continue
                if report["commands"][-1] != command:  # an invocation that runs something
                    report["commands"].append(command)
                t0 = time.perf_counter()
                rec = run_one(arm, rate, seed, train, test, reference, args, cols)
                report["runs"].append(rec)
                write_outputs(report, args.out, args.name)
                m = rec.get("classifiers", {}).get("hgb", {})
                _log(
                    f"{arm:>20} r={rate:<5} seed={seed}  {time.perf_counter() - t0:6.1f} s  "
                    f"hgb F1 {m.get('f1', float('nan')):.3f} AP "
                    f"{m.get('average_precision', float('nan')):.3f}"
                )
    report["seconds_last_invocation"] = time.perf_counter() - t_all
    write_outputs(report, args.out, args.name)
    _log(f"wrote {json_path} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
