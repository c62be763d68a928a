"""Listing commands: ``synthset datasets`` and ``synthset list``."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import Enum
from typing import Annotated

import typer
from rich.table import Table as RichTable

from synthset.cli._common import OutputFormat, out_console

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for programs.")
]


class ListWhat(str, Enum):
    """What ``synthset list`` lists."""

    synthesizers = "synthesizers"
    datasets = "datasets"


def datasets(fmt: FormatOption = OutputFormat.table) -> None:
    """List the bundled offline datasets (usable wherever DATA is expected, e.g. `fit adult`)."""
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
        datasets(fmt)
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


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""
    app.command("datasets")(datasets)
    app.command("list")(list_)
