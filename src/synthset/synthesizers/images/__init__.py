"""Image synthesizers; importing this package registers them."""

from synthset.synthesizers.images._base import ImageSynthesizer
from synthset.synthesizers.images.dcgan import CGAN, DCGAN, WGANGP
from synthset.synthesizers.images.stylegan import StyleGAN
from synthset.synthesizers.images.vae import CVAE, BetaVAE, ConvVAESynthesizer

__all__ = [
    "CGAN",
    "CVAE",
    "DCGAN",
    "WGANGP",
    "BetaVAE",
    "ConvVAESynthesizer",
    "ImageSynthesizer",
    "StyleGAN",
]
