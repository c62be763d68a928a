"""synthset's privacy attacks against anonymeter's, side by side on UCI adult.

adult's training split (32,561 rows) is cut 80/20 (seed 0) into training rows (26,049) and a
holdout (6,512) the synthesizers never see. Three synthetic sets of 26,049 rows are scored:

* ``copy_heavy``: half the rows exact copies of random training rows, half a gaussian_copula
  sample, shuffled (a synthesizer that leaks half its training data);
* ``gaussian_copula``: ``make_synthesizer("gaussian_copula", random_state=0).fit(train)``
  ``.sample(n, seed=1)``;
* ``unseen_real`` (``--sets`` to skip it): adult's *test* split (16,281 rows), real people the
  "synthesizer" never saw: every attack should find no risk.

Each set is attacked by synthset (``evaluate(..., metrics=[the attacks], sensitive=...)``) and by
anonymeter (``SinglingOutEvaluator`` univariate and multivariate, ``LinkabilityEvaluator``,
``InferenceEvaluator`` on ``income`` and on ``age``), both with the training rows as targets and
the holdout as control. anonymeter pins numpy < 1.27, so it runs in its own venv, in a
subprocess of this script (``--anonymeter-worker``) that reads the same Parquet files from a
temporary folder. Same settings on both sides: 2,000 targets (``--targets``), linkability on the
first 7 / last 8 columns in spec order with 1 neighbour, inference from every other column.
Singling out: synthset asks for 2,000 queries per mode (the multivariate search stops after
300,000 candidates, ~1,100 found on adult); anonymeter for 2,000 univariate and
``--anonymeter-multivariate`` (500) multivariate queries with at most 200,000 candidates (about
one in 300 singles out, and anonymeter takes 20-35 s to find 500).

Setup and run from the checkout (a few minutes on 2 CPU cores):

    python3 -m venv build/venv-anonymeter
    build/venv-anonymeter/bin/pip install anonymeter pandas pyarrow
    PYTHONPATH=src OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 \\
        python benchmarks/privacy_vs_anonymeter.py --overwrite
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = ROOT / "build" / "venv-anonymeter" / "bin" / "python"
SETS = ("copy_heavy", "gaussian_copula", "unseen_real")
SECRETS = {"income": False, "age": True}  # secret column -> regression (numeric)
ATTACKS = ["membership_inference_density", "attribute_inference", "singling_out", "linkability"]
ROWS = (
    ("singling out, univariate", "singling_out_univariate"),
    ("singling out, multivariate", "singling_out_multivariate"),
    ("linkability (k = 1)", "linkability"),
    ("inference: income", "inference_income"),
    ("inference: age (±5%)", "inference_age"),
)
THREAD_VARS = ("OMP_NUM_THREADS", "SYNTHSET_NUM_THREADS")


# --- the anonymeter side (runs in the anonymeter venv: pandas and anonymeter only) -------------
def anonymeter_worker(folder: Path) -> None:
    """Run anonymeter's evaluators on the Parquet files in ``folder`` (see ``config.json``) and
    write ``anonymeter.json`` there."""
    import importlib.metadata
    import logging
    import re

    import pandas as pd
    from anonymeter.evaluators import (
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    class Messages(logging.Handler):  # anonymeter logs how many queries it could generate
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.seen: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.seen.append(record.getMessage())

    messages = Messages()
    logging.getLogger("anonymeter").addHandler(messages)
    logging.getLogger("anonymeter").propagate = False
    cfg = json.loads((folder / "config.json").read_text())
    train = pd.read_parquet(folder / "train.parquet")
    holdout = pd.read_parquet(folder / "holdout.parquet")
    n = cfg["targets"]

    def risk(ev: Any, queries: int | None = None, **kw: Any) -> dict[str, Any]:
        r, res = ev.risk(**kw), ev.results(**kw)
        out = {
            "value": r.value,
            "ci_low": r.ci[0],
            "ci_high": r.ci[1],
            "attack_rate": res.attack_rate.value,
            "control_rate": None if res.control_rate is None else res.control_rate.value,
            "attacks": res.n_attacks_ori,
        }
        if queries is not None:
            out["queries"] = queries
        return out

    results: dict[str, Any] = {"anonymeter_version": importlib.metadata.version("anonymeter")}
    for name in cfg["sets"]:
        syn = pd.read_parquet(folder / f"{name}.parquet")
        rec: dict[str, Any] = {}
        for mode, count, attempts in (
            ("univariate", n, None),
            ("multivariate", cfg["multivariate"], cfg["max_attempts"]),
        ):
            t0 = time.perf_counter()
            messages.seen.clear()
            ev = SinglingOutEvaluator(
                ori=train,
                syn=syn,
                n_attacks=count,
                n_cols=3,
                control=holdout,
                max_attempts=attempts,
                seed=cfg["seed"],
            ).evaluate(mode=mode)
            short = [re.search(r"generate only (\d+)", m) for m in messages.seen]
            found = next((int(m.group(1)) for m in short if m), count)
            rec[f"singling_out_{mode}"] = {
                **risk(ev, queries=found),
                "seconds": time.perf_counter() - t0,
            }
        t0 = time.perf_counter()
        ev = LinkabilityEvaluator(
            ori=train,
            syn=syn,
            aux_cols=tuple(cfg["link_columns"]),
            n_attacks=n,
            n_neighbors=1,
            control=holdout,
        ).evaluate(n_jobs=1)
        rec["linkability"] = {**risk(ev), "seconds": time.perf_counter() - t0}
        for secret, regression in SECRETS.items():
            t0 = time.perf_counter()
            ev = InferenceEvaluator(
                ori=train,
                syn=syn,
                aux_cols=[c for c in train.columns if c != secret],
                secret=secret,
                regression=regression,
                n_attacks=n,
                control=holdout,
            ).evaluate(n_jobs=1)
            rec[f"inference_{secret}"] = {**risk(ev), "seconds": time.perf_counter() - t0}
        results[name] = rec
        print(f"  anonymeter {name}: done", file=sys.stderr, flush=True)
    (folder / "anonymeter.json").write_text(json.dumps(results, indent=2, default=float))


# --- the synthset side -------------------------------------------------------------------------
def make_sets(train: Any, test: Any, names: list[str], seed: int) -> dict[str, Any]:
    """The synthetic sets by name (DataFrames with the training columns)."""
    import pandas as pd

    from synthset import make_synthesizer
    from synthset.utils import make_rng

    n = len(train.data)
    copula = make_synthesizer("gaussian_copula", random_state=0).fit(train)
    sets = {"gaussian_copula": copula.sample(n, seed=1).data}
    rng = make_rng(seed)
    if "copy_heavy" in names:
        copies = train.data.iloc[rng.choice(n, n // 2, replace=False)]
        rest = copula.sample(n - n // 2, seed=2).data
        both = pd.concat([copies, rest], ignore_index=True)
        sets["copy_heavy"] = both.iloc[rng.permutation(n)].reset_index(drop=True)
    if "unseen_real" in names:
        fresh = test.data[train.spec.names]
        sets["unseen_real"] = fresh.sample(min(n, len(fresh)), random_state=seed)
    return {k: sets[k].reset_index(drop=True) for k in names}


def run_ours(train: Any, holdout: Any, syn: Any, targets: int, seed: int) -> dict[str, Any]:
    """synthset's attacks on one set, in the shape of the anonymeter records."""
    from synthset import evaluate
    from synthset.evaluation.metrics import privacy_attacks as pa

    keep = pa.MAX_TARGETS
    pa.MAX_TARGETS = targets  # the same number of targets as anonymeter gets
    try:
        t0 = time.perf_counter()
        main = evaluate(train, syn, holdout, metrics=ATTACKS, sensitive="income", seed=seed)
        age = evaluate(
            train, syn, holdout, metrics=["attribute_inference"], sensitive="age", seed=seed
        )
        total = time.perf_counter() - t0
    finally:
        pa.MAX_TARGETS = keep
    seconds = {**main.meta["seconds"]}

    def pick(d: dict[str, Any], **extra: Any) -> dict[str, Any]:
        keys = ("value", "ci_low", "ci_high", "attack_rate", "control_rate")
        return {**{k: d.get(k) for k in keys}, **extra}

    so = main["singling_out"].details
    rec = {
        f"singling_out_{mode}": pick(
            so[mode], queries=so[mode].get("queries"), seconds=seconds["singling_out"]
        )
        for mode in ("univariate", "multivariate")
    }
    link = main["linkability"]
    rec["linkability"] = pick(
        {**link.details, "value": link.value},
        attacks=link.details.get("attacks"),
        seconds=seconds["linkability"],
    )
    for secret, report in (("income", main), ("age", age)):
        m = report["attribute_inference"]
        rec[f"inference_{secret}"] = pick(
            {**m.details, "value": m.value},
            attacks=m.details.get("attacks"),
            seconds=report.meta["seconds"]["attribute_inference"],
        )
    mia = main["membership_inference_density"]
    rec["membership_inference_density"] = {
        "value": mia.value,
        "ci_low": mia.details["ci_low"],
        "ci_high": mia.details["ci_high"],
        "tpr_at_fpr_0.01": mia.details["tpr_at_fpr_0.01"],
        "seconds": seconds["membership_inference_density"],
    }
    rec["total_seconds"] = total
    return rec


# --- output ------------------------------------------------------------------------------------
def _risk(d: dict[str, Any] | None) -> str:
    if not d or d.get("value") is None:
        return "—"
    return f"{d['value']:.3f} [{d['ci_low']:.3f}, {d['ci_high']:.3f}]"


def _rates(d: dict[str, Any] | None) -> str:
    if not d or d.get("attack_rate") is None:
        return "—"
    c = d.get("control_rate")
    return f"{d['attack_rate']:.3f} / {'—' if c is None else f'{c:.3f}'}"


def to_markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    lines = [
        "# synthset privacy attacks vs anonymeter",
        "",
        f"Reproduce: `{report['command']}`",
        "",
        f"Run {report['date']} ({report['machine']['platform']}, "
        f"{report['machine']['cpus_available']} CPUs; anonymeter "
        f"{report.get('anonymeter_version')}, in `{cfg['anonymeter_python']}`).",
        "",
        f"adult training split cut 80/20 (seed {cfg['seed']}): {cfg['rows']['train']:,} training "
        f"rows (targets), {cfg['rows']['holdout']:,} holdout rows (control); "
        f"{cfg['targets']:,} targets per side; singling out: synthset 2,000 queries per mode, "
        f"anonymeter {cfg['targets']:,} univariate / {cfg['multivariate']:,} multivariate "
        f"(≤ {cfg['max_attempts']:,} attempts); linkability columns "
        f"{cfg['link_columns'][0]} | {cfg['link_columns'][1]}, 1 neighbour.",
        "",
        "Risk = (attack rate − control rate) / (1 − control rate), clipped to [0, 1], with its "
        "95% interval. Rates are attack (training targets) / control (holdout targets).",
        "",
    ]
    for name in cfg["sets"]:
        res = report["results"].get(name, {})
        ours, theirs = res.get("synthset", {}), res.get("anonymeter", {})
        lines += [
            f"## {name}",
            "",
            "| attack | synthset risk [95% CI] | anonymeter risk [95% CI] | synthset rates | "
            "anonymeter rates | n synthset / anonymeter | s synthset | s anonymeter |",
            "|---|---|---|---|---|---:|---:|---:|",
        ]
        for label, key in ROWS:
            o, t = ours.get(key), theirs.get(key)
            lines.append(
                f"| {label} | {_risk(o)} | {_risk(t)} | {_rates(o)} | {_rates(t)} | "
                f"{_count(o)} / {_count(t)} | {_seconds(o)} | {_seconds(t)} |"
            )
        mia = ours.get("membership_inference_density")
        if mia:
            lines += [
                "",
                f"synthset only: `membership_inference_density` AUC {_risk(mia)}, TPR at 1% FPR "
                f"{mia['tpr_at_fpr_0.01']:.3f}; all synthset attacks "
                f"{ours.get('total_seconds', 0):.1f} s (singling out's seconds cover both "
                "modes). n: targets per side, or singling-out queries found.",
            ]
        if "error" in res:
            lines += ["", f"error: `{res['error']}`"]
        lines.append("")
    lines += _summary(report)
    lines += [
        "## Differences in method",
        "",
        "- Singling-out control: anonymeter counts the queries that single out a holdout row "
        "and rescales the count to the training size with a curve fitted on holdout subsamples. "
        "synthset swaps holdout rows into the training population instead (unbiased: the "
        "expected rate is linear in the share swapped). anonymeter also divides by the number "
        "of queries requested, synthset by the number found.",
        "- Inference on a number: anonymeter counts a guess right when |guess − truth| / guess "
        "≤ 5%; synthset when |guess − truth| ≤ 5% of |truth|.",
        "- Neighbours: anonymeter a Gower-like L1 distance (range-scaled numbers, 0/1 per "
        "category); synthset Euclidean on range-scaled numbers and one-hot categories (a "
        "mismatch adds 1 to the squared distance), exact, in blocked matrix products; ties "
        "broken by a seeded shuffle of the synthetic rows.",
        "- Seeds: synthset's attacks are deterministic for a seed; anonymeter's singling out "
        "takes a seed, but its inference and linkability evaluators draw their targets without "
        "one, so their numbers move by about ±0.02 from run to run.",
        "",
    ]
    return "\n".join(lines)


def _count(d: dict[str, Any] | None) -> str:
    n = None if not d else d.get("queries", d.get("attacks"))
    return "—" if n is None else f"{n:,}"


def _summary(report: dict[str, Any]) -> list[str]:
    """Computed findings: how far the attack rates and the risks of the two tools lie apart."""
    attack, risk = [], {}
    for name, res in report["results"].items():
        ours, theirs = res.get("synthset", {}), res.get("anonymeter", {})
        for _, key in ROWS:
            o, t = ours.get(key), theirs.get(key)
            if o and t and o.get("attack_rate") is not None and t.get("attack_rate") is not None:
                attack.append(abs(o["attack_rate"] - t["attack_rate"]))
                risk[(name, key)] = (o["value"], t["value"])
    if not attack:
        return []
    zero_risk = [
        f"{name} / {key}: synthset {o:.3f}, anonymeter {t:.3f}"
        for (name, key), (o, t) in risk.items()
        if name != "copy_heavy" and max(o, t) > 0.1
    ]
    lines = [
        "## Summary",
        "",
        f"Attack success rates on the training targets agree within {max(attack):.3f} "
        f"(median {sorted(attack)[len(attack) // 2]:.3f}) over {len(attack)} attack × set pairs.",
    ]
    if zero_risk:
        lines.append(
            "Risks above 0.1 on the sets that should leak little or nothing: "
            + "; ".join(zero_risk)
            + "."
        )
    return [*lines, ""]


def _seconds(d: dict[str, Any] | None) -> str:
    return "—" if not d or d.get("seconds") is None else f"{d['seconds']:.1f}"


def write(report: dict[str, Any], out: Path, name: str, overwrite: bool) -> None:
    from synthset.utils import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    for suffix, text in (
        (".json", json.dumps(report, indent=2, default=str) + "\n"),
        (".md", to_markdown(report)),
    ):
        with atomic_path(out / f"{name}{suffix}", overwrite=overwrite) as tmp:
            tmp.write_text(text, encoding="utf-8")


# --- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {SETS}")
    p.add_argument("--targets", type=int, default=2_000)
    p.add_argument("--anonymeter-multivariate", type=int, default=500)
    p.add_argument("--anonymeter-max-attempts", type=int, default=200_000)
    p.add_argument("--anonymeter-python", type=Path, default=DEFAULT_PYTHON)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--name", default="privacy_vs_anonymeter")
    p.add_argument("--overwrite", action="store_true", help="replace earlier results")
    p.add_argument("--anonymeter-worker", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = sorted(set(args.sets) - set(SETS))
    if unknown:
        p.error(f"unknown --sets {unknown}; choose from {SETS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.anonymeter_worker is not None:
        anonymeter_worker(args.anonymeter_worker)
        return 0
    from synthset import datasets
    from synthset.errors import OutputExistsError

    for suffix in (".json", ".md"):  # fail now, not after minutes of attacks
        if (args.out / f"{args.name}{suffix}").exists() and not args.overwrite:
            raise OutputExistsError(
                f"{args.out / (args.name + suffix)} exists; pass --overwrite to replace it"
            )
    if not args.anonymeter_python.exists():
        sys.exit(
            f"no anonymeter venv at {args.anonymeter_python}: create it with `python3 -m venv "
            "build/venv-anonymeter && build/venv-anonymeter/bin/pip install anonymeter pandas "
            "pyarrow`, or pass --anonymeter-python"
        )
    cmd_args = sys.argv[1:] if argv is None else argv
    env = [f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ]
    script = ["python", "benchmarks/privacy_vs_anonymeter.py", *map(str, cmd_args)]
    command = " ".join(["PYTHONPATH=src", *env, shlex.join(script)])
    full = datasets.load("adult")
    train, holdout = full.split(0.8, seed=args.seed)
    cols = [c.name for c in train.spec.columns if c.kind != "id"]
    link_columns = [cols[: len(cols) // 2], cols[len(cols) // 2 :]]
    report: dict[str, Any] = {
        "benchmark": "privacy_vs_anonymeter",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus_available": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "env": {k: os.environ.get(k) for k in THREAD_VARS},
        },
        "config": {
            "sets": args.sets,
            "seed": args.seed,
            "targets": args.targets,
            "multivariate": args.anonymeter_multivariate,
            "max_attempts": args.anonymeter_max_attempts,
            "link_columns": link_columns,
            "anonymeter_python": str(args.anonymeter_python),
            "rows": {"train": len(train.data), "holdout": len(holdout.data)},
        },
        "results": {},
    }
    t0 = time.perf_counter()
    sets = make_sets(train, datasets.load("adult", split="test"), args.sets, args.seed)
    with tempfile.TemporaryDirectory(prefix="privacy-vs-anonymeter-") as tmp:
        folder = Path(tmp)
        train.data.to_parquet(folder / "train.parquet")
        holdout.data.to_parquet(folder / "holdout.parquet")
        for name, frame in sets.items():
            frame.to_parquet(folder / f"{name}.parquet")
            print(f"synthset {name}", file=sys.stderr, flush=True)
            report["results"][name] = {
                "synthset": run_ours(train, holdout.data, frame, args.targets, args.seed)
            }
        (folder / "config.json").write_text(json.dumps({**report["config"], "sets": args.sets}))
        print("anonymeter (subprocess)", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [str(args.anonymeter_python), __file__, "--anonymeter-worker", str(folder)],
            env={**os.environ, "PYTHONPATH": ""},
            check=False,
        )
        theirs = (
            json.loads((folder / "anonymeter.json").read_text()) if proc.returncode == 0 else {}
        )
        report["anonymeter_version"] = theirs.pop("anonymeter_version", None)
        for name in args.sets:
            if name in theirs:
                report["results"][name]["anonymeter"] = theirs[name]
            else:
                report["results"][name]["error"] = f"anonymeter worker exit {proc.returncode}"
    report["seconds"] = time.perf_counter() - t0
    write(report, args.out, args.name, args.overwrite)
    print(to_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
