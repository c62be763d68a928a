"""Model commands: ``synthset fit``, ``synthset sample`` and ``synthset augment``.

Each command parses its options, calls the public API and reports one summary line on stderr.
Outputs are checked before any work starts, so a run is never lost to an existing file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import ProgressColumn
from rich.text import Text

from synthset.cli._common import (
    ColumnKinds,
    ContextColumn,
    LabelColumn,
    Modality,
    Overwrite,
    Params,
    Quiet,
    TextColumn,
    TextColumns,
    check_audio_output,
    check_image_output,
    check_not_exists,
    check_output_file,
    check_text_output,
    describe,
    detect_modality,
    info,
    load_input,
    parse_conditions,
    parse_params,
    set_runtime_params,
    split_pairs,
    units,
    write_audio_output,
    write_image_output,
    write_text_output,
)

Data = Annotated[
    str,
    typer.Argument(
        metavar="DATA",
        help="A .csv / .parquet table, an image folder (class subfolders or labels.csv) / .npz / "
        "image .parquet, texts (.txt one per line, .jsonl, or a table with --text-column), "
        "audio (a folder of WAV / FLAC / OGG files, class subfolders or labels.csv, or a "
        ".parquet of clips), or a bundled dataset name (see `synthset datasets`); an existing "
        "path wins.",
        show_default=False,
    ),
]
Synth = Annotated[
    str,
    typer.Option(
        "--synth",
        "-s",
        help="Synthesizer name (see `synthset list`), or auto: chosen from the data's kind, "
        "size and --time-budget, and the choice and its reason printed.",
    ),
]
TimeBudget = Annotated[
    float | None,
    typer.Option(
        "--time-budget",
        help="With --synth auto: seconds the fit may take (image, text and audio models stop "
        "training then; tables: the budget the choice is made for).",
        min=1,
        show_default=False,
    ),
]
AUTO = "auto"
Seed = Annotated[
    int | None,
    typer.Option("--seed", help="Random seed; the same seed gives the same result.", min=0),
]


def fit_synthesizer(
    data: str,
    synth: str,
    param: list[str] | None,
    seed: int | None,
    column_kind: list[str] | None,
    quiet: bool,
    modality: str | None = None,
    dp: dict[str, Any] | None = None,
    text_columns: TextColumns | None = None,
    time_budget: float | None = None,
) -> tuple[Any, Any, float]:
    """Read ``data`` and fit the synthesizer ``synth`` on it (with DP when ``dp`` is given).

    A text synthesizer reads a CSV / Parquet file as texts (its text column found by name
    unless ``--text-column`` says). ``synth="auto"`` loads the data first and lets
    :func:`~synthset.synthesizers.choose.choose_synthesizer` pick (a CSV is then a table unless
    a text column is named).

    Returns:
        (table, images or texts, fitted synthesizer, seconds spent fitting).
    """
    from synthset.errors import ConfigError
    from synthset.registry import get_synthesizer_class, make_synthesizer

    given = parse_params(param)
    if synth == AUTO:
        from synthset.synthesizers.choose import choose_synthesizer

        table = load_input(data, column_kind, modality, text_columns)
        choice = choose_synthesizer(table, max_seconds=time_budget, dp=dp is not None)
        synth = choice.name
        given = {**choice.params, **given}
        if not quiet:
            info(f"--synth auto chose {synth}: {choice.reason}. Pick another with --synth NAME")
    elif time_budget is not None:
        raise ConfigError(
            "--time-budget is for --synth auto; with a named synthesizer pass "
            "--param max_seconds=… where it takes one"
        )
    else:
        table = None
    params = set_runtime_params(synth, given, seed=seed, verbose=not quiet)
    if dp is not None:
        if "dp" not in get_synthesizer_class(synth)._param_names():
            raise ConfigError(
                f"{synth} cannot train with differential privacy; the DP synthesizers are "
                f"{', '.join(dp_synthesizers())}"
            )
        params["dp"] = dp
    if table is None:
        modality = input_modality(data, synth, modality, text_columns)
        table = load_input(data, column_kind, modality, text_columns)
    kind = get_synthesizer_class(synth).modality
    if kind != table.modality:
        from synthset.registry import list_synthesizers

        raise ConfigError(
            f"{synth} synthesizes {kind}s but {data} holds {table.modality}s; use one of "
            f"{', '.join(list_synthesizers(table.modality))}"
        )
    model = make_synthesizer(synth, **params)
    start = time.perf_counter()
    model.fit(table)
    return table, model, time.perf_counter() - start


def input_modality(
    data: str, synth: str, modality: str | None, text_columns: TextColumns | None
) -> str | None:
    """``modality`` as given; else ``"text"`` for a text synthesizer on an existing table file
    (a CSV of reviews is texts to ``gpt``); else None (detected from the data)."""
    from synthset.registry import get_synthesizer_class

    if synth == AUTO:  # a table unless a text column is named (then texts)
        named = text_columns is not None and bool(text_columns.text or text_columns.context)
        return modality if modality is not None or not named else "text"
    if modality is not None or get_synthesizer_class(synth).modality != "text":
        return modality
    if Path(data).is_file() and detect_modality(data, text_columns) == "table":
        return "text"
    return None


def fit(
    data: Data,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the fitted model in.")],
    synth: Synth = "auto",
    time_budget: TimeBudget = None,
    param: Params = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    modality: Modality = None,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    context_column: ContextColumn = None,
    epsilon: Annotated[
        float | None,
        typer.Option(
            "--epsilon",
            help="Train with differential privacy at this ε (needs the privacy extra: "
            "pip install 'synthset[privacy]').",
            show_default=False,
        ),
    ] = None,
    delta: Annotated[
        float | None,
        typer.Option("--delta", help="DP δ (default 1/(10·rows)).", show_default=False),
    ] = None,
    public_metadata: Annotated[
        Path | None,
        typer.Option(
            "--public-metadata",
            help="A spec.json whose categories and bounds are public (they cost no budget).",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Fit a synthesizer on DATA and save it as a folder (JSON + safetensors)."""
    from synthset.errors import ConfigError

    check_not_exists(out, overwrite)
    dp = None
    if epsilon is not None:
        dp = {"epsilon": epsilon, "delta": delta}
        if public_metadata is not None:
            dp["public_metadata"] = str(public_metadata)
    elif delta is not None or public_metadata is not None:
        raise ConfigError("--delta and --public-metadata need --epsilon (the DP budget)")
    columns = TextColumns(text_column, label_column, context_column)
    table, model, seconds = fit_synthesizer(
        data,
        synth,
        param,
        seed,
        column_kind,
        quiet,
        modality,
        dp=dp,
        text_columns=columns,
        time_budget=time_budget,
    )
    model.save(out, overwrite=overwrite)
    if not quiet:
        info(f"fitted {model.name} on {describe(table)} in {seconds:.1f} s → {out}")
        for line in describe_columns(model):
            info(f"  {line}")
        p = getattr(model, "privacy_", None)
        if p:
            info(
                f"differential privacy: ε = {p['epsilon']:.3g} spent of {p['target_epsilon']:g}"
                f", δ = {p['delta']:.2g} (noise multiplier {p['noise_multiplier']:.3g}, "
                f"{p['steps']} steps, {p['accountant']} accountant)"
            )


def describe_columns(model: Any) -> list[str]:
    """What the fit did with the columns that need saying: high-cardinality columns (their
    modelled values and the rest), id columns (regenerated), and datetimes read from text
    (their format)."""
    spec = getattr(model, "spec_", None)
    if getattr(model, "modality", None) != "table" or spec is None:
        return []
    lines = list(model.describe_columns()) if hasattr(model, "describe_columns") else []
    for col in spec.columns:
        if col.kind == "id":
            numeric = col.dtype.startswith(("int", "uint", "Int", "UInt"))
            fresh = "integers after the largest" if numeric else f"{col.name}_0, {col.name}_1, …"
            lines.append(f"{col.name}: unique keys, not modelled: samples get new ones ({fresh})")
        elif col.kind == "datetime" and getattr(col, "format", None):
            order = {True: ", day first", False: ", month first"}.get(col.dayfirst, "")
            lines.append(
                f"{col.name}: dates read as {col.format}{order}; samples are written the same "
                "way (edit spec.json to change the reading)"
            )
    return lines


def dp_synthesizers() -> list[str]:
    """Names of the registered synthesizers that take ``dp=``."""
    from synthset.registry import get_synthesizer_class, list_synthesizers

    return [n for n in list_synthesizers() if "dp" in get_synthesizer_class(n)._param_names()]


def sample(
    run: Annotated[
        Path,
        typer.Argument(
            metavar="RUN", help="A model folder written by `synthset fit`.", show_default=False
        ),
    ],
    n: Annotated[int, typer.Option("--n-samples", "-n", help="How many rows to draw.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Tables: .parquet, .csv or .tsv. Images: a folder (PNGs + labels.csv), "
            ".parquet, .npz, or .png for one grid picture. Texts: .jsonl, .csv, .parquet, or "
            ".txt (one text per line, no labels). Audio: a folder (WAVs + labels.csv), "
            ".parquet, or .wav / .flac for one clip.",
        ),
    ],
    seed: Seed = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(
            "--condition",
            "-c",
            metavar="COLUMN=VALUE",
            help='Every row takes this value (repeatable), e.g. income=">50K"; images, texts '
            "and audio: label=CLASS.",
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Draw rows (or images, texts or audio clips) from a fitted model and write them out."""
    import synthset
    from synthset.data import write_table

    model = synthset.load(run)
    kind = model.modality
    if kind == "image":
        check_image_output(output, overwrite)
        conditions = dict(split_pairs(condition, "--condition"))
    elif kind == "text":
        check_text_output(output, overwrite, dialogue=model.spec_.kind == "dialogue")
        conditions = dict(split_pairs(condition, "--condition"))
    elif kind == "audio":
        check_audio_output(output, overwrite, n)
        conditions = dict(split_pairs(condition, "--condition"))
    else:
        check_output_file(output, overwrite)
        conditions = parse_conditions(condition, getattr(model, "spec_", None))
    start = time.perf_counter()
    if kind == "table" and hasattr(model, "iter_sample"):
        stream_table_sample(model, n, output, seed, conditions or None, overwrite, quiet)
        if not quiet:
            info(f"sampled {n:,} rows in {time.perf_counter() - start:.1f} s → {output}")
        return
    check_output_space(model, n, output)
    fake = model.sample(n, seed=seed, conditions=conditions or None)
    if kind == "image":
        write_image_output(fake, output, overwrite)
    elif kind == "text":
        write_text_output(fake, output, overwrite)
    elif kind == "audio":
        write_audio_output(fake, output, overwrite)
    else:
        write_table(fake, output, overwrite=overwrite)
    if not quiet:
        seconds = time.perf_counter() - start
        info(f"sampled {len(fake):,} {units(fake)} in {seconds:.1f} s → {output}")


def stream_table_sample(
    model: Any,
    n: int,
    output: Path,
    seed: int | None,
    conditions: dict[str, Any] | None,
    overwrite: bool,
    quiet: bool,
) -> None:
    """Write ``n`` rows batch by batch (see :func:`synthset.sampling.stream.write_sample`),
    with a progress bar on stderr: rows done, rows/s, time left."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from synthset.cli._common import err_console
    from synthset.sampling.stream import write_sample

    columns = (
        TextColumn("sample"),
        BarColumn(bar_width=20),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, disable=quiet, transient=True) as bar:
        task = bar.add_task("sample", total=n)
        write_sample(
            model,
            n,
            output,
            seed=seed,
            conditions=conditions,
            overwrite=overwrite,
            on_batch=lambda done: bar.update(task, completed=done),
        )


class _RowsPerSecond(ProgressColumn):
    """``123,456 rows/s`` (rich's own speed column counts bytes)."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


def check_output_space(model: Any, n: int, output: Path) -> None:
    """Refuse images, texts or clips that surely cannot fit on the output's disk: a lower bound
    of their size (PNG / FLAC compress) against its free space."""
    from synthset.sampling.budget import check_disk, output_item_bytes

    bytes_each = output_item_bytes(model)
    if bytes_each is None:
        return
    check_disk(
        output, n, bytes_each, units=_units_of(model), basis="allowing for compression", exact=False
    )


def _units_of(model: Any) -> str:
    return {"image": "images", "audio": "clips", "text": "texts"}.get(model.modality, "rows")


def augment(
    data: Data,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Tables: .parquet, .csv or .tsv. Images: a folder, .parquet or .npz. Texts: "
            ".jsonl, .csv or .parquet. Audio: a folder (WAVs + labels.csv with a source "
            "column) or .parquet.",
        ),
    ],
    synth: Synth = "auto",
    time_budget: TimeBudget = None,
    param: Params = None,
    ratio: Annotated[
        float | None,
        typer.Option(help="Add this many synthetic rows per real row (0.5 adds half as many)."),
    ] = None,
    n_new: Annotated[int | None, typer.Option(help="Add exactly this many synthetic rows.")] = None,
    balance_on: Annotated[
        str | None,
        typer.Option(
            help="Add synthetic rows of the rarer classes of this column until balanced "
            "(images: `label`, with cgan or cvae; texts: `label`, with a label-conditional model)."
        ),
    ] = None,
    n_per_class: Annotated[
        int | None,
        typer.Option(help="Images, texts and audio: add this many generated ones to every class."),
    ] = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    modality: Modality = None,
    text_column: TextColumn = None,
    label_column: LabelColumn = None,
    context_column: ContextColumn = None,
    text_filter: Annotated[
        bool | None,
        typer.Option(
            "--filter/--no-filter",
            help="Texts: drop degenerate generated texts, copies and near-duplicates of real "
            "ones, and (labelled data) texts a classifier assigns to another class, sampling "
            "again to make up for them (default: on).",
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Fit a synthesizer on DATA and write real + synthetic data, with its provenance.

    Tables get a `synthset_source` column; an image or audio folder gets a `source` column in
    labels.csv; texts get a `source` field.
    """
    from synthset.data import write_table
    from synthset.errors import ConfigError
    from synthset.sampling.augment import augment as augment_data

    columns = TextColumns(text_column, label_column, context_column)
    modality = input_modality(data, synth, modality, columns)
    kind = modality or detect_modality(data, columns)
    if text_filter is not None and kind != "text":
        raise ConfigError(f"--filter / --no-filter apply to texts, but {data} holds {kind}s")
    if kind == "image":
        check_image_output(output, overwrite)
    elif kind == "audio":
        check_audio_output(output, overwrite)
    elif kind == "text":
        if output.suffix.lower() == ".txt":
            raise ConfigError(
                f"cannot write augmented texts to {output.name}: a .txt file would lose the "
                "real / synthetic source of each text; use .jsonl, .csv or .parquet"
            )
        check_text_output(output, overwrite)
    else:
        check_output_file(output, overwrite)
    table, model, seconds = fit_synthesizer(
        data,
        synth,
        param,
        seed,
        column_kind,
        quiet,
        modality,
        text_columns=columns,
        time_budget=time_budget,
    )
    how = {
        "ratio": ratio,
        "n_new": n_new,
        "balance_on": balance_on,
        "n_per_class": n_per_class,
        "filter": text_filter,
    }
    bigger = augment_data(
        table, model, seed=seed, **{k: v for k, v in how.items() if v is not None}
    )
    if kind == "image":
        write_image_output(bigger, output, overwrite)
    elif kind == "audio":
        write_audio_output(bigger, output, overwrite)
    elif kind == "text":
        write_text_output(bigger, output, overwrite)
    else:
        write_table(bigger, output, overwrite=overwrite)
    if not quiet:
        added = len(bigger) - len(table)
        what = units(table)
        info(
            f"fitted {model.name} in {seconds:.1f} s; added {added:,} synthetic {what} to "
            f"{len(table):,} real → {output}"
        )
        report = getattr(bigger, "augment_report", None)
        if getattr(report, "filter", None) is not None:
            short = f"; {report.shortfall:,} short of the request" if report.shortfall else ""
            info(
                f"generated {report.generated:,} {what} in {report.rounds} round(s), kept "
                f"{added:,} after filtering{short}"
            )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("fit")(fit)
    app.command("sample")(sample)
    app.command("augment")(augment)
