"""Audio synthesizers; importing this package registers them."""

from synthset.synthesizers.audio._base import AudioSynthesizer, SpectrogramSynthesizer
from synthset.synthesizers.audio.classic import AudioAugment

__all__ = ["AudioAugment", "AudioSynthesizer", "SpectrogramSynthesizer"]
