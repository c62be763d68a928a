"""Data containers, specs and I/O."""

from synthset.data.image_io import read_images, write_images
from synthset.data.images import Images, ImageSpec, as_images, concat_images
from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.table import Table, as_table, read_table, write_table

__all__ = [
    "ColumnSpec",
    "ImageSpec",
    "Images",
    "Table",
    "TableSpec",
    "as_images",
    "as_table",
    "concat_images",
    "read_images",
    "read_table",
    "write_images",
    "write_table",
]
