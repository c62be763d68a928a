"""Restoration command: ``synthset transform RUN INPUT -o OUTPUT``.

Runs a fitted model's ``transform(data)`` on existing data and writes the result: super-resolution
(``audio_sr``) widens the band of low-rate clips, inpainting (``audio_inpaint``) fills the gaps a
mask marks (or punches ``--gaps-ms`` gaps to show what it does), and the classic augmenters
(``audio_augment``, ``eda``) make edited copies. The command is generic: the options it forwards
are checked against the signature of the model's ``transform``.
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from synthset.cli._common import (
    Overwrite,
    Quiet,
    check_audio_output,
    check_image_output,
    check_output_file,
    check_text_output,
    describe,
    info,
    load_input,
    parse_params,
    units,
    write_audio_output,
    write_image_output,
    write_text_output,
)
from synthset.errors import ConfigError, DataError


def load_mask(path: Path) -> np.ndarray:
    """A boolean mask (True = missing) from ``.npy`` or ``.npz`` (its ``mask`` array, or its
    only array); any non-zero value counts as missing."""
    if path.suffix.lower() not in (".npy", ".npz"):
        raise ConfigError(f"--mask must be a .npy or .npz file of a boolean array, got {path.name}")
    if not path.is_file():
        raise DataError(f"no such mask file: {path}")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the mask {path.name}: {exc}") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.keys())
            key = "mask" if "mask" in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise DataError(f"{path.name} holds {', '.join(keys)}; name the mask array 'mask'")
            data = data[key]
    return np.asarray(data) != 0


def transform_kwargs(model: Any, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` without the None values, after checking that ``model.transform`` takes them.

    Raises:
        ConfigError: an option the model's ``transform`` does not take (its options listed).
    """
    params = inspect.signature(model.transform).parameters
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = [n for i, (n, p) in enumerate(params.items()) if p.kind in kinds and i > 0]
    kwargs = {k: v for k, v in given.items() if v is not None}
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in unknown)
        raise ConfigError(
            f"{model.name}.transform() does not take {flags}; it takes "
            f"{', '.join(accepted) or 'no options'}"
        )
    return kwargs


def transform(
    run: Annotated[
        Path,
        typer.Argument(
            metavar="RUN", help="A model folder written by `synthset fit`.", show_default=False
        ),
    ],
    data: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="The data to restore, of the model's modality: audio (a folder of WAV / FLAC "
            "files, an audio file, a .parquet of clips), images or texts; or a bundled dataset.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Audio: a folder (WAVs + labels.csv), .parquet, or .wav / .flac for one clip. "
            "Images: a folder, .parquet, .npz or .png grid. Texts: .jsonl, .csv or .parquet.",
        ),
    ],
    mask: Annotated[
        Path | None,
        typer.Option(
            "--mask",
            help="Inpainting: a .npy / .npz boolean array shaped like the data, True where "
            "samples (pixels) are missing.",
            show_default=False,
        ),
    ] = None,
    gaps_ms: Annotated[
        float | None,
        typer.Option(
            "--gaps-ms",
            "--gap-ms",
            help="Audio inpainting without a mask: cut a random gap of this many milliseconds "
            "into every clip, then fill it (a demonstration of the model).",
            show_default=False,
            min=0.0,
        ),
    ] = None,
    n_gaps: Annotated[
        int | None,
        typer.Option("--n-gaps", help="Gaps per clip with --gaps-ms.", show_default=False, min=1),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="Another keyword argument of the model's transform() (repeatable), read as JSON "
            "when it parses.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Random seed of the transform, if it draws any.", min=0),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Restore existing data with a fitted restoration model (super-resolution, inpainting)."""
    import synthset

    model = synthset.load(run)
    if not callable(getattr(model, "transform", None)):
        raise ConfigError(
            f"{model.name} cannot transform data (it only samples); restoration models such as "
            "audio_sr and audio_inpaint do"
        )
    kind = model.modality
    if kind == "audio":
        check_audio_output(output, overwrite)
    elif kind == "image":
        check_image_output(output, overwrite)
    elif kind == "text":
        check_text_output(output, overwrite)
    else:
        check_output_file(output, overwrite)
    given = {**parse_params(param), "gaps_ms": gaps_ms, "n_gaps": n_gaps, "seed": seed}
    if mask is not None:
        given["mask"] = load_mask(mask)
    kwargs = transform_kwargs(model, given)
    inputs = load_input(data, modality=kind)
    start = time.perf_counter()
    result = model.transform(inputs, **kwargs)
    if kind == "audio":
        write_audio_output(result, output, overwrite)
    elif kind == "image":
        write_image_output(result, output, overwrite)
    elif kind == "text":
        write_text_output(result, output, overwrite)
    else:
        from synthset.data import write_table

        write_table(result, output, overwrite=overwrite)
    if not quiet:
        seconds = time.perf_counter() - start
        info(
            f"{model.name} transformed {len(inputs):,} {units(inputs)} into {describe(result)} "
            f"in {seconds:.1f} s → {output}"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("transform")(transform)
