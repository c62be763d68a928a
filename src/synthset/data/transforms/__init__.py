"""Reversible, vectorised encoders for tables."""
