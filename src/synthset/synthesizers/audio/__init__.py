"""Audio synthesizers; importing this package registers them."""

from synthset.synthesizers.audio._base import AudioSynthesizer, SpectrogramSynthesizer

__all__ = ["AudioSynthesizer", "SpectrogramSynthesizer"]
