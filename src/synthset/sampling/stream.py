"""Write a table sample of any size to Parquet or CSV, batch by batch.

``write_sample(model, n, path)`` draws the rows of ``model.sample(n, seed=...)`` through
``model.iter_sample`` and appends each batch to the file (a Parquet row group, or CSV lines),
so memory holds one batch whatever ``n`` is. Before the first byte is written it estimates the
file's size from the first batch (written to memory) and refuses when the disk cannot hold it.
The file is written under a temporary name and renamed at the end: after an error or Ctrl-C
the temporary file is gone and no partial output is visible.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import TableSpec
from synthset.data.table import PARQUET_ROW_GROUP, TABLE_SUFFIXES, _suffix, parquet_table
from synthset.errors import ConfigError, OutputExistsError
from synthset.sampling.budget import check_disk
from synthset.utils import atomic_path

DEFAULT_BATCH_ROWS = PARQUET_ROW_GROUP
# rows of the first batch written to memory to estimate the bytes per row
PROBE_ROWS = 16_384


def write_sample(
    model: Any,
    n_samples: int,
    path: str | os.PathLike,
    *,
    seed: int | None = None,
    conditions: Mapping[str, Any] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    overwrite: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> Path:
    """Draw ``n_samples`` rows from a fitted table synthesizer into ``path`` (.parquet, .csv,
    .tsv, optionally .gz), ``batch_rows`` at a time.

    The file holds exactly the rows of ``model.sample(n_samples, seed=seed,
    conditions=conditions)``. Parquet gets one row group per batch (zstd, dictionary-encoded
    strings, pandas metadata), all with the first batch's schema.

    Args:
        on_batch: called with the number of rows written so far after each batch (progress).

    Raises:
        ConfigError: a bad argument or extension, or a file the disk cannot hold (estimated
            from the first batch, before anything is written).
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix not in TABLE_SUFFIXES:
        raise ConfigError(
            f"cannot write {path.name}: unknown extension; use one of {', '.join(TABLE_SUFFIXES)}"
        )
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; pass overwrite=True (CLI: --overwrite)")
    sink_type = _ParquetSink if suffix in (".parquet", ".pq") else _CsvSink
    batches = model.iter_sample(n_samples, seed=seed, conditions=conditions, batch_rows=batch_rows)
    spec = model.spec_
    first = steady_dtypes(next(batches).data, spec)
    probe = first.iloc[:PROBE_ROWS]
    check_disk(
        path,
        int(n_samples),
        sink_type.bytes_per_row(probe, spec, suffix),
        units="rows",
        basis=f"as measured on the first {len(probe):,} written",
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        sink = sink_type(tmp, first, spec, suffix)
        try:
            done = sink.write(first)
            if on_batch is not None:
                on_batch(done)
            for batch in batches:
                done += sink.write(steady_dtypes(batch.data, spec))
                if on_batch is not None:
                    on_batch(done)
        finally:
            sink.close()
    return path


def steady_dtypes(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """One dtype per column in every batch: a column that may hold missing values is written
    as pandas' nullable integer / boolean even in a batch that happens to hold none (the
    Parquet metadata of the first batch describes the whole file)."""
    casts = {}
    for col in spec.columns:
        if not col.nullable or col.name not in df.columns:
            continue
        dtype = df[col.name].dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "b":
            casts[col.name] = "boolean"
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            casts[col.name] = "Int64"
    return df.astype(casts) if casts else df


class _ParquetSink:
    """Row groups appended to one Parquet file with a fixed schema."""

    def __init__(self, path: Path, first: pd.DataFrame, spec: TableSpec, suffix: str):
        import pyarrow.parquet as pq

        self.schema = _resolve_nulls(parquet_table(first).schema, spec)
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    @staticmethod
    def bytes_per_row(probe: pd.DataFrame, spec: TableSpec, suffix: str) -> float:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = pa.BufferOutputStream()
        pq.write_table(parquet_table(probe), buf, compression="zstd")
        return buf.getvalue().size / len(probe)

    def write(self, df: pd.DataFrame) -> int:
        self.writer.write_table(parquet_table(df, self.schema), row_group_size=PARQUET_ROW_GROUP)
        return len(df)

    def close(self) -> None:
        self.writer.close()


class _CsvSink:
    """CSV / TSV lines appended to one (optionally gzipped) file, the header once."""

    def __init__(self, path: Path, first: pd.DataFrame, spec: TableSpec, suffix: str):
        self.sep = "\t" if suffix.startswith(".tsv") else ","
        opener = gzip.open if suffix.endswith(".gz") else open
        self.file = opener(path, "wt", encoding="utf-8", newline="")
        self.header = True

    @staticmethod
    def bytes_per_row(probe: pd.DataFrame, spec: TableSpec, suffix: str) -> float:
        sep = "\t" if suffix.startswith(".tsv") else ","
        data = probe.to_csv(sep=sep, index=False).encode()
        if suffix.endswith(".gz"):
            data = gzip.compress(data)
        return len(data) / len(probe)

    def write(self, df: pd.DataFrame) -> int:
        df.to_csv(self.file, sep=self.sep, index=False, header=self.header)
        self.header = False
        return len(df)

    def close(self) -> None:
        self.file.close()


def _resolve_nulls(schema: Any, spec: TableSpec) -> Any:
    """A column missing in every row of the first batch has Arrow type ``null``; later batches
    may hold values, so give it the type the spec says it holds."""
    import pyarrow as pa

    fields = []
    for field in schema:
        if pa.types.is_null(field.type) and field.name in spec:
            field = field.with_type(_arrow_type(spec[field.name]))
        fields.append(field)
    return pa.schema(fields, metadata=schema.metadata)


def _arrow_type(col: Any) -> Any:
    import pyarrow as pa

    if col.kind == "datetime":
        return pa.timestamp("ns")
    if col.kind == "boolean" or col.dtype in ("bool", "boolean"):
        return pa.bool_()
    if col.kind in ("continuous", "discrete"):
        return pa.int64() if col.dtype.lower().startswith(("int", "uint")) else pa.float64()
    cats = col.categories or []
    if cats and all(isinstance(c, bool) for c in cats):
        return pa.bool_()
    if cats and all(isinstance(c, int) for c in cats):
        return pa.int64()
    if cats and all(isinstance(c, (int, float)) for c in cats):
        return pa.float64()
    return pa.dictionary(pa.int32(), pa.string())


__all__ = ["DEFAULT_BATCH_ROWS", "steady_dtypes", "write_sample"]
