"""Privacy–utility trade-off of differentially private table synthesis on UCI adult (issue 5).

For every synthesizer (synthset's ``tvae`` and ``ctgan``) and every target ε in
{0.5, 1, 3, 10, ∞} (∞: the same synthesizer, same epochs and batch, trained without DP) at
δ = 1e-5, this fits on the adult training split (32,561 rows), samples as many rows, and scores
them with ``synthset.evaluation.evaluate`` against the test split (16,281 rows) as holdout:

* quality: the mean of ``column_shapes`` and ``pair_trends`` (plus ``detection``);
* utility: ``tstr`` (accuracy of a model trained on synthetic rows predicting ``income`` on the
  real test split; ROC AUC in the details) and ``tstr_ratio``;
* privacy: ``membership_inference`` (distance attack) and ``membership_inference_density``
  (DOMIAS) ROC AUC, 0.5 meaning the attacker learns nothing; and the (ε, δ) the fit spent and
  its noise multipliers, from ``synth.privacy_``.

Reference rows: the real training rows scored as if they were synthetic (the TSTR ceiling and
the worst case for the attacks), and ``gaussian_copula`` without DP. When
``build/venv-smartnoise`` exists (``pip install smartnoise-synth``), smartnoise-synth's MST runs
at the same ε and δ in a subprocess of that venv and is scored by the same ``evaluate()``.

Every run is timed; the JSON and Markdown are rewritten after every run (an interrupted run
keeps what it finished) and the plot at the end.

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python \
        benchmarks/privacy_utility.py --overwrite             # the full run (tens of minutes)
    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python \
        benchmarks/privacy_utility.py --quick --out /tmp/pu   # the whole pipeline in minutes
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
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images_common import cpu_name  # noqa: E402
from _images_common import error_record as _error  # noqa: E402
from _images_common import load_avg as _load_avg  # noqa: E402
from _images_common import write_atomic as _write_atomic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EPSILONS = (0.5, 1.0, 3.0, 10.0, math.inf)
QUICK_EPSILONS = (10.0, math.inf)  # at ε = 1, 3,000 rows cannot pay for the category sets
DELTA = 1e-5
TARGET = "income"
SYNTHESIZERS = ("tvae", "ctgan")
# 30 epochs as benchmarks/tabular_vs_sdv.py. With ghost clipping a private epoch on adult at
# batch 500 (one thread, idle machine) took ~1.2 s (TVAE) and ~3 s (CTGAN, whose discriminator
# clips B real + B fake rows a step) against ~0.4 s and ~2 s without DP; another job on the
# 2 cores made them 10-20x slower.
DEFAULT_EPOCHS = {"tvae": 30, "ctgan": 30}
QUICK_EPOCHS = {"tvae": 2, "ctgan": 1}
BATCH_SIZE = 500
QUICK_ROWS = 3_000
FIT_SEED, SAMPLE_SEED, EVAL_SEED = 0, 1, 0
PREPROCESSING_SHARE = 0.1  # synthset's default; MST gets the same share for its bounds
METRICS = (
    "column_shapes",
    "pair_trends",
    "detection",
    "tstr",
    "tstr_ratio",
    "membership_inference",
    "membership_inference_density",
)
SMARTNOISE_VENV = ROOT / "build" / "venv-smartnoise"
SMARTNOISE_TIMEOUT_S = 1_800
INF_X = 40.0  # where ε = ∞ is drawn on the log axis


# --- smartnoise worker (runs in build/venv-smartnoise: stdlib, numpy, pandas and snsynth) -------
def smartnoise_worker(args: argparse.Namespace) -> None:
    """Fit one snsynth synthesizer on ``--data`` and write ``--rows`` synthetic rows + a JSON.

    Continuous columns are binned by snsynth (its ``cube`` style: 10 equal-width bins between
    bounds it estimates privately with ``preprocessor_eps``, which it subtracts from ε);
    categorical columns are label-encoded from the observed categories (snsynth does not charge
    for the category sets). Noise comes from OpenDP's samplers, which take no seed.
    """
    from snsynth import Synthesizer

    np.random.seed(args.seed)  # mbi's sampling of rows draws from numpy's global generator
    cfg = json.loads(args.config)
    df = pd.read_csv(args.data)
    t0 = time.perf_counter()
    synth = Synthesizer.create(cfg["synth"], epsilon=float(cfg["epsilon"]), delta=cfg["delta"])
    synth.fit(
        df,
        categorical_columns=cfg["categorical"],
        continuous_columns=cfg["continuous"],
        preprocessor_eps=float(cfg["preprocessor_eps"]),
        nullable=True,
    )
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = synth.sample(int(cfg["rows"]))
    sample_s = time.perf_counter() - t1
    out = out if isinstance(out, pd.DataFrame) else pd.DataFrame(out, columns=df.columns)
    out.to_csv(args.out, index=False)
    from importlib import metadata

    info = {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "epsilon_left_for_training": float(synth.epsilon),
        "versions": {d: metadata.version(d) for d in ("smartnoise-synth", "private-pgm", "opendp")
                     if _has_dist(d)},
    }  # fmt: skip
    Path(args.out).with_suffix(".json").write_text(json.dumps(info))


def _has_dist(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


# --- the benchmark ------------------------------------------------------------------------------
def _eps_label(eps: float) -> str:
    return "∞" if math.isinf(eps) else f"{eps:g}"


def _json_float(x: Any) -> Any:
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return x


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _to_jsonable(obj.item())
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def _parse_epochs(text: str | None, quick: bool) -> dict[str, int]:
    """``"10"`` (every synthesizer) or ``"tvae=10,ctgan=4"`` → ``{name: epochs}``."""
    epochs = dict(QUICK_EPOCHS if quick else DEFAULT_EPOCHS)
    if not text:
        return epochs
    if "=" not in text:
        return dict.fromkeys(epochs, int(text))
    for part in text.split(","):
        name, _, value = part.partition("=")
        epochs[name.strip()] = int(value)
    return epochs


def _scores(report: Any) -> dict[str, Any]:
    """The numbers of one ``evaluate()`` report this benchmark tabulates."""
    by = {m.name: m for m in report.metrics}

    def value(name: str) -> float | None:
        m = by.get(name)
        return None if m is None or m.value is None else float(m.value)

    out: dict[str, Any] = {name: value(name) for name in METRICS}
    errors = {n: m.details["error"] for n, m in by.items() if "error" in (m.details or {})}
    if errors:
        out["metric_errors"] = errors
    shapes, pairs = out["column_shapes"], out["pair_trends"]
    out["quality"] = None if shapes is None or pairs is None else (shapes + pairs) / 2
    if "tstr" in by and "tstr" in by["tstr"].details:
        d = by["tstr"].details
        out["tstr_auc"] = d["tstr"]["roc_auc"]["mean"]
        out["trtr"] = d["trtr"]["accuracy"]["mean"]
        out["trtr_auc"] = d["trtr"]["roc_auc"]["mean"]
    if "detection" in by and "auc" in by["detection"].details:
        out["detection_auc"] = float(by["detection"].details["auc"])
    if "membership_inference" in by and "std_error" in by["membership_inference"].details:
        out["mia_std_error"] = by["membership_inference"].details["std_error"]
    dens = by.get("membership_inference_density")
    if dens is not None and "ci_low" in dens.details:
        out["mia_density_ci"] = [dens.details["ci_low"], dens.details["ci_high"]]
        out["mia_density_tpr_at_fpr_0.01"] = dens.details["tpr_at_fpr_0.01"]
    out["eval_metric_seconds"] = report.meta.get("seconds")
    return out


class Benchmark:
    """Runs, records and writes the benchmark (see the module docstring)."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out_dir = Path(args.out)
        self.name = args.name or ("privacy_utility_quick" if args.quick else "privacy_utility")
        self.epochs = _parse_epochs(args.epochs, args.quick)
        self.epsilons = (
            tuple(float(e) for e in args.epsilons.split(","))
            if args.epsilons
            else (QUICK_EPSILONS if args.quick else EPSILONS)
        )
        self.synthesizers = tuple(s.strip() for s in args.synthesizers.split(",") if s.strip())
        self.runs: list[dict[str, Any]] = []
        self.started = dt.datetime.now(dt.timezone.utc)
        self.t0 = time.perf_counter()
        self.git_at_start = _git_state()
        self.stored_meta: dict[str, Any] | None = None  # --replot: the meta of the JSON

    # ---------------------------------------------------------------- data
    def load(self) -> None:
        from synthset.data.table import Table
        from synthset.datasets import load

        train, test = load("adult"), load("adult", split="test")
        if self.args.quick:
            rng = np.random.default_rng(0)
            pick = np.sort(rng.choice(len(train.data), QUICK_ROWS, replace=False))
            train = Table(train.data.iloc[pick].reset_index(drop=True), train.spec)
            pick = np.sort(rng.choice(len(test.data), QUICK_ROWS, replace=False))
            test = Table(test.data.iloc[pick].reset_index(drop=True), test.spec)
        if not DELTA < 1 / len(train.data):
            raise SystemExit(f"δ = {DELTA:g} is not below 1/rows = {1 / len(train.data):g}")
        self.train, self.test = train, test
        self.majority = float(test.data[TARGET].value_counts(normalize=True).max())

    # ---------------------------------------------------------------- one run
    def _evaluate(self, synthetic: Any, record: dict[str, Any]) -> None:
        from synthset.evaluation import evaluate

        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = evaluate(
                self.train,
                synthetic,
                holdout=self.test,
                target=TARGET,
                metrics=list(METRICS),
                seed=EVAL_SEED,
            )
        record["eval_s"] = time.perf_counter() - t0
        record["scores"] = _scores(report)
        failed = [str(w.message) for w in caught if "failed" in str(w.message)]
        if failed:
            record["eval_warnings"] = failed

    def _run(self, record: dict[str, Any], body: Callable[[dict[str, Any]], None]) -> None:
        label = f"{record['synthesizer']} ε={_eps_label(record['epsilon_target'])}"
        print(f"[{time.perf_counter() - self.t0:7.0f}s] {label} ...", file=sys.stderr, flush=True)
        record["load_avg_before"] = _load_avg()
        gc.collect()
        try:
            body(record)
        except Exception as exc:  # noqa: BLE001 - one failing run must not end the benchmark
            record["error"] = _error(exc)
            print(f"  ! {label}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        record["load_avg_after"] = _load_avg()
        s = record.get("scores", {})
        print(
            f"  fit {record.get('fit_s', float('nan')):.1f}s  quality {s.get('quality')}  "
            f"tstr {s.get('tstr')}  mia {s.get('membership_inference')}  "
            f"mia_density {s.get('membership_inference_density')}  "
            f"eps spent {record.get('epsilon_spent')}",
            file=sys.stderr,
            flush=True,
        )
        self.runs.append(record)
        self.write()

    def run_real(self) -> None:
        def body(rec: dict[str, Any]) -> None:
            rec["fit_s"] = 0.0
            self._evaluate(self.train, rec)

        self._run(self._record("real data", "reference", math.inf), body)

    def run_synthset(self, name: str, eps: float) -> None:
        from synthset import make_synthesizer

        def body(rec: dict[str, Any]) -> None:
            params: dict[str, Any] = {"random_state": FIT_SEED}
            if name in self.epochs:
                params |= {"epochs": self.epochs[name], "batch_size": BATCH_SIZE}
                rec |= {"epochs": self.epochs[name], "batch_size": BATCH_SIZE}
            if not math.isinf(eps):
                params["dp"] = {"epsilon": eps, "delta": DELTA}
                if self.args.public_categories:  # UCI publishes adult's category lists
                    params["dp"]["public_metadata"] = {
                        c.name: {"categories": list(c.categories)}
                        for c in self.train.spec.columns
                        if c.is_discrete and c.categories
                    }
                    rec["public_metadata"] = "categories"
            synth = make_synthesizer(name, **params)
            t0 = time.perf_counter()
            synth.fit(self.train)
            rec["fit_s"] = time.perf_counter() - t0
            hist = getattr(synth, "history_", None) or []
            if hist and "seconds" in hist[0]:
                rec["epoch_s"] = [round(float(h["seconds"]), 2) for h in hist]
            priv = getattr(synth, "privacy_", None)
            if priv:
                rec["epsilon_spent"] = priv["epsilon"]
                rec["delta"] = priv["delta"]
                rec["noise_multiplier"] = priv["noise_multiplier"]
                rec["preprocessing_noise_multiplier"] = priv["preprocessing"]["noise_multiplier"]
                rec["preprocessing_epsilon_alone"] = priv["preprocessing"]["epsilon_alone"]
                rec["sample_rate"] = priv["sample_rate"]
                rec["steps"] = priv["steps"]
                rec["guarantee"] = priv["guarantee"]
                rec["epsilon_by_epoch"] = [h.get("epsilon") for h in hist]
                rec["suppressed_categories"] = _suppressed(self.train.spec, synth.spec_)
            t1 = time.perf_counter()
            fake = synth.sample(len(self.train.data), seed=SAMPLE_SEED)
            rec["sample_s"] = time.perf_counter() - t1
            del synth
            self._evaluate(fake, rec)

        self._run(self._record(name, "synthset", eps), body)

    def run_smartnoise(self, name: str, eps: float, tmp: Path) -> None:
        spec = self.train.spec
        continuous = [c.name for c in spec.columns if c.kind in ("continuous", "discrete")]
        categorical = [c.name for c in spec.columns if c.name not in continuous]

        def body(rec: dict[str, Any]) -> None:
            data = tmp / "train.csv"
            if not data.exists():
                self.train.data.to_csv(data, index=False)
            out = tmp / f"{name}_{eps:g}.csv"
            cfg = {
                "synth": name,
                "epsilon": eps,
                "delta": DELTA,
                "preprocessor_eps": PREPROCESSING_SHARE * eps,
                "continuous": continuous,
                "categorical": categorical,
                "rows": len(self.train.data),
            }
            rec["config"] = cfg
            python = SMARTNOISE_VENV / "bin" / "python"
            cmd = [str(python), str(Path(__file__).resolve()), "smartnoise-worker"]
            cmd += ["--data", str(data), "--out", str(out), "--seed", str(FIT_SEED)]
            cmd += ["--config", json.dumps(cfg)]
            env = {**os.environ, "OMP_NUM_THREADS": "1", "XLA_FLAGS": _XLA_ONE_THREAD}
            env.pop("PYTHONPATH", None)
            t0 = time.perf_counter()
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=SMARTNOISE_TIMEOUT_S
            )
            rec["wall_s"] = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"smartnoise worker failed: {proc.stderr[-2000:]}")
            info = json.loads(out.with_suffix(".json").read_text())
            rec["fit_s"], rec["sample_s"] = info["fit_s"], info["sample_s"]
            rec["versions"] = info.get("versions")
            rec["epsilon_spent"] = eps  # MST spends exactly its budget (zCDP → (ε, δ))
            rec["delta"] = DELTA
            rec["epsilon_training"] = info["epsilon_left_for_training"]
            fake = pd.read_csv(out, dtype={c: "string" for c in categorical})
            self._evaluate(fake, rec)

        self._run(self._record(name, "smartnoise-synth", eps), body)

    def _record(self, synthesizer: str, library: str, eps: float) -> dict[str, Any]:
        return {"synthesizer": synthesizer, "library": library, "epsilon_target": eps}

    # ---------------------------------------------------------------- all runs
    def run(self) -> None:
        self.load()
        self.run_real()
        self.run_synthset("gaussian_copula", math.inf)
        for name in self.synthesizers:
            for eps in self.epsilons:
                self.run_synthset(name, eps)
        if self.args.no_smartnoise:
            self.smartnoise_note = "skipped (--no-smartnoise)"
        elif not (SMARTNOISE_VENV / "bin" / "python").exists():
            self.smartnoise_note = f"skipped: {SMARTNOISE_VENV} does not exist"
        else:
            self.smartnoise_note = "ran"
            with tempfile.TemporaryDirectory(prefix="privacy_utility_") as tmp:
                for eps in self.epsilons:
                    if not math.isinf(eps):  # MST has no non-private mode
                        self.run_smartnoise("mst", eps, Path(tmp))
        self.write()
        self.plot()

    # ---------------------------------------------------------------- output
    def meta(self) -> dict[str, Any]:
        import torch

        import synthset
        from synthset.utils import default_cpu_threads

        return {
            "date": self.started.isoformat(timespec="seconds"),
            "command": "OMP_NUM_THREADS={} SYNTHSET_NUM_THREADS={} PYTHONPATH=src {} {}".format(
                os.environ.get("OMP_NUM_THREADS", ""),
                os.environ.get("SYNTHSET_NUM_THREADS", ""),
                ".venv/bin/python",
                shlex.join(["benchmarks/privacy_utility.py", *sys.argv[1:]]),
            ),
            "train_rows": len(self.train.data),
            "test_rows": len(self.test.data),
            "test_majority_share": self.majority,
            "synthetic_rows": len(self.train.data),
            "epsilons": [_json_float(e) for e in self.epsilons],
            "delta": DELTA,
            "epochs": self.epochs,
            "batch_size": BATCH_SIZE,
            "seeds": {"fit": FIT_SEED, "sample": SAMPLE_SEED, "evaluate": EVAL_SEED},
            "metrics": list(METRICS),
            "smartnoise": getattr(self, "smartnoise_note", "not reached"),
            "machine": {
                "cpu": cpu_name(),
                "cpus_available": len(os.sched_getaffinity(0)),
                "torch_threads": default_cpu_threads(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "load_avg_at_end": _load_avg(),
            },
            "versions": {
                "synthset": synthset.__version__,
                "torch": torch.__version__,
                "opacus": _dist_version("opacus"),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "scikit-learn": _dist_version("scikit-learn"),
            },
            "git": {"at_start": self.git_at_start, "now": _git_state()},
            "wall_s": time.perf_counter() - self.t0,
        }

    def paths(self) -> dict[str, Path]:
        return {ext: self.out_dir / f"{self.name}.{ext}" for ext in ("json", "md", "png")}

    def write(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        payload = {"meta": self.stored_meta or self.meta(), "runs": self.runs}
        text = json.dumps(_to_jsonable(payload), indent=1, ensure_ascii=False)
        _write_atomic(self.paths()["json"], text + "\n")
        _write_atomic(self.paths()["md"], self.markdown(payload["meta"]))

    def markdown(self, meta: dict[str, Any]) -> str:
        m = meta["machine"]
        ep = ", ".join(f"{k} {v}" for k, v in meta["epochs"].items())
        lines = [
            "# Privacy–utility on UCI adult",
            "",
            "Reproduce (from the repository root):",
            "",
            "```bash",
            meta["command"],
            "```",
            "",
            f"{meta['date']} · {meta['train_rows']:,} train rows · {meta['test_rows']:,} "
            f"holdout/test rows · {meta['synthetic_rows']:,} synthetic rows per run · "
            f"δ = {DELTA:g} · epochs: {ep} (the same at every ε, ∞ included) · batch "
            f"{BATCH_SIZE} · seeds: fit {FIT_SEED}, sample {SAMPLE_SEED}, evaluate {EVAL_SEED} · "
            f"machine: {m['cpu']}, {m['cpus_available']} CPUs shared with other jobs, torch "
            f"{m['torch_threads']} thread(s) · synthset at commit "
            f"{meta['git']['at_start'].get('commit')}"
            f"{' + uncommitted changes' if meta['git']['at_start'].get('src_changes') else ''}"
            f" · total wall {meta['wall_s'] / 60:.1f} min",
            "",
            "| synthesizer | library | ε target | ε spent | σ train | σ prep | fit s | quality "
            "| shapes | pairs | detection | TSTR acc | TSTR AUC | TSTR ratio | MIA AUC "
            "| MIA density AUC | error |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.runs:
            s = r.get("scores", {})
            err = r.get("error", {}).get("error", "")
            if s.get("metric_errors"):
                err = err + " " + "; ".join(f"{k}: {v}" for k, v in s["metric_errors"].items())
            lines.append(
                "| "
                + " | ".join(
                    [
                        r["synthesizer"],
                        r["library"],
                        _eps_label(r["epsilon_target"]),
                        _fmt(r.get("epsilon_spent"), 3),
                        _fmt(r.get("noise_multiplier"), 3),
                        _fmt(r.get("preprocessing_noise_multiplier"), 1),
                        _fmt(r.get("fit_s"), 1),
                        _fmt(s.get("quality")),
                        _fmt(s.get("column_shapes")),
                        _fmt(s.get("pair_trends")),
                        _fmt(s.get("detection")),
                        _fmt(s.get("tstr")),
                        _fmt(s.get("tstr_auc")),
                        _fmt(s.get("tstr_ratio")),
                        _fmt(s.get("membership_inference")),
                        _mia_density(s),
                        err.replace("|", "/")[:160],
                    ]
                )
                + " |"
            )
        trtr = next(
            (r["scores"].get("trtr") for r in self.runs if "trtr" in r.get("scores", {})), None
        )
        lines += [
            "",
            "quality = mean of column_shapes and pair_trends; detection = "
            "1 − (2·max(AUC, 0.5) − 1) of a classifier separating real from synthetic rows "
            "(1 = indistinguishable). TSTR: "
            f"HistGradientBoosting trained on the synthetic rows predicting `{TARGET}` on the "
            "real test split, mean of 3 seeds; train-on-real accuracy "
            f"{_fmt(trtr)}; always answering the majority class scores "
            f"{_fmt(meta['test_majority_share'])}. MIA: ROC AUC of a "
            "membership attack telling training rows from test rows, by the distance to the "
            "nearest synthetic row (MIA) or by the DOMIAS density ratio (95% bootstrap "
            "interval in brackets); 0.5 = the attacker learns nothing. σ train: DP-SGD noise "
            "multiplier solved for the target ε after the private preprocessing; σ prep: noise "
            "multiplier of the per-column histograms of the private preprocessing "
            f"({PREPROCESSING_SHARE:.0%} of ε). The `real data` row scores the training rows "
            "themselves: the TSTR ceiling, and the attacks' worst case (every member has a "
            "synthetic row at distance 0).",
            "",
            "| synthesizer | library | ε target | fit s | s/epoch (mean) | sample s | evaluate s "
            "| steps | suppressed categories |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in self.runs:
            epoch_s = r.get("epoch_s")
            sup = r.get("suppressed_categories")
            lines.append(
                f"| {r['synthesizer']} | {r['library']} | {_eps_label(r['epsilon_target'])} | "
                f"{_fmt(r.get('fit_s'), 1)} | "
                f"{_fmt(float(np.mean(epoch_s)) if epoch_s else None, 1)} | "
                f"{_fmt(r.get('sample_s'), 1)} | {_fmt(r.get('eval_s'), 1)} | "
                f"{r.get('steps', '')} | "
                f"{'' if sup is None else (sum(len(v) for v in sup.values()) or 'none')} |"
            )
        lines += [
            "",
            f"smartnoise-synth: {meta['smartnoise']}. MST (McKenna et al. 2021) runs in "
            "`build/venv-smartnoise` with snsynth's defaults: continuous columns in 10 "
            f"equal-width bins between bounds it estimates with {PREPROCESSING_SHARE:.0%} of ε "
            "(its `preprocessor_eps`, taken from ε), categorical columns from the observed "
            "categories (not charged by snsynth; synthset pays for them by partition selection), "
            "δ as above; its noise comes from OpenDP, which takes no seed, so MST rows vary "
            "between runs.",
            "",
            "Timings are wall-clock seconds of one run each on a machine shared with other jobs "
            "(load average before/after each run in the JSON); expect noise.",
            "",
        ]
        return "\n".join(lines)

    def replot(self) -> None:
        """Render the Markdown and the plot again from this run's JSON (no fitting)."""
        payload = json.loads(self.paths()["json"].read_text())
        self.stored_meta = payload["meta"]
        if "test_majority_share" not in self.stored_meta:  # JSON of an earlier version
            self.load()
            self.stored_meta["test_majority_share"] = self.majority
        self.runs = [
            {**r, "epsilon_target": float(r["epsilon_target"])} for r in payload["runs"]
        ]  # "inf" back to a float
        self.epsilons = tuple(float(e) for e in self.stored_meta["epsilons"])
        self.epochs = self.stored_meta["epochs"]
        self.write()
        self.plot()

    def plot(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        panels = [
            ("quality", "quality (shapes + pairs) / 2", None),
            ("tstr", f"TSTR accuracy ({TARGET})", None),
            ("membership_inference", "membership-inference AUC", "membership_inference_density"),
        ]
        fig, axes = plt.subplots(1, 3, figsize=(15, 5.0))
        finite = sorted(e for e in self.epsilons if not math.isinf(e))
        ticks = [*finite, INF_X]
        meta = self.stored_meta or {
            "train_rows": len(self.train.data),
            "test_majority_share": self.majority,
        }
        real = next((r for r in self.runs if r["synthesizer"] == "real data"), None)
        copula = next((r for r in self.runs if r["synthesizer"] == "gaussian_copula"), None)
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in self.runs:
            if (
                r["library"] in ("synthset", "smartnoise-synth")
                and r["synthesizer"] != "gaussian_copula"
            ):
                label = (
                    r["synthesizer"]
                    if r["library"] == "synthset"
                    else f"{r['synthesizer']} (smartnoise)"
                )
                groups.setdefault(label, []).append(r)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for ax, (key, title, second) in zip(axes, panels, strict=True):
            for i, (label, runs) in enumerate(groups.items()):
                c = colors[i % len(colors)]
                for k, style in ((key, "-"), (second, "--")):
                    if k is None:
                        continue
                    pts = [(r["epsilon_target"], r.get("scores", {}).get(k)) for r in runs]
                    fin = sorted((e, v) for e, v in pts if v is not None and not math.isinf(e))
                    inf = [v for e, v in pts if v is not None and math.isinf(e)]
                    lab = label if k == key else f"{label} (density attack)"
                    if fin:
                        ax.plot(
                            *zip(*fin, strict=True),
                            style,
                            color=c,
                            marker="o" if k == key else "D",
                            fillstyle="full" if k == key else "none",
                            label=lab,
                        )
                    if inf:
                        ax.plot([INF_X], inf, marker="s" if k == key else "D", color=c,
                                fillstyle="full" if k == key else "none", linestyle="none",
                                label=None if fin else lab)  # fmt: skip
            if copula and copula.get("scores", {}).get(key) is not None:
                ax.plot([INF_X], [copula["scores"][key]], marker="*", markersize=11, color="k",
                        linestyle="none", label="gaussian_copula (no DP)")  # fmt: skip
            ref = None
            if key == "membership_inference":
                ref, ref_label = 0.5, "0.5: no leak"
                vals = [
                    v
                    for r in self.runs
                    if r["synthesizer"] != "real data"
                    for k in (key, second)
                    if (v := r.get("scores", {}).get(k)) is not None
                ]
                ax.set_ylim(0.45, max([0.6, *(v + 0.02 for v in vals)]))
                if real and real.get("scores", {}).get(key) is not None:
                    ax.text(0.02, 0.97, f"real training rows as 'synthetic': "
                            f"{real['scores'][key]:.3f}", transform=ax.transAxes, fontsize=8,
                            va="top")  # fmt: skip
            elif real and real.get("scores", {}).get(key) is not None:
                ref, ref_label = real["scores"][key], "real data"
            if key == "tstr":
                ax.axhline(meta["test_majority_share"], color="grey", linestyle="-.",
                           label="majority class (always '<=50K')")  # fmt: skip
            if ref is not None:
                ax.axhline(ref, color="grey", linestyle=":", label=ref_label)
            ax.axvline(math.sqrt(finite[-1] * INF_X) if finite else INF_X / 2, color="lightgrey")
            ax.set_xscale("log")
            ax.set_xticks(ticks)
            ax.set_xticklabels([*(f"{e:g}" for e in finite), "∞\n(no DP)"])
            ax.minorticks_off()
            ax.set_xlabel("ε (δ = 1e-5)")
            ax.set_title(title)
            ax.grid(alpha=0.3)
        handles: dict[str, Any] = {}
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
        fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=5, fontsize=8)
        ep = ", ".join(f"{k} {v} epochs" for k, v in self.epochs.items())
        fig.suptitle(
            f"Differentially private synthesis of adult ({meta['train_rows']:,} rows; {ep}, "
            f"batch {BATCH_SIZE}, the same at every ε)",
            fontsize=10,
        )
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        path = self.paths()["png"]
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.png")
        fig.savefig(tmp, dpi=110)
        plt.close(fig)
        tmp.replace(path)


_XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _suppressed(spec: Any, private: Any) -> dict[str, list[str]]:
    """Categories of the real spec the private spec dropped (partition selection)."""
    out = {}
    for c in spec.columns:
        if c.categories is not None and c.name in private:
            kept = set(private[c.name].categories or [])
            gone = [str(v) for v in c.categories if v not in kept]
            if gone:
                out[c.name] = gone
    return out


def _mia_density(s: dict[str, Any]) -> str:
    v = s.get("membership_inference_density")
    if v is None:
        return ""
    ci = s.get("mia_density_ci")
    return f"{v:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else f"{v:.3f}"


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.{digits}f}"


def _git_state() -> dict[str, Any]:
    """The checkout's commit and its uncommitted changes under src/ (code a run may mix)."""

    def git(*cmd: str) -> str:
        out = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short", "HEAD"),
            "src_changes": git("status", "--porcelain", "--", "src").splitlines(),
        }
    except OSError:
        return {}


def _dist_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["smartnoise-worker"]:
        p = argparse.ArgumentParser(prog="privacy_utility.py smartnoise-worker")
        p.add_argument("--data", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--config", required=True, help="JSON: synth, epsilon, delta, columns")
        smartnoise_worker(p.parse_args(argv[1:]))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, ε ∈ {{10, ∞}}, "
                   f"epochs {QUICK_EPOCHS}: the whole pipeline in a few minutes")  # fmt: skip
    p.add_argument("--epochs", help=f"'10' for every synthesizer or 'tvae=10,ctgan=4' "
                   f"(default {DEFAULT_EPOCHS})")  # fmt: skip
    p.add_argument("--epsilons", help="comma-separated, 'inf' for no DP (default 0.5,1,3,10,inf)")
    p.add_argument("--synthesizers", default=",".join(SYNTHESIZERS), help="default tvae,ctgan")
    p.add_argument("--no-smartnoise", action="store_true", help="skip smartnoise-synth's MST")
    p.add_argument(
        "--public-categories",
        action="store_true",
        help="declare adult's category lists public (UCI publishes them): only the numeric "
        "ranges and the marginals are paid for",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="results folder")
    p.add_argument("--name", help="file stem (default privacy_utility[_quick])")
    p.add_argument("--overwrite", action="store_true", help="replace existing result files")
    p.add_argument("--replot", action="store_true", help="only render the Markdown and plot "
                   "again from the existing JSON")  # fmt: skip
    args = p.parse_args(argv)
    bench = Benchmark(args)
    if args.replot:
        bench.replot()
        print(f"wrote {bench.paths()['md']}, {bench.paths()['png']}", file=sys.stderr)
        return
    existing = [str(q) for q in bench.paths().values() if q.exists()]
    if existing and not args.overwrite:
        raise SystemExit(f"{', '.join(existing)} exist; pass --overwrite to replace them")
    bench.run()
    print(f"wrote {', '.join(str(q) for q in bench.paths().values())}", file=sys.stderr)


if __name__ == "__main__":
    main()
