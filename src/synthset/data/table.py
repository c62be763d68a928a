"""The Table container and table I/O (CSV, Parquet, DataFrames)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import TableSpec, validate_frame
from synthset.errors import DataError, SynthsetError
from synthset.utils import atomic_path

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".csv.gz", ".tsv.gz")
PARQUET_ROW_GROUP = 131_072  # rows per Parquet row group


class Table:
    """A pandas DataFrame together with its :class:`TableSpec`.

    Args:
        data: the rows.
        spec: the spec; detected from ``data`` when omitted.
        overrides: column kinds forced during detection (``{"zip": "categorical"}``).
        name: an optional name shown in reports and dataset cards.
    """

    modality = "table"

    def __init__(
        self,
        data: pd.DataFrame,
        spec: TableSpec | None = None,
        *,
        overrides: dict[str, str] | None = None,
        name: str | None = None,
    ):
        # with a given spec (e.g. samples of a fitted model) only the frame's shape is checked:
        # a small sample may legitimately have a column that is all missing
        validate_frame(data, check_values=spec is None)
        self.data = data
        self.spec = spec if spec is not None else TableSpec.detect(data, overrides)
        self.name = name

    @classmethod
    def from_frame(cls, df: pd.DataFrame, **kwargs: Any) -> Table:
        return cls(df, **kwargs)

    # --- views --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"Table{name}({len(self.data)} rows × {self.data.shape[1]} columns)"

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape

    @property
    def columns(self) -> list[str]:
        return list(self.data.columns)

    def to_pandas(self) -> pd.DataFrame:
        return self.data

    def head(self, n: int = 5) -> pd.DataFrame:
        return self.data.head(n)

    def split(
        self, frac: float = 0.8, *, seed: int | None = 0, stratify: str | None = None
    ) -> tuple[Table, Table]:
        """Split rows into (first, second) with ``frac`` of rows in the first, same spec in both."""
        if not 0.0 < frac < 1.0:
            raise DataError(f"`frac` must be in (0, 1), got {frac}")
        rng = np.random.default_rng(seed)
        n = len(self.data)
        if stratify is not None:
            if stratify not in self.data.columns:
                raise DataError(f"`stratify` names unknown column {stratify!r}")
            codes = pd.factorize(self.data[stratify], use_na_sentinel=False)[0]
            perm = rng.permutation(n)
            order = perm[np.argsort(codes[perm], kind="stable")]
            # within each class take the first frac of its (shuffled) rows
            counts = np.bincount(codes)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            rank = np.arange(n) - np.repeat(starts, counts)
            first_mask = rank < np.round(np.repeat(counts, counts) * frac)
            first, second = np.sort(order[first_mask]), np.sort(order[~first_mask])
        else:
            perm = rng.permutation(n)
            k = int(round(n * frac))
            first, second = np.sort(perm[:k]), np.sort(perm[k:])
        if len(first) == 0 or len(second) == 0:
            raise DataError(f"splitting {n} rows at frac={frac} leaves one side empty")
        a = self.data.iloc[first].reset_index(drop=True)
        b = self.data.iloc[second].reset_index(drop=True)
        return Table(a, self.spec, name=self.name), Table(b, self.spec, name=self.name)

    def write(self, path: str | Path, *, overwrite: bool = False) -> Path:
        return write_table(self, path, overwrite=overwrite)


def as_table(data: Any, spec: TableSpec | None = None) -> Table:
    """Coerce a Table, DataFrame or path into a Table (spec detected unless given)."""
    if isinstance(data, Table):
        if spec is not None:
            spec.validate(data.data)
            return Table(data.data, spec, name=data.name)
        return data
    if isinstance(data, pd.DataFrame):
        return Table(data, spec)
    if isinstance(data, (str, Path)):
        return read_table(data, spec=spec)
    raise DataError(
        f"expected a synthset Table, a pandas DataFrame or a path to CSV/Parquet, "
        f"got {type(data).__name__}"
    )


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(TABLE_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def read_table(path: str | Path, *, spec: TableSpec | None = None) -> Table:
    """Read CSV / TSV (optionally gzipped) or Parquet into a Table.

    Raises:
        DataError: missing file, unknown extension, a file that is not UTF-8, or no rows.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"no such file: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; a table must be a .csv or .parquet file")
    suffix = _suffix(path)
    try:
        if suffix in (".parquet", ".pq"):
            df = _read_parquet(path)
        elif suffix in (".csv", ".csv.gz", ".tsv", ".tsv.gz"):
            df = _read_csv(path, sep="\t" if suffix.startswith(".tsv") else ",")
        else:
            raise DataError(
                f"cannot read {path.name}: unknown extension {suffix!r}; "
                f"use one of {', '.join(TABLE_SUFFIXES)}"
            )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name} > fixed.csv`"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line and at least one row") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} is not a well-formed CSV: {str(exc).strip()}") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, SynthsetError):
            raise
        raise DataError(f"cannot read {path}: {exc}") from None
    return Table(df, spec, name=path.name.split(".")[0])


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    """Read CSV; a column that pandas' chunked parser typed differently in different chunks
    (numbers in some, strings in others: ``DtypeWarning``) is read again as strings."""
    import warnings

    kwargs = {"sep": sep, "encoding": "utf-8", "skipinitialspace": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        df = pd.read_csv(path, **kwargs)
    mixed = [
        c
        for c in df.columns
        if df[c].dtype == object
        and pd.api.types.infer_dtype(df[c], skipna=True) in ("mixed", "mixed-integer")
    ]
    if mixed:
        as_text = pd.read_csv(path, usecols=mixed, dtype=str, **kwargs)
        df[mixed] = as_text[mixed]
    return df


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read Parquet; dictionary-encoded columns that pandas wrote as plain strings come back as
    strings (only columns that were categorical stay categorical)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    tbl = pq.read_table(path)
    meta = json.loads((tbl.schema.metadata or {}).get(b"pandas", b"{}"))
    was_categorical = {
        c.get("name") for c in meta.get("columns", []) if c.get("pandas_type") == "categorical"
    }
    if meta:
        for i, field in enumerate(tbl.schema):
            if pa.types.is_dictionary(field.type) and field.name not in was_categorical:
                tbl = tbl.set_column(i, field.name, tbl.column(i).cast(field.type.value_type))
    # date32 / date64 columns as datetimes (not Python date objects, which cannot be modelled)
    return tbl.to_pandas(date_as_object=False)


def write_table(table: Table | pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write by extension (.csv, .tsv, .parquet), atomically; refuse to overwrite by default."""
    df = table.data if isinstance(table, Table) else table
    path = Path(path)
    suffix = _suffix(path)
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"cannot write {path.name}: unknown extension {suffix!r}; "
            f"use one of {', '.join(TABLE_SUFFIXES)}"
        )
    with atomic_path(path, overwrite=overwrite) as tmp:
        if suffix in (".parquet", ".pq"):
            write_parquet(df, tmp)
        else:
            sep = "\t" if suffix.startswith(".tsv") else ","
            compression = "gzip" if suffix.endswith(".gz") else None
            df.to_csv(tmp, sep=sep, index=False, compression=compression)
    return path


def write_parquet(
    df: pd.DataFrame, path: str | Path, row_group_size: int = PARQUET_ROW_GROUP
) -> None:
    """Parquet with zstd and dictionary-encoded string columns, written in row groups."""
    import pyarrow.parquet as pq

    pq.write_table(parquet_table(df), path, compression="zstd", row_group_size=row_group_size)


def parquet_table(df: pd.DataFrame, schema: Any = None) -> Any:
    """``df`` as the Arrow table :func:`write_parquet` writes: string columns dictionary-encoded
    (each distinct value stored once) and pandas' metadata kept, so :func:`read_table` restores
    string columns as strings (not categories). With ``schema`` (an earlier batch's), the
    columns are cast to it, so every batch of a streamed file has one schema.

    Raises:
        DataError: a column that Arrow cannot store, or that does not fit ``schema``.
    """
    import pyarrow as pa

    try:
        tbl = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataError(
            f"the table cannot be written to Parquet ({exc}); give every column one type, "
            "e.g. df[col] = df[col].astype(str)"
        ) from None
    columns = []
    for i, field in enumerate(tbl.schema):
        col = tbl.column(i)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            col = col.combine_chunks().dictionary_encode()
        columns.append(col)
    out = pa.Table.from_arrays(columns, names=tbl.column_names)
    if schema is None:
        return out.replace_schema_metadata(tbl.schema.metadata)
    try:
        return out.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise DataError(f"a batch does not fit the file's schema: {exc}") from None
