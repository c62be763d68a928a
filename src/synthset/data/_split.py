"""Seeded (stratified) index splits shared by the Images and Texts containers."""

from __future__ import annotations

import numpy as np

from synthset.errors import DataError


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
