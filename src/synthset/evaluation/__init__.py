"""Evaluation of synthetic data: fidelity, utility and privacy metrics gathered in a Report."""

from synthset.evaluation.base import (
    EvalContext,
    MetricResult,
    list_metrics,
    register_metric,
)
from synthset.evaluation.evaluate import evaluate
from synthset.evaluation.images.context import ImageEvalContext
from synthset.evaluation.report import Report

__all__ = [
    "EvalContext",
    "ImageEvalContext",
    "MetricResult",
    "Report",
    "evaluate",
    "list_metrics",
    "register_metric",
]
