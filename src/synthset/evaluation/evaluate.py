"""``evaluate(real, synthetic, holdout=None, target=None)`` → :class:`Report`."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

from synthset.data.table import Table, as_table
from synthset.errors import ConfigError, DataError, SynthsetError, SynthsetWarning
from synthset.evaluation.base import FAMILIES, EvalContext, MetricResult, get_metric, list_metrics
from synthset.evaluation.report import Report


class MetricFailedWarning(SynthsetWarning):
    """A metric raised an error; the report shows it as not computed."""


def evaluate(
    real: Any,
    synthetic: Any,
    holdout: Any = None,
    *,
    target: str | None = None,
    metrics: Sequence[str] | str | None = None,
    seed: int = 0,
    sample_rows: int = 5_000,
) -> Report:
    """Measure how good a synthetic table is: fidelity, utility and privacy.

    Args:
        real: the data the synthesizer was trained on (Table, DataFrame or path).
        synthetic: generated rows with the same columns.
        holdout: real rows the synthesizer never saw; needed by the privacy baselines and
            used as the test set of the utility metrics.
        target: a column to predict for the utility metrics (skipped without it).
        metrics: families (``"fidelity"``) and/or metric names; None runs every metric.
        seed: seed of every subsample, fold and model the metrics use.
        sample_rows: rows of each input kept in the report for plots.

    Returns:
        A :class:`Report` (``.to_html()``, ``.to_json()``, ``.to_markdown()``).
    """
    real_t = as_table(real)
    spec = real_t.spec
    syn = _aligned(synthetic, real_t, "synthetic")
    hold = _aligned(holdout, real_t, "holdout") if holdout is not None else None
    if target is not None and target not in spec:
        raise ConfigError(f"`target` {target!r} is not a column; columns: {', '.join(spec.names)}")
    names = _select(metrics)
    ctx = EvalContext(real_t.data, syn, hold, spec, target=target, seed=seed)
    results: list[MetricResult] = []
    seconds: dict[str, float] = {}
    for name in names:
        info = get_metric(name)
        t0 = time.perf_counter()
        try:
            out = info.fn(ctx)
        except SynthsetError:
            raise
        except Exception as exc:  # a broken metric must not lose the rest of the report
            warnings.warn(f"metric {name!r} failed: {exc}", MetricFailedWarning, stacklevel=2)
            out = MetricResult(
                name,
                info.family,
                float("nan"),
                True,
                details={"error": f"{type(exc).__name__}: {exc}"},
            )
        seconds[name] = round(time.perf_counter() - t0, 4)
        for r in [] if out is None else out if isinstance(out, list) else [out]:
            r.judge(info.pass_at, info.warn_at)
            results.append(r)
    from synthset import __version__

    meta = {
        "rows": {
            "real": len(real_t.data),
            "synthetic": len(syn),
            "holdout": None if hold is None else len(hold),
        },
        "columns": spec.names,
        "kinds": {c.name: c.kind for c in spec.columns},
        "target": target,
        "seed": seed,
        "seconds": seconds,
        "synthset_version": __version__,
    }
    return Report(
        metrics=results,
        meta=meta,
        real_sample=real_t.data.sample(min(sample_rows, len(real_t.data)), random_state=seed),
        synthetic_sample=syn.sample(min(sample_rows, len(syn)), random_state=seed),
    )


def _aligned(data: Any, real: Table, what: str):
    """``data`` as a frame with the real data's columns, in its order (a DataError lists any
    missing or extra columns). Only the shape is checked: a synthetic column that came out all
    missing is something to score, not an input error."""
    df = data.data if isinstance(data, Table) else as_table(data, real.spec).data
    missing = [c for c in real.spec.names if c not in df.columns]
    extra = [c for c in df.columns if c not in real.spec]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"the {what} data lacks columns {missing}")
        if extra:
            hint = ""
            if "synthset_source" in extra:
                hint = (
                    " (synthset_source is augment()'s provenance column: evaluate the rows "
                    "where it is 'synthetic', without that column)"
                )
            problems.append(f"the {what} data has columns the real data lacks: {extra}{hint}")
        raise DataError(problems)
    return df[real.spec.names]


def _select(metrics: Sequence[str] | str | None) -> list[str]:
    if metrics is None:
        return list_metrics()
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    names: list[str] = []
    for m in metrics:
        chosen = list_metrics(m) if m in FAMILIES else [get_metric(m).name]
        names += [n for n in chosen if n not in names]
    if not names:
        raise ConfigError("`metrics` selects no metric")
    return names
