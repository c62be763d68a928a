"""A hand-made Report with every metric the renderers draw, for tests that need no metric code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset.evaluation.base import MetricResult
from synthset.evaluation.report import Report

EVIL = "<script>alert(1)</script>"


def make_frames(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real and synthetic frames with numeric, discrete, categorical, boolean, datetime columns.

    One column is named like an HTML tag and holds tag-like values, so escaping shows.
    """
    rng = np.random.default_rng(seed)

    def frame(shift: float) -> pd.DataFrame:
        x = rng.normal(10.0 + shift, 2.0, n)
        x[:3] = np.nan
        return pd.DataFrame(
            {
                "x": x,
                "count": rng.integers(0, 8, n),
                "age": rng.integers(18, 90, n),
                "color": rng.choice(["red", "green", "blue", "<b>bold</b>"], n),
                "flag": rng.random(n) < 0.3 + shift / 10,
                "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
                EVIL: rng.choice(["<img src=x onerror=alert(1)>", "a & b"], n),
            }
        )

    return frame(0.0), frame(0.5)


def make_report(*, with_samples: bool = True) -> Report:
    """A report with fidelity, utility and privacy results and realistic ``details``."""
    real, syn = make_frames()
    numeric = ["x", "count", "age"]
    corr_real = np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    corr_syn = np.array([[1.0, 0.1, -0.25], [0.1, 1.0, np.nan], [-0.25, np.nan, 1.0]])
    all_cols = list(real.columns)
    k = len(all_cols)
    assoc = np.eye(k) + 0.1 * (1 - np.eye(k))
    grid = np.linspace(0, 1, 11).tolist()
    metrics = [
        MetricResult(
            "column_shapes",
            "fidelity",
            0.87,
            True,
            details={
                "columns": {
                    "x": {"score": 0.78, "method": "ks"},
                    "count": {"score": 0.95, "method": "ks"},
                    "age": {"score": 0.93, "method": "ks"},
                    "color": {"score": 0.9, "method": "tv"},
                    "flag": {"score": 0.88, "method": "tv"},
                    "when": {"score": 0.97, "method": "ks"},
                    EVIL: {"score": 0.99, "method": "tv"},
                }
            },
            thresholds={"pass": 0.9, "warn": 0.8},
            status="warn",
        ),
        MetricResult(
            "pair_trends",
            "fidelity",
            0.91,
            True,
            details={
                "pairs": {
                    "x|count": {"score": 0.9, "method": "correlation"},
                    f"color|{EVIL}": {"score": 0.8, "method": "contingency"},
                },
                "correlation": {"columns": numeric, "real": corr_real, "synthetic": corr_syn},
                "association": {"columns": all_cols, "real": assoc, "synthetic": assoc * 0.9},
            },
            thresholds={"pass": 0.85, "warn": 0.7},
            status="pass",
        ),
        MetricResult(
            "detection",
            "fidelity",
            0.3,
            True,
            details={"auc": 0.85, "roc": {"fpr": grid, "tpr": [min(1, g**0.3) for g in grid]}},
            thresholds={"pass": 0.5, "warn": 0.2},
            status="warn",
        ),
        MetricResult(
            "missing_values",
            "fidelity",
            float("nan"),
            True,
            details={"error": "ValueError: <bad> input"},
        ),
        MetricResult(
            "tstr",
            "utility",
            0.81,
            True,
            details={"metric": "roc_auc", "tstr": [0.80, 0.82, 0.81], "trtr": [0.9, 0.91, 0.9]},
            bounds=None,
        ),
        MetricResult(
            "tstr_ratio",
            "utility",
            0.9,
            True,
            thresholds={"pass": 0.9, "warn": 0.75},
            status="pass",
        ),
        MetricResult(
            "dcr",
            "privacy",
            0.12,
            False,
            details={
                "histogram": {
                    "bins": np.linspace(0, 1, 21).tolist(),
                    "synthetic": list(range(20)),
                    "holdout": list(range(20, 0, -1)),
                },
                "percentiles": {
                    "synthetic": {"5": 0.01, "50": 0.1},
                    "holdout": {"5": 0.02, "50": 0.12},
                },
            },
            bounds=None,
        ),
        MetricResult(
            "exact_copies",
            "privacy",
            0.0,
            False,
            details={"count": 0},
            thresholds={"pass": 0.01, "warn": 0.05},
            status="pass",
        ),
        MetricResult(
            "membership_inference",
            "privacy",
            0.93,
            False,
            details={"auc": 0.93, "roc": {"fpr": grid, "tpr": [min(1, g**0.1) for g in grid]}},
            thresholds={"pass": 0.6, "warn": 0.75},
            status="fail",
        ),
    ]
    meta = {
        "rows": {"real": len(real), "synthetic": len(syn), "holdout": 100},
        "columns": all_cols,
        "kinds": {
            "x": "continuous",
            "count": "discrete",
            "age": "discrete",
            "color": "categorical",
            "flag": "boolean",
            "when": "datetime",
            EVIL: "categorical",
        },
        "target": "flag",
        "seed": 0,
        "seconds": {m.name: 0.1 for m in metrics},
        "synthset_version": "0.0.test",
    }
    return Report(
        metrics=metrics,
        meta=meta,
        real_sample=real if with_samples else None,
        synthetic_sample=syn if with_samples else None,
    )


@pytest.fixture
def report() -> Report:
    return make_report()
