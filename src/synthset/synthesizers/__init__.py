"""Built-in synthesizers; importing this module registers them."""

from synthset.synthesizers.base import Synthesizer
from synthset.synthesizers.ctgan import CTGAN
from synthset.synthesizers.gaussian_copula import GaussianCopula
from synthset.synthesizers.tvae import TVAE

__all__ = ["CTGAN", "TVAE", "GaussianCopula", "Synthesizer"]
