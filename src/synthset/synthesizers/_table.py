"""What every table synthesizer shares before and after its model: high-cardinality columns.

:class:`TableSynthesizer` fits a :class:`~synthset.data.transforms.cardinality.CardinalityPlan`
on the training table before the model sees it: each categorical column with more than
``max_categories`` distinct values keeps its most frequent values and shows the model one
``other`` category for the rest. ``spec_`` is the spec the model was fitted on (a capped
column lists its modelled values and ``other``, never the rare real values). ``sample`` fills
every ``other`` cell afterwards: common values by their frequency, rare ones with new values
from a character model. Under DP the plan stays empty: private preprocessing already releases
only the categories whose noisy count clears its threshold.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
import torch

from synthset.data.table import Table
from synthset.data.transforms.cardinality import MAX_CATEGORIES, MIN_COUNT, CardinalityPlan
from synthset.sampling.batches import collect, recut
from synthset.synthesizers.base import Interval, Synthesizer
from synthset.utils import derive_seed, make_rng

TABLE_CONSTRAINTS = {
    "max_categories": Interval(int, 2),
    "min_category_count": Interval(int, 1),
}

# the keys under which the plan's arrays sit among the encoder tensors of an artifact
_PREFIX = "encoder.cardinality."


class TableSynthesizer(Synthesizer):
    """Base of the table synthesizers: the cardinality plan around ``_fit`` / ``_sample``.

    Subclasses take ``max_categories`` and ``min_category_count`` as parameters and write
    ``_get_model_state`` / ``_set_model_state`` instead of ``_get_state`` / ``_set_state``,
    and ``_sample_batches`` (the rows in the model's own batches) instead of ``_sample``:
    ``sample`` joins those batches, ``iter_sample`` streams them, with the same rows.
    """

    modality = "table"
    max_categories: int = MAX_CATEGORIES
    min_category_count: int = MIN_COUNT

    def _coerce_data(self, data: Any, spec: Any) -> Table:
        table = super()._coerce_data(data, spec)
        plan = CardinalityPlan(self.max_categories, self.min_category_count)
        if getattr(self, "dp", None) is None:
            plan.fit(table.data, table.spec, seed=derive_seed(self.random_state, 9))
        self.cardinality_ = plan
        if plan.is_identity:
            return table
        return Table(plan.encode(table.data), plan.model_spec(table.spec), name=table.name)

    # ---- sampling: the model's batches, joined (sample) or streamed (iter_sample) ----
    def sample(
        self,
        n_samples: int,
        *,
        seed: int | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> Table:
        """Draw ``n_samples`` rows (see :meth:`Synthesizer.sample`).

        Raises:
            ConfigError: a bad argument, or rows that cannot fit in memory (estimated from the
                first batch): stream them with :meth:`iter_sample` instead.
        """
        n, model_conditions, forced = self._prepare_sample(n_samples, seed, conditions)
        df = collect(self._output_batches(n, seed, model_conditions, forced), n)
        return Table(df, self._output_spec())

    def iter_sample(
        self,
        n_samples: int,
        *,
        seed: int | None = None,
        conditions: Mapping[str, Any] | None = None,
        batch_rows: int | None = None,
    ) -> Iterator[Table]:
        """The rows of ``sample(n_samples, seed=seed, conditions=conditions)``, in batches.

        Concatenated, the batches are exactly that sample (ids included) while only one batch
        is in memory at a time: use it for samples larger than memory (or
        :func:`synthset.sampling.stream.write_sample` to write them to a file).

        Args:
            n_samples, seed, conditions: as for :meth:`sample`.
            batch_rows: rows per batch (the last may be shorter); None yields the model's own
                draw batches as they come.

        Yields:
            Tables with the spec of ``sample``'s; each frame's index continues the last one's.

        Raises:
            ConfigError: a bad argument, before anything is drawn.
        """
        from synthset.errors import ConfigError

        n, model_conditions, forced = self._prepare_sample(n_samples, seed, conditions)
        if batch_rows is not None and (
            isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1
        ):
            raise ConfigError(f"`batch_rows` must be an int ≥ 1 or None, got {batch_rows!r}")
        frames = self._output_batches(n, seed, model_conditions, forced)
        return self._tables(frames if batch_rows is None else recut(frames, batch_rows))

    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Table:
        # the base class's hook (sample and iter_sample above split the conditions first)
        return Table(collect(self._output_batches(n, seed, conditions, {}), n), self._output_spec())

    def _prepare_sample(
        self, n_samples: Any, seed: Any, conditions: Mapping[str, Any] | None
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        """(n, the model's checked conditions, values written into capped columns after it)."""
        plan = getattr(self, "cardinality_", None)
        forced: dict[str, Any] = {}
        active = plan is not None and not plan.is_identity
        if active and isinstance(conditions, (Mapping, type(None))):
            model_conditions, forced = plan.model_conditions(dict(conditions or {}))
            conditions = model_conditions or None
        n, checked = self._check_sample_args(n_samples, seed, conditions)
        return n, checked, forced

    def _output_batches(
        self, n: int, seed: int | None, conditions: dict[str, Any], forced: dict[str, Any]
    ) -> Iterator[pd.DataFrame]:
        """The model's batches with each capped column's ``other`` cells filled; batch ``b``
        fills from its own child seed, so its values do not depend on the rows after it."""
        plan = getattr(self, "cardinality_", None)
        frames = self._sample_batches(n, seed=seed, conditions=conditions)
        if plan is None or plan.is_identity:
            yield from frames
            return
        for b, frame in enumerate(frames):
            yield plan.decode(frame, self.spec_, make_rng(derive_seed(seed, 7, b)), forced)

    def _output_spec(self) -> Any:
        plan = getattr(self, "cardinality_", None)
        return self.spec_ if plan is None or plan.is_identity else plan.output_spec(self.spec_)

    def _tables(self, frames: Iterator[pd.DataFrame]) -> Iterator[Table]:
        spec, done = self._output_spec(), 0
        for frame in frames:
            frame.index = pd.RangeIndex(done, done + len(frame))
            done += len(frame)
            yield Table(frame, spec)

    @abstractmethod
    def _sample_batches(
        self, n: int, *, seed: int | None, conditions: dict[str, Any]
    ) -> Iterator[pd.DataFrame]:
        """Draw ``n`` rows as consecutive DataFrames, in the model's own batch size (which fixes
        how its random generators are consumed); ``conditions`` were already checked.

        A generator must not hold torch's grad mode or thread count across a ``yield`` (the
        caller runs between batches): set them per batch.
        """

    def describe_columns(self) -> list[str]:
        """One line per column the plan capped, saying what was done with it (for the CLI)."""
        plan = getattr(self, "cardinality_", None)
        return plan.describe() if plan is not None else []

    # ---- state: the plan beside the model's own ----
    def _get_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        state, tensors = self._get_model_state()
        plan = getattr(self, "cardinality_", None)
        if plan is not None and not plan.is_identity:
            plan_state, plan_tensors = plan.get_state()
            state = {**state, "cardinality": plan_state}
            tensors = {**tensors, **{f"encoder.{k}": v for k, v in plan_tensors.items()}}
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        plan_tensors = {
            k[len("encoder.") :]: v for k, v in tensors.items() if k.startswith(_PREFIX)
        }
        self.cardinality_ = CardinalityPlan.from_state(state.get("cardinality"), plan_tensors)
        model_tensors = {k: v for k, v in tensors.items() if not k.startswith(_PREFIX)}
        self._set_model_state(state, model_tensors)

    def _get_model_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        raise NotImplementedError

    def _set_model_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        raise NotImplementedError
