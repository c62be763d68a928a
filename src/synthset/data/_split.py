"""What the labelled containers (Images, Texts, Audio) share: class names in a natural order,
label names to integer codes, class lookups, and seeded (stratified) index splits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthset.errors import DataError


def read_labels_file(
    csv: Any, label_column: str, file_columns: Sequence[str], what: str
) -> tuple[Any, str, str]:
    """A folder's labels file: (frame, file column, label column). The label column is
    ``label_column``, or the only column besides the file column (and ``source``); a DataError
    names what is missing. Labels are stripped strings; an empty one means "no label"."""
    import pandas as pd

    try:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the labels file {csv}: {exc}") from None
    file_col = next((c for c in file_columns if c in df.columns), None)
    if file_col is None:
        raise DataError(
            f"the labels file {csv.name} needs a file column ({', '.join(file_columns)}); "
            f"it has {', '.join(map(str, df.columns))}"
        )
    label_name = label_column
    if label_column not in df.columns:
        others = [c for c in df.columns if c not in (file_col, "source")]
        if len(others) != 1:
            raise DataError(
                f"the labels file {csv.name} has no column {label_column!r}; it has "
                f"{', '.join(map(str, df.columns))}; pass label_column="
            )
        label_name = str(others[0])
    if df.empty:
        raise DataError(f"the labels file {csv} lists no {what}")
    df[label_name] = df[label_name].str.strip()
    return df, str(file_col), label_name


def natural_sort(values: list[str]) -> list[str]:
    """Sort class names so that "2" < "10" when they are all integers."""
    try:
        return sorted(values, key=lambda v: int(v))
    except ValueError:
        return sorted(values)


def encode_labels(
    labels: Any, n: int, classes: Sequence[Any] | None, what: str
) -> tuple[np.ndarray | None, list[str] | None]:
    """(int64 codes, class names) of ``labels`` (names or ints, one per row of ``n``);
    ``classes`` fixes the order (default: the sorted unique names, naturally)."""
    if labels is None:
        return None, None if classes is None else [str(c) for c in classes]
    lab = np.asarray(labels)
    if len(lab) != n:
        raise DataError(f"{len(lab)} labels for {n} {what}")
    if lab.dtype == object and any(v is None for v in lab):
        raise DataError("labels contain missing values; drop those rows or fill them")
    names = lab.astype(str)
    if classes is None:
        spec_classes = natural_sort(np.unique(names).tolist())
    else:
        spec_classes = [str(c) for c in classes]
        unknown = sorted(set(np.unique(names).tolist()) - set(spec_classes))
        if unknown:
            raise DataError(f"labels {unknown[:5]} are not in `classes`")
    lookup = {c: i for i, c in enumerate(spec_classes)}
    uniq, inv = np.unique(names, return_inverse=True)
    codes = np.array([lookup[u] for u in uniq], dtype=np.int64)[inv.reshape(-1)]
    return codes, spec_classes


def class_code(classes: list[str] | None, value: Any, what: str) -> int:
    """The code of class ``value`` (its name, or an int code); a DataError lists the classes."""
    if not classes:
        raise DataError(f"these {what} have no labels, so they cannot be conditioned on a class")
    if str(value) in classes:
        return classes.index(str(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= int(value) < len(classes):
            return int(value)
    raise DataError(f"{value!r} is not a class; classes: {', '.join(classes)}")


def split_indices(
    n: int,
    labels: np.ndarray | None,
    n_classes: int,
    frac: float,
    *,
    seed: int | None,
    stratify: bool,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices (first, second) with ``frac`` of the rows in the first, per class when
    ``labels`` are given and ``stratify`` is set; a DataError when a side would be empty."""
    if not 0.0 < frac < 1.0:
        raise DataError(f"`frac` must be in (0, 1), got {frac}")
    rng = np.random.default_rng(seed)
    if stratify and labels is not None:
        first = []
        for k in range(n_classes):
            idx = rng.permutation(np.flatnonzero(labels == k))
            first.append(idx[: int(round(frac * len(idx)))])
        a = np.sort(np.concatenate(first))
        mask = np.zeros(n, bool)
        mask[a] = True
        b = np.flatnonzero(~mask)
    else:
        perm = rng.permutation(n)
        cut = int(round(frac * n))
        a, b = np.sort(perm[:cut]), np.sort(perm[cut:])
    if len(a) == 0 or len(b) == 0:
        raise DataError(f"splitting {n} {what} at {frac} leaves one side empty")
    return a, b


def per_class_indices(
    labels: np.ndarray, n_classes: int, n: int, *, seed: int | None
) -> np.ndarray:
    """Sorted indices of at most ``n`` rows of every class (a fixed random choice for ``seed``)."""
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(labels == k))[:n] for k in range(n_classes)]
    return np.sort(np.concatenate(keep))
