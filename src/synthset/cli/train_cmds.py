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
    Modality,
    Overwrite,
    Params,
    Quiet,
    check_image_output,
    check_not_exists,
    check_output_file,
    describe,
    detect_modality,
    info,
    load_input,
    parse_conditions,
    parse_params,
    set_runtime_params,
    split_pairs,
    write_image_output,
)

Data = Annotated[
    str,
    typer.Argument(
        metavar="DATA",
        help="A .csv / .parquet table, an image folder (class subfolders or labels.csv) / .npz / "
        "image .parquet, or a bundled dataset name (see `synthset datasets`); an existing path "
        "wins.",
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
) -> tuple[Any, Any, float]:
    """Read ``data`` and fit the synthesizer ``synth`` on it (with DP when ``dp`` is given).

    Returns:
        (table or images, fitted synthesizer, seconds spent fitting).
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
    table = load_input(data, column_kind, modality)
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


def fit(
    data: Data,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to save the fitted model in.")],
    synth: Synth = "ctgan",
    param: Params = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    modality: Modality = None,
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
    table, model, seconds = fit_synthesizer(
        data, synth, param, seed, column_kind, quiet, modality, dp=dp
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
            ".parquet, .npz, or .png for one grid picture.",
        ),
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
    """Draw rows (or images) from a fitted model and write them out."""
    import synthset
    from synthset.data import write_table

    model = synthset.load(run)
    images = model.modality == "image"
    if images:
        check_image_output(output, overwrite)
        conditions = dict(split_pairs(condition, "--condition"))
    else:
        check_output_file(output, overwrite)
        conditions = parse_conditions(condition, getattr(model, "spec_", None))
    start = time.perf_counter()
    fake = model.sample(n, seed=seed, conditions=conditions or None)
    if images:
        write_image_output(fake, output, overwrite)
    else:
        write_table(fake, output, overwrite=overwrite)
    if not quiet:
        seconds = time.perf_counter() - start
        what = "images" if images else "rows"
        info(f"sampled {len(fake):,} {what} in {seconds:.1f} s → {output}")


def augment(
    data: Data,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Tables: .parquet, .csv or .tsv. Images: a folder, .parquet or .npz.",
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
            "(images: `label`, with cgan or cvae)."
        ),
    ] = None,
    n_per_class: Annotated[
        int | None, typer.Option(help="Images: add this many generated images to every class.")
    ] = None,
    seed: Seed = None,
    column_kind: ColumnKinds = None,
    modality: Modality = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Fit a synthesizer on DATA and write real + synthetic data, with its provenance.

    Tables get a `synthset_source` column; an image folder gets a `source` column in labels.csv.
    """
    from synthset.data import write_table
    from synthset.sampling.augment import augment as augment_data

    is_images = (modality or detect_modality(data)) == "image"
    if is_images:
        check_image_output(output, overwrite)
    else:
        check_output_file(output, overwrite)
    table, model, seconds = fit_synthesizer(data, synth, param, seed, column_kind, quiet, modality)
    how = {"ratio": ratio, "n_new": n_new, "balance_on": balance_on, "n_per_class": n_per_class}
    bigger = augment_data(
        table, model, seed=seed, **{k: v for k, v in how.items() if v is not None}
    )
    if is_images:
        write_image_output(bigger, output, overwrite)
    else:
        write_table(bigger, output, overwrite=overwrite)
    if not quiet:
        added = len(bigger) - len(table)
        what = "images" if is_images else "rows"
        info(
            f"fitted {synth} in {seconds:.1f} s; added {added:,} synthetic {what} to "
            f"{len(table):,} real → {output}"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("fit")(fit)
    app.command("sample")(sample)
    app.command("augment")(augment)
