"""synthset: learn a generative model of a dataset, then expand, balance, repair and privatise it."""

__version__ = "0.1.0"

from synthset.artifacts import load  # noqa: E402
from synthset.data import Table, TableSpec, read_table, write_table  # noqa: E402
from synthset.registry import list_synthesizers, make_synthesizer, register  # noqa: E402
from synthset.sampling.augment import augment  # noqa: E402
from synthset import datasets  # noqa: E402

__all__ = [
    "Table",
    "TableSpec",
    "__version__",
    "augment",
    "datasets",
    "list_synthesizers",
    "load",
    "make_synthesizer",
    "read_table",
    "register",
    "write_table",
]
