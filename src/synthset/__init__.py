"""synthset: learn a generative model of a dataset, then expand, balance, repair, privatise it."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from synthset.artifacts import load  # noqa: E402
from synthset.data import (  # noqa: E402
    Audio,
    Table,
    TableSpec,
    Texts,
    read_audio,
    read_table,
    read_texts,
    write_audio,
    write_table,
)
from synthset.registry import list_synthesizers, make_synthesizer, register  # noqa: E402

__all__ = [
    "Audio",
    "Table",
    "TableSpec",
    "Texts",
    "__version__",
    "augment",
    "choose_synthesizer",
    "datasets",
    "evaluate",
    "list_synthesizers",
    "load",
    "make_synthesizer",
    "read_audio",
    "read_table",
    "read_texts",
    "register",
    "write_audio",
    "write_table",
]


def __getattr__(name: str) -> Any:
    # Imported on first use so `import synthset` stays light (PEP 562).
    if name == "augment":
        from synthset.sampling.augment import augment

        return augment
    if name == "choose_synthesizer":
        from synthset.synthesizers.choose import choose_synthesizer

        return choose_synthesizer
    if name == "evaluate":
        from synthset.evaluation import evaluate

        return evaluate
    if name == "datasets":
        import synthset.datasets as datasets

        return datasets
    raise AttributeError(f"module 'synthset' has no attribute {name!r}")
