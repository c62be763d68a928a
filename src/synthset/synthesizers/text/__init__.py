"""Text synthesizers; importing this package registers them."""

from synthset.synthesizers.text._base import TextSynthesizer

__all__ = ["TextSynthesizer"]
