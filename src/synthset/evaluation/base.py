"""Metric results, the metric registry, and the context every metric reads.

A metric is a pure function ``fn(ctx) -> MetricResult | list[MetricResult] | None`` registered
under a family (fidelity, utility, privacy) and a modality: ``"table"`` metrics read an
:class:`EvalContext`, ``"image"`` metrics an
:class:`~synthset.evaluation.images.context.ImageEvalContext`, ``"text"`` metrics a
:class:`~synthset.evaluation.text.context.TextEvalContext`, ``"audio"`` metrics an
:class:`~synthset.evaluation.audio.context.AudioEvalContext`. It returns None when it does not
apply (no holdout, no target, no labels). Metrics never plot; ``details`` carries what a renderer
needs.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import TableSpec
from synthset.errors import ConfigError

FAMILIES = ("fidelity", "utility", "privacy")
MODALITIES = ("table", "image", "text", "audio")


@dataclass
class MetricResult:
    """One measured number.

    Attributes:
        name: metric name (``"column_shapes"``).
        family: ``"fidelity"``, ``"utility"`` or ``"privacy"``.
        value: the score (NaN when it could not be computed; ``details["error"]`` says why).
        higher_is_better: direction of ``value``.
        details: per-column scores, curves, arrays for plots (JSON-able lists and numbers).
        bounds: the range ``value`` lies in, e.g. ``(0.0, 1.0)``; None if unbounded.
        description: one sentence for the report.
        status: ``"pass"``, ``"warn"`` or ``"fail"`` against the metric's documented thresholds
            (set by ``evaluate``; None when the metric has no thresholds or no value).
        thresholds: ``{"pass": x, "warn": y}`` the status was judged against. A metric whose
            thresholds depend on the data (FID against a baseline measured in the same run) sets
            them itself; ``evaluate`` then judges against those instead of the registered ones.
    """

    name: str
    family: str
    value: float
    higher_is_better: bool
    details: dict[str, Any] = field(default_factory=dict)
    bounds: tuple[float, float] | None = (0.0, 1.0)
    description: str = ""
    status: str | None = None
    thresholds: dict[str, float] | None = None

    def judge(self, pass_at: float | None, warn_at: float | None) -> None:
        """Set ``status`` from the thresholds (in the direction of ``higher_is_better``)."""
        if pass_at is None or warn_at is None or self.value is None or math.isnan(self.value):
            return
        self.thresholds = {"pass": pass_at, "warn": warn_at}
        better = (lambda a, b: a >= b) if self.higher_is_better else (lambda a, b: a <= b)
        self.status = (
            "pass"
            if better(self.value, pass_at)
            else "warn"
            if better(self.value, warn_at)
            else "fail"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = _json_float(self.value)
        d["bounds"] = list(self.bounds) if self.bounds is not None else None
        d["details"] = _jsonable(self.details)
        return d


MetricFn = Callable[["EvalContext"], "MetricResult | list[MetricResult] | None"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    family: str
    fn: MetricFn
    pass_at: float | None = None  # value at or beyond which the result passes
    warn_at: float | None = None  # ... warns; beyond neither it fails
    modality: str = "table"  # the data the metric reads: "table", "image", "text" or "audio"


_METRICS: dict[str, MetricInfo] = {}


def register_metric(
    name: str,
    family: str,
    *,
    pass_at: float | None = None,
    warn_at: float | None = None,
    modality: str = "table",
) -> Callable[[MetricFn], MetricFn]:
    """Register ``fn`` as metric ``name`` of ``family`` with its pass / warn thresholds.

    Thresholds are read in the direction of the result's ``higher_is_better``; document them in
    the metric's docstring. ``modality`` says which data the metric reads (``"table"``: an
    :class:`EvalContext`; ``"image"``: an ``ImageEvalContext``; ``"text"``: a
    ``TextEvalContext``; ``"audio"``: an ``AudioEvalContext``); ``evaluate`` runs only the
    metrics of its data's modality. Names are unique across modalities; a duplicate raises.
    """
    if family not in FAMILIES:
        raise ConfigError(f"metric family must be one of {FAMILIES}, got {family!r}")
    if modality not in MODALITIES:
        raise ConfigError(f"metric modality must be one of {MODALITIES}, got {modality!r}")

    def deco(fn: MetricFn) -> MetricFn:
        if name in _METRICS and _METRICS[name].fn is not fn:
            raise ConfigError(f"a metric named {name!r} is already registered")
        _METRICS[name] = MetricInfo(name, family, fn, pass_at, warn_at, modality)
        return fn

    return deco


def list_metrics(family: str | None = None, *, modality: str | None = "table") -> list[str]:
    """Names of the registered metrics, in registration order.

    Args:
        family: only this family (``"fidelity"``, ``"utility"``, ``"privacy"``).
        modality: only metrics of this modality (``"table"`` by default, as before image
            metrics existed; ``"image"``; ``"text"``; ``"audio"``; None for every modality).
    """
    _load_builtin_metrics()
    return [
        n
        for n, m in _METRICS.items()
        if (family is None or m.family == family) and (modality is None or m.modality == modality)
    ]


def get_metric(name: str) -> MetricInfo:
    _load_builtin_metrics()
    if name not in _METRICS:
        raise ConfigError(f"unknown metric {name!r}; available: {', '.join(_METRICS)}")
    return _METRICS[name]


def _load_builtin_metrics() -> None:
    import synthset.evaluation.images  # noqa: F401  (registers the built-in image metrics)
    import synthset.evaluation.metrics  # noqa: F401  (registers the built-in table metrics)
    import synthset.evaluation.text  # noqa: F401  (registers the built-in text metrics)

    # the audio metrics register last, so the other modalities keep their order
    importlib.import_module("synthset.evaluation.audio")


# --- the context every metric reads ------------------------------------------------------------
@dataclass
class EvalContext:
    """Aligned real / synthetic / holdout frames plus lazily computed shared encodings.

    Attributes:
        real: the training data the synthesizer saw.
        synthetic: the generated rows (same columns).
        holdout: real rows the synthesizer did not see (None if not given).
        spec: the spec of ``real`` (kinds decide which metric treats a column how).
        target: the column to predict for utility metrics (None: utility is skipped).
        seed: seed of every random choice a metric makes (subsamples, CV folds, models).
        sensitive: the column an attribute-inference attacker tries to guess (None: that attack
            is skipped).
        linkability_columns: the two disjoint column sets of the linkability attack (None:
            the first and second half of the non-id columns).
    """

    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None
    spec: TableSpec
    target: str | None = None
    seed: int = 0
    sensitive: str | None = None
    linkability_columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def numeric_columns(self) -> list[str]:
        """Continuous, discrete and datetime columns (ids excluded)."""
        return [
            c.name for c in self.spec.columns if c.kind in ("continuous", "discrete", "datetime")
        ]

    @property
    def categorical_columns(self) -> list[str]:
        """Categorical and boolean columns (constants included, ids excluded)."""
        return [c.name for c in self.spec.columns if c.kind in ("categorical", "boolean")]

    @cached_property
    def encoder(self) -> MixedEncoder:
        return MixedEncoder(self.real, self.spec, exclude=())

    def matrix(self, which: str) -> np.ndarray:
        """float32 encoding of ``real``/``synthetic``/``holdout`` in which the Euclidean distance
        is a mixed-type distance: numeric columns scaled by the real range (missing values
        get an indicator), categorical columns one-hot / sqrt(2) (a mismatch counts 1)."""
        cache = self.__dict__.setdefault("_matrices", {})
        if which not in cache:
            frame = {"real": self.real, "synthetic": self.synthetic, "holdout": self.holdout}[which]
            if frame is None:
                raise ConfigError("no holdout data was given")
            cache[which] = self.encoder.transform(frame)
        return cache[which]


class MixedEncoder:
    """Vectorised numeric encoding of a mixed-type table, fitted on the real data."""

    def __init__(self, real: pd.DataFrame, spec: TableSpec, exclude: tuple[str, ...] = ()):
        from synthset.data.transforms.cardinality import modelled_values
        from synthset.data.transforms.columns import to_numeric

        self.spec = spec
        self.columns = [c for c in spec.columns if c.kind != "id" and c.name not in exclude]
        self.ranges: dict[str, tuple[float, float]] = {}
        self.categories: dict[str, pd.Index] = {}
        self.heads: dict[str, pd.Index] = {}  # high-cardinality columns: values with a slot
        for c in self.columns:
            if c.kind in ("continuous", "discrete", "datetime"):
                x = to_numeric(real[c.name], c)
                lo, hi = np.nanmin(x), np.nanmax(x)
                self.ranges[c.name] = (float(lo), float(hi - lo) if hi > lo else 1.0)
            else:
                self.categories[c.name] = pd.Index(pd.unique(real[c.name].dropna()))
                head = modelled_values(real[c.name])
                if head is not None:
                    self.heads[c.name] = head

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        from synthset.data.transforms.columns import to_numeric

        blocks = []
        for c in self.columns:
            if c.name in self.ranges:
                lo, width = self.ranges[c.name]
                x = (to_numeric(df[c.name], c) - lo) / width
                miss = np.isnan(x)
                blocks.append(np.where(miss, 0.0, x)[:, None])
                if c.nullable:
                    blocks.append(miss[:, None].astype(np.float64))
            elif c.name in self.heads:
                blocks.append(_hashed_one_hot(df[c.name], self.heads[c.name]))
            else:
                cats = self.categories[c.name]
                codes = cats.get_indexer(df[c.name])  # -1: missing or unseen → its own slot
                one_hot = np.zeros((len(df), len(cats) + 1), dtype=np.float32)
                one_hot[np.arange(len(df)), np.where(codes < 0, len(cats), codes)] = 1.0
                blocks.append(one_hot / math.sqrt(2.0))
        if not blocks:
            return np.zeros((len(df), 0), dtype=np.float32)
        return np.hstack(blocks).astype(np.float32)


HASH_BITS = 64


def _hashed_one_hot(s: pd.Series, head: pd.Index) -> np.ndarray:
    """A high-cardinality column in ``len(head) + 1 + HASH_BITS`` dimensions: one-hot for the
    frequent values and for missing (each 1/√2), and for every other value ±1/√(2·64) signs
    from a 64-bit hash of its text, so that two rows holding the same rare or unseen value
    are at distance 0 (a copied name is found), two different values at 1 ± 0.125 (the
    number of differing signs is Binomial(64, 1/2)), and a frequent value at 1 from any other.
    A plain one-hot over the real values would need one dimension per value (10⁵ for a
    10⁵-value column), and a shared "unseen" slot would make every new synthetic value look
    like a copy of every holdout value."""
    n = len(s)
    codes = head.get_indexer(s)
    missing = s.isna().to_numpy()
    slot = np.where(missing, len(head), codes)
    one_hot = np.zeros((n, len(head) + 1), dtype=np.float32)
    known = slot >= 0
    one_hot[np.flatnonzero(known), slot[known]] = 1.0 / math.sqrt(2.0)
    signs = np.zeros((n, HASH_BITS), dtype=np.float32)
    rest = np.flatnonzero(~known)
    if len(rest):
        text = s.iloc[rest].astype(str).to_numpy(dtype=object)
        h = pd.util.hash_array(text, categorize=True)  # uint64, deterministic
        bits = np.unpackbits(h.view(np.uint8).reshape(-1, 8), axis=1)
        signs[rest] = (2.0 * bits - 1.0) / math.sqrt(2.0 * HASH_BITS)
    return np.hstack([one_hot, signs])


# --- JSON helpers ------------------------------------------------------------------------------
def _json_float(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return None if math.isnan(v) or math.isinf(v) else v
    return v


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _json_float(obj.item())
    if isinstance(obj, float):
        return _json_float(obj)
    return obj
