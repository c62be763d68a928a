"""Text synthesizers; importing this package registers them."""

from synthset.synthesizers.text._base import TextSynthesizer
from synthset.synthesizers.text.dialogue import Dialogue
from synthset.synthesizers.text.eda import EDA
from synthset.synthesizers.text.gpt import GPT
from synthset.synthesizers.text.smollm import SmolLM2
from synthset.synthesizers.text.text_gan import TextGAN
from synthset.synthesizers.text.text_vae import TextVAE

__all__ = ["EDA", "GPT", "Dialogue", "SmolLM2", "TextGAN", "TextSynthesizer", "TextVAE"]
