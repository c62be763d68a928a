"""evaluate(): input checks, metric selection, statuses, and the report's JSON."""

from __future__ import annotations

import json
import math

import pytest

from synthset import evaluate
from synthset.errors import ConfigError, DataError
from synthset.evaluation import MetricResult, list_metrics
from tests.conftest import make_tiny_frame


def test_every_family_has_metrics():
    for family in ("fidelity", "utility", "privacy"):
        assert list_metrics(family), family


def test_mismatched_columns_are_named():
    real = make_tiny_frame()
    with pytest.raises(DataError, match="lacks columns \\['x'\\]"):
        evaluate(real, real.drop(columns="x"))
    with pytest.raises(DataError, match="extra"):
        evaluate(real, real.assign(extra=1))


def test_unknown_target_and_metric():
    real = make_tiny_frame()
    with pytest.raises(ConfigError, match="target"):
        evaluate(real, real, target="nope")
    with pytest.raises(ConfigError, match="unknown metric"):
        evaluate(real, real, metrics=["nope"])


def test_selection_and_json_round_trip():
    real = make_tiny_frame(200, seed=0)
    report = evaluate(real, make_tiny_frame(200, seed=1), metrics="fidelity", seed=0)
    assert {m.family for m in report.metrics} == {"fidelity"}
    data = json.loads(report.to_json())
    assert [m["name"] for m in data["metrics"]] == [m.name for m in report.metrics]
    assert data["meta"]["rows"] == {"real": 200, "synthetic": 200, "holdout": None}
    for m in report.metrics:
        if m.bounds is not None and not math.isnan(m.value):
            assert m.bounds[0] - 1e-9 <= m.value <= m.bounds[1] + 1e-9, m.name


def test_status_follows_thresholds():
    r = MetricResult("x", "fidelity", 0.95, True)
    r.judge(0.9, 0.8)
    assert r.status == "pass"
    r = MetricResult("y", "privacy", 0.3, False)
    r.judge(0.1, 0.2)
    assert r.status == "fail"
    r = MetricResult("z", "privacy", 0.15, False)
    r.judge(0.1, 0.2)
    assert r.status == "warn"
