"""Listing commands: ``synthset datasets`` and ``synthset list``; and
``synthset datasets build spoken-digits``, which renders the audio dataset."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from synthset.cli._common import OutputFormat, Overwrite, Quiet, err_console, info, out_console

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
]


class ListWhat(str, Enum):
    """What ``synthset list`` lists."""

    synthesizers = "synthesizers"
    datasets = "datasets"


datasets_app = typer.Typer(
    help="List the bundled offline datasets, or build one that is rendered locally.",
    no_args_is_help=False,
)


@datasets_app.callback(invoke_without_command=True)
def datasets(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """List the bundled offline datasets (usable wherever DATA is expected, e.g. `fit adult`).

    `synthset datasets build spoken-digits` renders the audio dataset ahead of its first use.
    """
    if ctx.invoked_subcommand is None:
        print_datasets(fmt)


def print_datasets(fmt: OutputFormat) -> None:
    """The catalog as a table on stdout, or as JSON."""
    from synthset.datasets import list_datasets

    infos = list_datasets()
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    table = RichTable(title="Bundled datasets")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("modality", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("source")
    table.add_column("licence")
    for i in infos:
        table.add_row(i.name, i.modality, i.size, i.target, i.source, i.licence)
    out_console.print(table)


def list_(
    what: Annotated[
        ListWhat, typer.Argument(help="What to list.", show_default=True)
    ] = ListWhat.synthesizers,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the registered synthesizers (with their modality) or the bundled datasets."""
    if what is ListWhat.datasets:
        print_datasets(fmt)
        return
    from synthset.registry import get_synthesizer_class, list_synthesizers

    rows = [
        {"name": name, "modality": get_synthesizer_class(name).modality}
        for name in list_synthesizers()
    ]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = RichTable(title="Synthesizers")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("modality")
    for row in rows:
        table.add_row(row["name"], row["modality"])
    out_console.print(table)


class Buildable(str, Enum):
    """The datasets ``synthset datasets build`` renders."""

    spoken_digits = "spoken-digits"


@datasets_app.command("build")
def build(
    name: Annotated[Buildable, typer.Argument(help="The dataset to render.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder to build into (default: the cache that `datasets.load` reads, "
            "$SYNTHSET_CACHE_DIR/datasets or ~/.cache/synthset/datasets).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random choice.", min=0)] = 0,
    per_class: Annotated[
        int | None,
        typer.Option(
            "--per-class",
            help="Training clips per word (the test split gets 2/5 as many); default 50 / 20.",
            min=1,
            show_default=False,
        ),
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Render spoken-digits with espeak-ng: train/ and test/ folders of FLAC files, labels.csv,
    settings.csv (each clip's voice, room and noise) and manifest.json."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from synthset.cli._common import check_not_exists
    from synthset.datasets import audio_loaders

    folder = out if out is not None else audio_loaders.default_build_dir(seed, per_class)
    check_not_exists(folder, overwrite)
    audio_loaders.espeak_binary()  # a clear error before anything starts
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, disable=quiet, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(split: str, done: int, total: int) -> None:
            if split not in tasks:
                tasks[split] = bar.add_task(f"espeak-ng {split}", total=total)
            bar.update(tasks[split], completed=done)

        audio_loaders.build_spoken_digits(
            folder, seed=seed, per_class=per_class, overwrite=overwrite, progress=progress
        )
    if not quiet:
        manifest = json.loads((folder / "manifest.json").read_text())
        clips = manifest["clips"]
        info(
            f"built {name.value}: {clips['train']:,} train + {clips['test']:,} test clips "
            f"(seed {seed}, espeak-ng {manifest['espeak_ng_version']}) in "
            f"{manifest['build_seconds']:.1f} s → {folder}"
        )


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.add_typer(datasets_app, name="datasets")
    app.command("list")(list_)
