"""Model commands: ``synthset fit``, ``synthset sample`` and ``synthset augment``.

Each command parses its options, calls the public API and reports one summary line on stderr.
Outputs are checked before any work starts, so a run is never lost to an existing file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

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
    str, typer.Option("--synth", "-s", help="Synthesizer name (see `synthset list`).")
]
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
) -> tuple[Any, Any, float]:
    """Read ``data`` and fit the synthesizer ``synth`` on it (with DP when ``dp`` is given).

    A text synthesizer reads a CSV / Parquet file as texts (its text column found by name
    unless ``--text-column`` says).

    Returns:
        (table, images or texts, fitted synthesizer, seconds spent fitting).
    """
    from synthset.errors import ConfigError
    from synthset.registry import get_synthesizer_class, make_synthesizer

    params = set_runtime_params(synth, parse_params(param), seed=seed, verbose=not quiet)
    if dp is not None:
        if "dp" not in get_synthesizer_class(synth)._param_names():
            raise ConfigError(
                f"{synth} cannot train with differential privacy; the DP synthesizers are "
                f"{', '.join(dp_synthesizers())}"
            )
        params["dp"] = dp
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

    if modality is not None or get_synthesizer_class(synth).modality != "text":
        return modality
    if Path(data).is_file() and detect_modality(data, text_columns) == "table":
        return "text"
    return None


def fit(
    data: Data,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the fitted model in.")],
    synth: Synth = "ctgan",
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
        data, synth, param, seed, column_kind, quiet, modality, dp=dp, text_columns=columns
    )
    model.save(out, overwrite=overwrite)
    if not quiet:
        info(f"fitted {synth} on {describe(table)} in {seconds:.1f} s → {out}")
        p = getattr(model, "privacy_", None)
        if p:
            info(
                f"differential privacy: ε = {p['epsilon']:.3g} spent of {p['target_epsilon']:g}"
                f", δ = {p['delta']:.2g} (noise multiplier {p['noise_multiplier']:.3g}, "
                f"{p['steps']} steps, {p['accountant']} accountant)"
            )


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
    synth: Synth = "ctgan",
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
        data, synth, param, seed, column_kind, quiet, modality, text_columns=columns
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
            f"fitted {synth} in {seconds:.1f} s; added {added:,} synthetic {what} to "
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
