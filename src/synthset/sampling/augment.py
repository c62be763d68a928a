"""``augment``: real rows plus synthetic rows, marked by a provenance column.

Three ways to ask for rows: ``ratio`` (a share of the real row count), ``n_new`` (a count) or
``balance_on`` (a categorical column whose minority classes are filled up, by conditional
sampling, to the size of the majority class).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthset.data.spec import TableSpec
from synthset.data.table import Table, as_table
from synthset.data.transforms.columns import to_codes
from synthset.errors import ConfigError, NotFittedError
from synthset.utils import derive_seed

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

REAL = "real"
SYNTHETIC = "synthetic"


def augment(
    data: Any,
    synthesizer: Synthesizer | str,
    *,
    ratio: float | None = None,
    n_new: int | None = None,
    balance_on: str | None = None,
    seed: int | None = None,
    fit: bool | None = None,
    provenance_column: str | None = "synthset_source",
    n_per_class: int | None = None,
    filter: bool | dict[str, Any] | None = None,
) -> Any:
    """Return the real rows followed by synthetic ones, with a provenance column.

    Give exactly one of ``ratio``, ``n_new``, ``balance_on`` and (images) ``n_per_class``.

    Images work the same way (see :mod:`synthset.sampling.augment_images`): ``balance_on="label"``
    fills every class up to the largest with a class-conditional model (``cgan``, ``cvae``),
    ``n_per_class`` adds that many images to every class, and the result's ``source`` array
    marks each image ``"real"`` or ``"synthetic"``. So do texts (Texts or a .txt / .jsonl path;
    see :mod:`synthset.sampling.augment_texts`) and audio (Audio, or a folder / file of clips;
    see :mod:`synthset.sampling.augment_audio`).

    Args:
        data: the real rows (a Table, a DataFrame or a path to CSV/Parquet).
        synthesizer: a synthesizer instance, or a registry name such as ``"gaussian_copula"``.
        ratio: add ``round(ratio × len(data))`` synthetic rows (> 0).
        n_new: add this many synthetic rows (≥ 1).
        balance_on: a categorical/boolean column; every class with fewer rows than the
            largest one gets conditionally sampled rows until all classes are equally frequent.
        seed: makes the synthetic rows reproducible.
        fit: ``None`` fits the synthesizer on ``data`` unless it is already fitted; ``True``
            always (re)fits it; ``False`` never fits it (it must be fitted already).
        provenance_column: name of the column marking rows ``"real"`` or ``"synthetic"``;
            ``None`` leaves it out.
        n_per_class: images, texts and audio: add this many generated items to every class.
        filter: texts only: filter the generated texts (default True; a dict passes options
            to :class:`~synthset.sampling.text_filter.TextFilter`; False keeps them all).

    Returns:
        A Table whose spec is the data's spec plus the provenance column.

    Raises:
        ConfigError: for a bad combination or value of the options.
        NotFittedError: when ``fit=False`` and the synthesizer is not fitted.
    """
    from synthset.sampling.augment_audio import augment_audio, is_audio
    from synthset.sampling.augment_texts import augment_texts, is_texts

    texts = is_texts(data)
    if filter is not None and not texts:
        raise ConfigError("`filter` applies to texts (augment of Texts); pass it only for texts")
    if is_audio(data):  # before images: a folder of audio files is no image folder
        _check_request(ratio, n_new, balance_on, n_per_class)
        how = {"ratio": ratio, "n_new": n_new, "balance_on": balance_on}
        synth = _as_synthesizer(synthesizer)
        return augment_audio(data, synth, n_per_class=n_per_class, seed=seed, fit=fit, **how)
    if _is_images(data):
        return _augment_images(data, synthesizer, ratio, n_new, balance_on, n_per_class, seed, fit)
    if texts:
        _check_request(ratio, n_new, balance_on, n_per_class)
        synth = _as_synthesizer(synthesizer)
        how = {"ratio": ratio, "n_new": n_new, "balance_on": balance_on}
        if filter is not None:
            how["filter"] = filter
        return augment_texts(data, synth, n_per_class=n_per_class, seed=seed, fit=fit, **how)
    if n_per_class is not None:
        raise ConfigError("`n_per_class` applies to images; for a table use `balance_on`")
    table = as_table(data)
    df = table.data
    _check_request(ratio, n_new, balance_on)
    if provenance_column is not None:
        if not isinstance(provenance_column, str) or not provenance_column:
            raise ConfigError(
                f"`provenance_column` must be a non-empty string or None, got {provenance_column!r}"
            )
        if provenance_column in df.columns:
            raise ConfigError(
                f"the data already has a column named {provenance_column!r}; pass another "
                "`provenance_column` (or None to leave it out)"
            )
    if fit not in (None, True, False):
        raise ConfigError(f"`fit` must be None, True or False, got {fit!r}")

    synth = _as_synthesizer(synthesizer)
    if balance_on is not None:
        # check the column before a potentially long fit
        _check_balance_column(table.spec, balance_on)
    if fit or (fit is None and not synth.is_fitted):
        synth.fit(table)
    elif not synth.is_fitted:
        raise NotFittedError(
            f"the {type(synth).__name__} is not fitted and fit=False; fit it first or pass "
            "fit=None to fit it on the data"
        )
    _check_same_columns(synth.spec_, df)

    if balance_on is not None:
        parts = _balance(df, synth, balance_on, seed)
    else:
        n = n_new if n_new is not None else int(round(ratio * len(df)))
        if n < 1:
            raise ConfigError(
                f"ratio={ratio} × {len(df)} rows rounds to 0 new rows; use a larger `ratio` "
                "or pass `n_new`"
            )
        parts = [synth.sample(n, seed=seed).data]

    synthetic = [_align(part, df) for part in parts]
    out = pd.concat([df, *synthetic], ignore_index=True)
    spec = TableSpec(list(table.spec.columns))
    if provenance_column is not None:
        n_synthetic = len(out) - len(df)
        out[provenance_column] = np.repeat([REAL, SYNTHETIC], [len(df), n_synthetic])
        spec.columns.append(TableSpec.detect(out[[provenance_column]]).columns[0])
    return Table(out, spec, name=table.name)


def _is_images(data: Any) -> bool:
    from synthset.data.images import Images

    if isinstance(data, Images):
        return True
    if isinstance(data, np.ndarray) and data.ndim in (3, 4):
        return True
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from pathlib import Path

        p = Path(data)
        return p.is_dir() or p.suffix.lower() in (".npz", ".npy")
    return False


def _augment_images(
    data: Any,
    synthesizer: Any,
    ratio: Any,
    n_new: Any,
    balance_on: Any,
    n_per_class: Any,
    seed: int | None,
    fit: bool | None,
) -> Any:
    from synthset.data.images import as_images
    from synthset.sampling.augment_images import augment_images

    images = as_images(data)
    _check_request(ratio, n_new, balance_on, n_per_class)
    if fit not in (None, True, False):
        raise ConfigError(f"`fit` must be None, True or False, got {fit!r}")
    synth = _as_synthesizer(synthesizer)
    if getattr(synth, "modality", "table") != "image":
        raise ConfigError(f"{synth.name} synthesizes tables; for images use cgan, cvae, dcgan…")
    if fit or (fit is None and not synth.is_fitted):
        synth.fit(images)
    elif not synth.is_fitted:
        raise NotFittedError(
            f"the {type(synth).__name__} is not fitted and fit=False; fit it first or pass "
            "fit=None to fit it on the images"
        )
    return augment_images(
        images,
        synth,
        n_new=n_new,
        ratio=ratio,
        balance_on=balance_on,
        n_per_class=n_per_class,
        seed=seed,
    )


def _check_request(ratio: Any, n_new: Any, balance_on: Any, n_per_class: Any = None) -> None:
    options = (("ratio", ratio), ("n_new", n_new), ("balance_on", balance_on))
    if n_per_class is not None:
        options += (("n_per_class", n_per_class),)
    given = [k for k, v in options if v is not None]
    if len(given) != 1:
        got = f"got {', '.join(given)}" if given else "got none"
        raise ConfigError(f"give exactly one of `ratio`, `n_new` or `balance_on`; {got}")
    if n_per_class is not None:
        ok = isinstance(n_per_class, (int, np.integer)) and not isinstance(n_per_class, bool)
        if not ok or n_per_class < 1:
            raise ConfigError(f"`n_per_class` must be an int ≥ 1, got {n_per_class!r}")
    if ratio is not None:
        ok = isinstance(ratio, (int, float, np.integer, np.floating)) and not isinstance(
            ratio, (bool, np.bool_)
        )
        if not ok or not math.isfinite(ratio) or ratio <= 0:
            raise ConfigError(f"`ratio` must be a number > 0, got {ratio!r}")
    if n_new is not None:
        ok = isinstance(n_new, (int, np.integer)) and not isinstance(n_new, (bool, np.bool_))
        if not ok or n_new < 1:
            raise ConfigError(f"`n_new` must be an int ≥ 1, got {n_new!r}")


def _as_synthesizer(synthesizer: Any) -> Synthesizer:
    from synthset.registry import make_synthesizer
    from synthset.synthesizers.base import Synthesizer

    if isinstance(synthesizer, str):
        return make_synthesizer(synthesizer)
    if not isinstance(synthesizer, Synthesizer):
        raise ConfigError(
            f"`synthesizer` must be a Synthesizer or a registry name, "
            f"got {type(synthesizer).__name__}"
        )
    return synthesizer


def _check_balance_column(spec: TableSpec, column: str) -> None:
    if column not in spec:
        raise ConfigError(
            f"`balance_on` names unknown column {column!r}; columns: {', '.join(spec.names)}"
        )
    col = spec[column]
    if not col.is_discrete:
        raise ConfigError(
            f"`balance_on` must name a categorical or boolean column; {column!r} is {col.kind}"
        )


def _check_same_columns(spec: TableSpec, df: pd.DataFrame) -> None:
    if set(spec.names) != set(df.columns):
        raise ConfigError(
            f"the synthesizer was fitted on columns {spec.names}, but the data has "
            f"{list(df.columns)}; refit it (fit=True) or pass matching data"
        )


def _balance(
    df: pd.DataFrame, synth: Synthesizer, column: str, seed: int | None
) -> list[pd.DataFrame]:
    """Conditional samples that bring every class of ``column`` up to the majority count."""
    _check_balance_column(synth.spec_, column)
    col = synth.spec_[column]
    categories = list(col.categories or [])
    counts = np.bincount(to_codes(df[column], col) + 1, minlength=len(categories) + 1)[1:]
    target = counts.max()
    parts = []
    for k, (value, count) in enumerate(zip(categories, counts, strict=True)):
        if count < target:
            # one child seed per class: the rows of a class do not depend on the other classes
            sample = synth.sample(
                int(target - count), seed=derive_seed(seed, k), conditions={column: value}
            )
            parts.append(sample.data)
    return parts


def _align(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Reorder to the real columns and cast each to the real dtype where that is lossless."""
    synthetic = synthetic[list(real.columns)].copy()
    for name in real.columns:
        want = real[name].dtype
        if synthetic[name].dtype != want:
            try:
                cast = synthetic[name].astype(want)
            except (TypeError, ValueError):
                continue  # e.g. missing values in an int column: concat picks a common dtype
            if cast.isna().sum() == synthetic[name].isna().sum():
                synthetic[name] = cast
    return synthetic
