"""Audio synthesizers; importing this package registers them."""

from synthset.synthesizers.audio._base import AudioSynthesizer, SpectrogramSynthesizer
from synthset.synthesizers.audio.audio_inpaint import AudioInpaint
from synthset.synthesizers.audio.audio_sr import AudioSR
from synthset.synthesizers.audio.classic import AudioAugment
from synthset.synthesizers.audio.spec_vae import SpectrogramVAE
from synthset.synthesizers.audio.specgan import SpecGAN

__all__ = [
    "AudioAugment",
    "AudioInpaint",
    "AudioSR",
    "AudioSynthesizer",
    "SpecGAN",
    "SpectrogramVAE",
    "SpectrogramSynthesizer",
]
