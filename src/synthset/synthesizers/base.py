"""The estimator facade every synthesizer shares (scikit-learn's contract).

``__init__`` stores hyperparameters unchanged; ``fit`` validates them against ``_constraints``,
coerces the data, learns ``spec_`` and calls ``_fit``; ``sample`` checks the fit and calls
``_sample`` with an explicit seed. Fitted state ends in ``_``. Subclasses write ``_fit``,
``_sample``, ``_get_state`` and ``_set_state``; saving and loading live in ``synthset.artifacts``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from synthset.errors import ConfigError, NotFittedError


# --- declarative parameter constraints ------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """A number of ``type`` in [low, high] (either bound may be None); ``none_ok`` allows None."""

    type: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    none_ok: bool = False

    def check(self, name: str, value: Any) -> None:
        if value is None and self.none_ok:
            return
        ok_type = isinstance(value, self.type) and not isinstance(value, bool)
        if self.type is float:
            ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok_type:
            raise ConfigError(f"`{name}` must be {self._describe()}, got {value!r}")
        lo_bad = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        hi_bad = self.high is not None and value > self.high
        if lo_bad or hi_bad or (isinstance(value, float) and np.isnan(value)):
            raise ConfigError(f"`{name}` must be {self._describe()}, got {value!r}")

    def _describe(self) -> str:
        t = "an int" if self.type is int else "a number"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '≥'} {self.low:g}")
        if self.high is not None:
            parts.append(f"≤ {self.high:g}")
        s = f"{t} {' and '.join(parts)}".strip()
        return s + (" or None" if self.none_ok else "")


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values."""

    values: tuple[Any, ...]

    def check(self, name: str, value: Any) -> None:
        if value not in self.values:
            raise ConfigError(
                f"`{name}` must be one of {', '.join(map(repr, self.values))}, got {value!r}"
            )


@dataclass(frozen=True)
class Boolean:
    def check(self, name: str, value: Any) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"`{name}` must be True or False, got {value!r}")


@dataclass(frozen=True)
class IntTuple:
    """A non-empty tuple/list of ints ≥ 1 (layer widths)."""

    def check(self, name: str, value: Any) -> None:
        ok = isinstance(value, (tuple, list)) and len(value) > 0
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)
        if not ok:
            raise ConfigError(f"`{name}` must be a non-empty list of ints ≥ 1, got {value!r}")


@dataclass(frozen=True)
class Anything:
    def check(self, name: str, value: Any) -> None:
        return None


@dataclass(frozen=True)
class DeviceName:
    """A torch device string (``"cpu"``, ``"cuda:0"``) or ``"auto"``; parsed, not required."""

    def check(self, name: str, value: Any) -> None:
        if value == "auto":
            return
        try:
            ok = isinstance(value, str) and torch.device(value) is not None
        except (RuntimeError, TypeError):
            ok = False
        if not ok:
            raise ConfigError(f"`{name}` must be 'auto', 'cpu' or 'cuda[:N]', got {value!r}")


SEED = Interval(int, 0, None, none_ok=True)


# --- the base class --------------------------------------------------------------------------
class Synthesizer(ABC):
    """Base class: a generative model of a dataset with ``fit`` / ``sample`` / ``save``."""

    name: ClassVar[str] = "base"
    modality: ClassVar[str] = "table"
    _constraints: ClassVar[dict[str, Any]] = {}
    # parameters that hold live objects (callbacks): not written to config.json
    _transient_params: ClassVar[tuple[str, ...]] = ("callbacks",)

    # ---- parameters (scikit-learn style) ----
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def _store_params(self, given: dict[str, Any]) -> None:
        """Store every ``__init__`` argument unchanged: ``self._store_params(locals())``."""
        for k in self._param_names():
            setattr(self, k, given[k])

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters as passed to ``__init__``."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> Synthesizer:
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise ConfigError(
                    f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}"
                )
            setattr(self, k, v)
        return self

    def _validate_params(self) -> None:
        for k, constraint in self._constraints.items():
            constraint.check(k, getattr(self, k))

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        shown = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"{type(self).__name__}({', '.join(shown)})"

    # ---- fitting / sampling ----
    @property
    def is_fitted(self) -> bool:
        return getattr(self, "spec_", None) is not None

    def _check_is_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(data) before using it"
            )

    def fit(self, data: Any, spec: Any = None) -> Synthesizer:
        """Learn a generative model of ``data``; returns ``self``."""
        self._validate_params()
        data = self._coerce_data(data, spec)
        self.spec_ = data.spec
        self.history_: list[dict[str, float]] = []
        try:
            self._fit(data)
        except BaseException:
            self.spec_ = None
            raise
        return self

    def sample(
        self,
        n_samples: int,
        *,
        seed: int | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> Any:
        """Draw ``n_samples`` new records, of the same type and spec as the training data.

        Args:
            n_samples: how many records (≥ 1).
            seed: makes the draw reproducible; the same seed gives the same records.
            conditions: ``{column: value}`` — every record takes these values (discrete columns).
        """
        n, conditions = self._check_sample_args(n_samples, seed, conditions)
        if self.modality != "table":  # tables check from their first batch (see _table.py)
            from synthset.sampling.budget import check_sample_memory

            check_sample_memory(self, n)
        with torch.no_grad():
            return self._sample(n, seed=seed, conditions=conditions)

    def _check_sample_args(
        self, n_samples: Any, seed: Any, conditions: Mapping[str, Any] | None
    ) -> tuple[int, dict[str, Any]]:
        """``(n_samples, checked conditions)``, after checking the fit and every argument."""
        self._check_is_fitted()
        if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, (int, np.integer)):
            raise ConfigError(f"`n_samples` must be an int ≥ 1, got {n_samples!r}")
        if n_samples < 1:
            raise ConfigError(f"`n_samples` must be an int ≥ 1, got {n_samples}")
        SEED.check("seed", seed)
        return int(n_samples), self._check_conditions(conditions)

    # ---- persistence ----
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the fitted synthesizer as a folder of JSON + safetensors (never pickle)."""
        from synthset.artifacts import save_synthesizer

        self._check_is_fitted()
        return save_synthesizer(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> Synthesizer:
        from synthset.artifacts import load_synthesizer

        obj = load_synthesizer(path)
        if not isinstance(obj, cls):
            raise ConfigError(f"{path} holds a {type(obj).__name__}, not a {cls.__name__}")
        return obj

    # ---- hooks for subclasses ----
    def _coerce_data(self, data: Any, spec: Any) -> Any:
        from synthset.data.table import as_table

        return as_table(data, spec)

    def _check_conditions(self, conditions: Mapping[str, Any] | None) -> dict[str, Any]:
        return dict(conditions or {})

    @abstractmethod
    def _fit(self, data: Any) -> None:
        """Learn the model from validated ``data`` (a container with ``.spec``)."""

    @abstractmethod
    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Any:
        """Draw ``n`` records; ``conditions`` were already validated."""

    @abstractmethod
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """(JSON-able state, named tensors) that fully restore the fitted model."""

    @abstractmethod
    def _set_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Restore what ``_get_state`` returned (``spec_`` is already set)."""
