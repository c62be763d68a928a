"""``synthset demo``: the whole workflow on a bundled dataset, in well under a minute on a laptop.

load → split → fit → save → sample → augment (balanced on the target) → summary → evaluation
report. Each stage is a function of :class:`DemoRun` listed in :data:`STEPS`, so a new stage is
one more function in that list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table as RichTable

from synthset.cli._common import Overwrite, Quiet, check_not_exists, info, out_console
from synthset.data import Table, write_table

AUTO = "auto"


@dataclass
class DemoRun:
    """What the demo has produced so far; each step reads and fills it."""

    out: Path
    dataset: str
    epochs: int | None
    overwrite: bool
    quiet: bool
    synth: str = AUTO
    target: str = ""
    train: Table | None = None
    holdout: Table | None = None
    model: Any = None
    synthetic: Table | None = None
    augmented: Table | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    def log(self, message: str) -> None:
        if not self.quiet:
            info(message)

    def write(self, key: str, table: Table, filename: str) -> None:
        self.paths[key] = write_table(table, self.out / filename, overwrite=self.overwrite)


def load_data(run: DemoRun) -> None:
    """Load the bundled dataset and split it 80 / 20 into train and holdout."""
    from synthset import datasets

    run.target = datasets.get_info(run.dataset).target
    run.train, run.holdout = datasets.load(run.dataset).split(0.8, seed=0)
    run.write("train", run.train, "train.parquet")
    run.write("holdout", run.holdout, "holdout.parquet")
    rows, cols = run.train.shape
    run.log(
        f"[1/5] {run.dataset}: {rows:,} train + {len(run.holdout):,} holdout rows × {cols} columns"
    )


def fit_model(run: DemoRun) -> None:
    """Fit the synthesizer (``auto``: chosen for the data, with the reason said) and save it."""
    from synthset.registry import get_synthesizer_class, make_synthesizer

    name = run.synth
    if name == AUTO:
        from synthset.synthesizers.choose import choose_synthesizer

        choice = choose_synthesizer(run.train)
        name = choice.name
        run.log(f"      --synth auto chose {name}: {choice.reason}")
    params: dict[str, Any] = {"random_state": 0}
    takes = get_synthesizer_class(name)._param_names()
    if "verbose" in takes:
        params["verbose"] = not run.quiet
    if run.epochs is not None and "epochs" in takes:
        params["epochs"] = run.epochs
    run.model = make_synthesizer(name, **params)
    start = time.perf_counter()
    run.model.fit(run.train)
    seconds = time.perf_counter() - start
    run.paths["model"] = run.model.save(run.out / "model", overwrite=run.overwrite)
    epochs = getattr(run.model, "epochs_", None)
    how = f" ({epochs} epochs)" if epochs else ""
    run.log(f"[2/5] fitted {name}{how} in {seconds:.1f} s")


def sample_rows(run: DemoRun) -> None:
    """Sample as many synthetic rows as the train split has."""
    start = time.perf_counter()
    run.synthetic = run.model.sample(len(run.train), seed=1)
    run.write("synthetic", run.synthetic, "synthetic.parquet")
    seconds = time.perf_counter() - start
    run.log(f"[3/5] sampled {len(run.synthetic):,} synthetic rows in {seconds:.1f} s")


def augment_rows(run: DemoRun) -> None:
    """Add synthetic rows of the rarer target classes until the classes are balanced."""
    from synthset.sampling.augment import augment

    run.augmented = augment(run.train, run.model, balance_on=run.target, seed=2)
    run.write("augmented", run.augmented, "augmented.parquet")
    added = len(run.augmented) - len(run.train)
    run.log(f"[4/5] balanced on {run.target!r}: added {added:,} synthetic rows")


def summarize(run: DemoRun) -> None:
    """Print real vs synthetic per column, the class balance, and where the files are."""
    out_console.print(column_summary(run.train.data, run.synthetic.data, run.train.spec))
    out_console.print(
        class_balance(
            run.target,
            {
                "real (train)": run.train.data,
                "synthetic": run.synthetic.data,
                "augmented": run.augmented.data,
            },
        )
    )
    for key, path in run.paths.items():
        out_console.print(f"{key:>10}: {path}", highlight=False)


def evaluate_report(run: DemoRun) -> None:
    """Evaluate the synthetic rows against the holdout; write and print the HTML report."""
    from synthset.evaluation import evaluate

    run.log(f"[5/5] evaluating the synthetic rows against the holdout (target {run.target!r}) …")
    start = time.perf_counter()
    report = evaluate(run.train, run.synthetic, run.holdout, target=run.target, seed=0)
    path = run.out / "report.html"
    report.to_html(path, overwrite=run.overwrite)
    run.paths["report"] = path
    seconds = time.perf_counter() - start
    counts = {s: sum(m.status == s for m in report.metrics) for s in ("pass", "warn", "fail")}
    run.log(
        f"      {len(report.metrics)} metrics in {seconds:.1f} s: "
        f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail"
    )
    out_console.print(f"{'report':>10}: {path}", highlight=False, soft_wrap=True)


# Stages in order.
STEPS: list[Callable[[DemoRun], None]] = [
    load_data,
    fit_model,
    sample_rows,
    augment_rows,
    summarize,
    evaluate_report,
]


def column_summary(real: pd.DataFrame, fake: pd.DataFrame, spec: Any) -> RichTable:
    """A table comparing each column: mean for numbers, top category and its share otherwise."""
    table = RichTable(title="Real vs synthetic, per column")
    table.add_column("column", style="bold", no_wrap=True)
    table.add_column("kind")
    table.add_column("real", justify="right")
    table.add_column("synthetic", justify="right")
    for col in spec.columns:
        if col.kind in ("continuous", "discrete"):
            cells = [_mean(real[col.name]), _mean(fake[col.name])]
        else:
            cells = [_top(real[col.name]), _top(fake[col.name])]
        table.add_row(col.name, col.kind, *cells)
    return table


def class_balance(target: str, frames: dict[str, pd.DataFrame]) -> RichTable:
    """A table of each target class's share in each frame."""
    shares = {
        name: df[target].value_counts(normalize=True, dropna=False) for name, df in frames.items()
    }
    classes = sorted({c for s in shares.values() for c in s.index}, key=str)
    table = RichTable(title=f"Class balance of {target!r}")
    table.add_column("class", style="bold", no_wrap=True)
    for name in frames:
        table.add_column(name, justify="right")
    for c in classes:
        table.add_row(str(c), *(f"{shares[name].get(c, 0.0):.1%}" for name in frames))
    table.add_row("rows", *(f"{len(df):,}" for df in frames.values()), style="dim")
    return table


def _mean(s: pd.Series) -> str:
    values = pd.to_numeric(s, errors="coerce")
    return "–" if values.isna().all() else f"{values.mean():,.2f}"


def _top(s: pd.Series) -> str:
    counts = s.astype("object").value_counts(normalize=True)
    return "–" if counts.empty else f"{counts.index[0]} ({counts.iloc[0]:.0%})"


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for every output.")] = Path(
        "demo-output"
    ),
    dataset: Annotated[
        str, typer.Option(help="Bundled dataset to run on (see `synthset datasets`).")
    ] = "adult",
    synth: Annotated[
        str,
        typer.Option(
            "--synth",
            "-s",
            help="Tables: the synthesizer (see `synthset list`), or auto: chosen for the data, "
            "with the reason printed.",
        ),
    ] = AUTO,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Training epochs of a neural synthesizer; more is better and slower "
            "(default: the synthesizer's own for tables, 200 for --faces).",
            min=1,
        ),
    ] = None,
    faces: Annotated[
        bool,
        typer.Option(
            "--faces",
            help="Run the image workflow instead: a class-conditional GAN on the LFW face "
            "subset, generated faces, augmentation, and an image report.",
        ),
    ] = False,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Run the whole workflow on a bundled dataset: fit, sample, augment, evaluate (report.html)."""
    check_not_exists(out, overwrite)
    if faces:
        from synthset.cli.demo_faces import run_faces

        run_faces(out, epochs, overwrite, quiet)
        return
    run = DemoRun(
        out=out, dataset=dataset, epochs=epochs, overwrite=overwrite, quiet=quiet, synth=synth
    )
    start = time.perf_counter()
    for step in STEPS:
        step(run)
    run.log(f"done in {time.perf_counter() - start:.1f} s; outputs in {out}/")


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("demo")(demo)
