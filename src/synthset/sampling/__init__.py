"""Sampling helpers shared by synthesizers: condition checks and ``augment``."""

from synthset.sampling.augment import augment
from synthset.sampling.conditions import MISSING_CODE, validate_conditions

__all__ = ["MISSING_CODE", "augment", "validate_conditions"]
