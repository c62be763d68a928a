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
    Overwrite,
    Params,
    Quiet,
    check_not_exists,
    check_output_file,
    info,
    load_input_table,
    parse_conditions,
    parse_params,
    set_runtime_params,
)

Data = Annotated[
    str,
    typer.Argument(
        metavar="DATA",
        help="A .csv / .parquet file, or a bundled dataset name (see `synthset datasets`); "
        "an existing path wins.",
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
) -> tuple[Any, Any, float]:
    """Read ``data`` and fit the synthesizer ``synth`` on it.

    Returns:
        (table, fitted synthesizer, seconds spent fitting).
    """
    from synthset.registry import make_synthesizer

    params = set_runtime_params(synth, parse_params(param), seed=seed, verbose=not quiet)
    table = load_input_table(data, column_kind)
    model = make_synthesizer(synth, **params)
    start = time.perf_counter()
    model.fit(table)
    return table, model, time.perf_counter() - start


def fit(
    data: Data,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the fitted model in.")],
    synth: Synth = "ctgan",
    param: Params = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Fit a synthesizer on DATA and save it as a folder (JSON + safetensors)."""
    check_not_exists(out, overwrite)
    table, model, seconds = fit_synthesizer(data, synth, param, seed, column_kind, quiet)
    model.save(out, overwrite=overwrite)
    if not quiet:
        rows, cols = table.shape
        info(f"fitted {synth} on {rows:,} rows × {cols} columns in {seconds:.1f} s → {out}")


def sample(
    run: Annotated[
        Path,
        typer.Argument(
            metavar="RUN", help="A model folder written by `synthset fit`.", show_default=False
        ),
    ],
    n: Annotated[int, typer.Option("--n-samples", "-n", help="How many rows to draw.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output file: .parquet, .csv or .tsv.")
    ],
    seed: Seed = None,
    condition: Annotated[
        list[str] | None,
        typer.Option(
            "--condition",
            "-c",
            metavar="COLUMN=VALUE",
            help='Every row takes this value (repeatable), e.g. income=">50K".',
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Draw rows from a fitted model and write them to a file."""
    import synthset
    from synthset.data import write_table

    check_output_file(output, overwrite)
    model = synthset.load(run)
    conditions = parse_conditions(condition, getattr(model, "spec_", None))
    start = time.perf_counter()
    fake = model.sample(n, seed=seed, conditions=conditions or None)
    write_table(fake, output, overwrite=overwrite)
    if not quiet:
        seconds = time.perf_counter() - start
        info(f"sampled {len(fake):,} rows in {seconds:.1f} s → {output}")


def augment(
    data: Data,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output file: .parquet, .csv or .tsv.")
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
        typer.Option(help="Add synthetic rows of the rarer classes of this column until balanced."),
    ] = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Fit a synthesizer on DATA and write real + synthetic rows, flagged in `synthset_source`."""
    from synthset.data import write_table
    from synthset.sampling.augment import augment as augment_table

    check_output_file(output, overwrite)
    table, model, seconds = fit_synthesizer(data, synth, param, seed, column_kind, quiet)
    how = {"ratio": ratio, "n_new": n_new, "balance_on": balance_on}
    bigger = augment_table(
        table, model, seed=seed, **{k: v for k, v in how.items() if v is not None}
    )
    write_table(bigger, output, overwrite=overwrite)
    if not quiet:
        added = len(bigger) - len(table)
        info(
            f"fitted {synth} in {seconds:.1f} s; added {added:,} synthetic rows to "
            f"{len(table):,} real → {output}"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("fit")(fit)
    app.command("sample")(sample)
    app.command("augment")(augment)
