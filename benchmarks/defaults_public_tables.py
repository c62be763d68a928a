"""Every table synthesizer at its defaults on public tables nobody here wrote, and our report.

The question a new user asks first: fitted on my CSV with no options, does the result pass
synthset's own report? For each table (five from the ``vega_datasets`` package, read as the
CSV files it ships, plus the bundled penguins, breast_cancer and adult) this splits 80/20
(seed 0), fits ``gaussian_copula``, ``tvae`` and ``ctgan`` with ``random_state=0`` and nothing
else, samples as many rows as the training split (seed 1) and runs ``evaluate`` against the
holdout with the table's natural target. One JSON line per (table, model) goes to
``benchmarks/results/defaults_public_tables.jsonl`` and a Markdown table to ``….md``.

    pip install vega_datasets==0.9.0        # in the bench extra
    SYNTHSET_NUM_THREADS=1 PYTHONPATH=src python benchmarks/defaults_public_tables.py
    PYTHONPATH=src python benchmarks/defaults_public_tables.py --tables cars airports \\
        --models gaussian_copula
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
MODELS = ("gaussian_copula", "tvae", "ctgan")
# name: (vega file or bundled dataset, target)
TABLES = {
    "cars": ("vega:cars.json", "Origin"),
    "penguins": ("penguins", "species"),
    "stocks": ("vega:stocks.csv", "symbol"),
    "breast_cancer": ("breast_cancer", "diagnosis"),
    "seattle-weather": ("vega:seattle-weather.csv", "weather"),
    "airports": ("vega:airports.csv", "country"),
    "seattle-temps": ("vega:seattle-temps.csv", None),
    "adult": ("adult", "income"),
}


def load_table(source: str, tmp: Path):
    from synthset import datasets
    from synthset.data import read_table

    if not source.startswith("vega:"):
        return datasets.load(source)
    spec = importlib.util.find_spec("vega_datasets")
    if spec is None:
        raise SystemExit("vega_datasets is not installed: pip install vega_datasets==0.9.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "_data" / source[5:]
    if path.suffix == ".json":  # cars ships as JSON records: read it as the CSV users have
        import pandas as pd

        csv = tmp / (path.stem + ".csv")
        pd.read_json(path).to_csv(csv, index=False)
        path = csv
    return read_table(path)


def run(table: str, model: str, tmp: Path) -> dict:
    from synthset import evaluate, make_synthesizer

    source, target = TABLES[table]
    train, holdout = load_table(source, tmp).split(0.8, seed=0)
    synth = make_synthesizer(model, random_state=0)
    t0 = time.perf_counter()
    synth.fit(train)
    fit_s = time.perf_counter() - t0
    fake = synth.sample(len(train), seed=1)
    report = evaluate(train, fake, holdout, target=target, seed=0)
    metrics = {
        m.name: (None if m.value != m.value else round(float(m.value), 4), m.status)
        for m in report.metrics
    }
    counts = {s: sum(m.status == s for m in report.metrics) for s in ("pass", "warn", "fail")}
    quality = (metrics["column_shapes"][0] + metrics["pair_trends"][0]) / 2
    return {
        "data": table,
        "rows": len(train),
        "model": model,
        "fit_s": round(fit_s, 1),
        "epochs": getattr(synth, "epochs_", None),
        "batch": getattr(synth, "batch_size_", None),
        "quality": round(quality, 4),
        "counts": counts,
        "failing": [k for k, v in metrics.items() if v[1] == "fail"],
        "warning": [k for k, v in metrics.items() if v[1] == "warn"],
        "columns": synth.describe_columns(),
        "metrics": metrics,
    }


def to_markdown(records: list[dict]) -> str:
    by: dict[tuple, dict] = {}
    for r in records:
        by.setdefault((r["data"], r["rows"]), {})[r["model"]] = r
    lines = [
        "| table (train rows) | gaussian_copula | tvae | ctgan |",
        "|---|---|---|---|",
    ]
    for (data, rows), models in by.items():
        cells = []
        for m in MODELS:
            r = models.get(m)
            if r is None:
                cells.append("–")
                continue
            c = r["counts"]
            cell = f"{r['fit_s']:.1f} s · {r['quality']:.3f} · {c['pass']}/{c['warn']}/{c['fail']}"
            if r["failing"]:
                cell += f" ({', '.join(r['failing'])})"
            cells.append(cell)
        lines.append(f"| {data} ({rows:,}) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import tempfile

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--name", default="defaults_public_tables")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    out = RESULTS / f"{args.name}.jsonl"
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            for model in args.models:
                rec = run(table, model, Path(tmp))
                print(json.dumps(rec), flush=True)
                records.append(rec)
                out.write_text("".join(json.dumps(r) + "\n" for r in records))
                (RESULTS / f"{args.name}.md").write_text(to_markdown(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
