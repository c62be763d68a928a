"""Built-in synthesizers; importing this module registers them."""

from synthset.synthesizers.audio import AudioSynthesizer
from synthset.synthesizers.base import Synthesizer
from synthset.synthesizers.ctgan import CTGAN
from synthset.synthesizers.gaussian_copula import GaussianCopula
from synthset.synthesizers.images import CGAN, DCGAN, WGANGP, ImageSynthesizer
from synthset.synthesizers.text import TextSynthesizer
from synthset.synthesizers.tvae import TVAE

__all__ = [
    "AudioSynthesizer",
    "CGAN",
    "CTGAN",
    "DCGAN",
    "TVAE",
    "WGANGP",
    "GaussianCopula",
    "ImageSynthesizer",
    "Synthesizer",
    "TextSynthesizer",
]
