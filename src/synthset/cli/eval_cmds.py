"""Evaluation command: ``synthset evaluate``.

Reads the real, synthetic and (optionally) holdout tables, runs :func:`synthset.evaluate`, writes
the report by the extension of ``--report`` and prints the scores: a table on stderr, or JSON /
Markdown on stdout. The report path and the metric names are checked before any data is read, the
target and sensitive columns before the synthetic and holdout data are.
"""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable
from rich.text import Text

from synthset.cli._common import (
    ContextColumn,
    LabelColumn,
    Modality,
    Overwrite,
    Quiet,
    TextColumn,
    TextColumns,
    check_not_exists,
    err_console,
    info,
    load_input,
    units,
)
from synthset.errors import ConfigError

REPORT_SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
}
STATUS_STYLE = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red"}


class EvalFormat(str, Enum):
    """How ``synthset evaluate`` prints the scores."""

    table = "table"
    json = "json"
    markdown = "markdown"


def _data_option(flag: str, what: str) -> Any:
    return typer.Option(
        flag,
        metavar="DATA",
        help=f"{what}: a .csv / .parquet table, an image folder / .npz / image .parquet, texts "
        "(.txt / .jsonl, or a table with --text-column), audio (a folder of WAV / FLAC files or "
        "a .parquet of clips), or a bundled dataset name; NAME:SPLIT picks a split (adult:test, "
        "rotten_tomatoes:test, spoken_digits:test).",
        show_default=False,
    )


def report_kind(path: Path) -> str:
    """``html``, ``markdown`` or ``json`` from the report's extension.

    Raises:
        ConfigError: any other extension.
    """
    kind = REPORT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"cannot write report {path.name}: unknown extension; use one of "
            f"{', '.join(REPORT_SUFFIXES)}"
        )
    return kind


def check_metric_names(metrics: str | None) -> None:
    """Raise :class:`ConfigError` now, before data is read, for an unknown metric or family."""
    from synthset.evaluation.base import FAMILIES, get_metric

    for name in (m.strip() for m in (metrics or "").split(",")):
        if name and name not in FAMILIES:
            get_metric(name)  # raises ConfigError listing the available names


def load_evaluation_table(
    data: str, modality: str | None = None, text_columns: TextColumns | None = None
) -> Any:
    """A path or bundled dataset name (``load_input``: a table, images or texts), or
    ``NAME:SPLIT``."""
    from synthset import datasets

    name, sep, split = data.rpartition(":")
    if sep and not Path(data).exists() and datasets.is_dataset(name):
        if text_columns:
            raise ConfigError(
                f"--text-column / --label-column / --context-column name columns of a file; "
                f"the bundled dataset {name!r} has fixed ones"
            )
        return datasets.load(name, split=split)
    if modality == "text" and datasets.is_dataset(data) and not Path(data).exists():
        modality = None  # a bundled dataset has a modality of its own
    return load_input(data, modality=modality, text_columns=text_columns)


def _count(data: Any, adjective: str) -> str:
    return f"{len(data):,} {adjective} {units(data)}"


def scores_table(report: Any) -> RichTable:
    """The scores as a rich table: family, metric, value, status and thresholds."""
    from synthset.evaluation.base import FAMILIES
    from synthset.reporting.glossary import (
        FAMILY_TITLES,
        error_of,
        fmt_interval,
        fmt_thresholds,
        fmt_value,
    )

    table = RichTable(title="Scores")
    table.add_column("family")
    table.add_column("metric", style="bold", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("status")
    table.add_column("threshold")
    rank = {f: i for i, f in enumerate(FAMILIES)}
    for m in sorted(report.metrics, key=lambda m: rank.get(m.family, len(rank))):
        status = Text(m.status or "–", style=STATUS_STYLE.get(m.status or "", "dim"))
        threshold = fmt_thresholds(m) if not error_of(m) else f"not computed: {error_of(m)}"
        value = " ".join(filter(None, (fmt_value(m), fmt_interval(m))))
        table.add_row(FAMILY_TITLES.get(m.family, m.family), m.name, value, status, threshold)
    return table


def evaluate(
    real: Annotated[str, _data_option("--real", "The data the synthesizer was trained on")],
    synthetic: Annotated[str, _data_option("--synthetic", "The synthetic rows to judge")],
    holdout: Annotated[
        str | None,
        _data_option(
            "--holdout", "Real rows the synthesizer never saw (privacy baseline, utility test set)"
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Column to predict for the utility metrics.")
    ] = None,
    sensitive: Annotated[
        str | None,
        typer.Option(
            metavar="COLUMN",
            help="Column an attacker tries to infer from the other columns via the nearest "
            "synthetic row (the attribute_inference privacy metric; skipped without it).",
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated families (fidelity, utility, privacy) and/or metric names; "
            "all by default."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every subsample, fold and model.", min=0)] = 0,
    report: Annotated[
        Path | None,
        typer.Option("--report", "-r", help="Write the report: .html, .md or .json."),
    ] = None,
    fmt: Annotated[
        EvalFormat,
        typer.Option(
            "--format",
            help="table: scores on stderr; json / markdown: the report on stdout.",
        ),
    ] = EvalFormat.table,
    image_resolution: Annotated[
        int,
        typer.Option(
            help="Images: side the ImageNet network sees (224 as trained; 64 is ~15× faster "
            "on a CPU, with coarser features).",
            min=32,
        ),
    ] = 224,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="The model folder that made the synthetic data: the report states its "
            "differential-privacy guarantee (or that it had none).",
            show_default=False,
        ),
    ] = None,
    modality: Modality = None,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    context_column: ContextColumn = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Measure how good synthetic data is: fidelity, utility and privacy.

    When the real data are texts, the synthetic and holdout files are read as texts too (a
    .csv written by `synthset sample` included), with the same column options.
    """
    from synthset.evaluation import evaluate as run_evaluation

    kind = report_kind(report) if report is not None else None
    if report is not None:
        check_not_exists(report, overwrite)
    check_metric_names(metrics)
    from synthset.evaluation.evaluate import privacy_record

    dp_record = privacy_record(model)  # a bad model folder fails before any data is read
    columns = TextColumns(text_column, label_column, context_column)
    real_t = load_evaluation_table(real, modality, columns)
    data_kind = getattr(real_t, "modality", "table")
    is_images = data_kind in ("image", "audio")  # both are scored on their labels
    if data_kind == "audio":
        modality = "audio"  # read the synthetic and holdout data as audio too
    if data_kind == "text":
        if target is not None or sensitive is not None:
            raise ConfigError(
                "--target and --sensitive name table columns; texts are scored on their labels, "
                "so leave them out"
            )
        modality = "text"  # read the synthetic and holdout data as texts too
    if target is not None and is_images:
        raise ConfigError(f"--target applies to tables; {units(real_t)} are scored on their labels")
    if target is not None and target not in real_t.spec:
        raise ConfigError(
            f"`--target` {target!r} is not a column; columns: {', '.join(real_t.spec.names)}"
        )
    if sensitive is not None and is_images:
        raise ConfigError(f"--sensitive names a table column; leave it out for {units(real_t)}")
    if sensitive is not None and sensitive not in real_t.spec:
        raise ConfigError(
            f"`--sensitive` {sensitive!r} is not a column; columns: {', '.join(real_t.spec.names)}"
        )
    syn_t = load_evaluation_table(synthetic, modality, columns)
    hold_t = load_evaluation_table(holdout, modality, columns) if holdout is not None else None
    if not quiet:
        info(
            f"evaluating {_count(syn_t, 'synthetic')} against {_count(real_t, 'real')}"
            + (f" and {_count(hold_t, 'holdout')}" if hold_t is not None else "")
            + " …"
        )
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if data_kind == "image":
        extra = {"image_resolution": image_resolution}
    elif data_kind == "table":
        extra = {"sensitive": sensitive}
    result = run_evaluation(
        real_t, syn_t, hold_t, target=target, metrics=metrics, seed=seed, privacy=dp_record, **extra
    )
    seconds = time.perf_counter() - start
    if report is not None:
        write = {"html": result.to_html, "markdown": result.to_markdown, "json": result.to_json}
        write[kind](report, overwrite=overwrite)
    if fmt is EvalFormat.json:
        typer.echo(result.to_json())
    elif fmt is EvalFormat.markdown:
        typer.echo(result.to_markdown(), nl=False)
    elif not quiet:
        err_console.print(scores_table(result))
    if not quiet:
        where = f" → {report}" if report is not None else ""
        info(f"evaluated {len(result.metrics)} metrics in {seconds:.1f} s{where}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("evaluate")(evaluate)
