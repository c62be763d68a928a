"""Data containers, specs and I/O."""

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.table import Table, as_table, read_table, write_table

__all__ = ["ColumnSpec", "Table", "TableSpec", "as_table", "read_table", "write_table"]
