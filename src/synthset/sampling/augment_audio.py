"""``augment()`` for audio: real clips plus synthetic ones, to expand or balance classes.

* ``balance_on="label"`` fills every class up to the largest one with class-conditional samples
  (``audio_augment``, or any audio synthesizer fitted on labelled clips that draws a class);
* ``n_per_class=k`` adds ``k`` synthetic clips to every class (expansion of small datasets);
* ``n_new`` / ``ratio`` add that many clips (following the class frequencies for a conditional
  model, unlabelled for an unconditional one on unlabelled data).

The result is one :class:`~synthset.data.audio.Audio` whose ``source`` marks each clip
``"real"`` or ``"synthetic"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthset.data.audio import Audio, as_audio, concat_audio
from synthset.data.audio_io import AUDIO_SUFFIXES
from synthset.errors import ConfigError, NotFittedError
from synthset.utils import derive_seed

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

REAL, SYNTHETIC = "real", "synthetic"


def is_audio(data: Any) -> bool:
    """Whether ``augment`` should treat ``data`` as audio: an Audio (anything with
    ``modality == "audio"``), an audio file, or a folder holding audio files (at its top level
    or in its class sub-folders)."""
    if getattr(data, "modality", None) == "audio":
        return True
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        p = Path(data.decode() if isinstance(data, bytes) else data)
        if p.is_file():
            return p.suffix.lower() in AUDIO_SUFFIXES
        if p.is_dir():
            for q in p.iterdir():
                if q.is_file() and q.suffix.lower() in AUDIO_SUFFIXES:
                    return True
                if q.is_dir() and any(
                    r.is_file() and r.suffix.lower() in AUDIO_SUFFIXES for r in q.iterdir()
                ):
                    return True
    return False


def augment_audio(
    data: Any,
    synth: Synthesizer,
    *,
    n_new: int | None = None,
    ratio: float | None = None,
    balance_on: str | None = None,
    n_per_class: int | None = None,
    seed: int | None = None,
    fit: bool | None = None,
) -> Audio:
    """Real clips followed by synthetic ones (see the module docstring).

    Args:
        data: the real clips (Audio, or a folder / file path).
        synth: an audio synthesizer (fitted on ``data`` first unless it is fitted already).
        n_new, ratio, balance_on, n_per_class: exactly one says how many clips to add (checked
            by :func:`~synthset.sampling.augment.augment`).
        seed: makes the added clips reproducible.
        fit: ``None`` fits the synthesizer unless it is fitted; ``True`` always; ``False`` never.

    Returns:
        Audio with ``source`` set: the real clips unchanged, then the synthetic ones.

    Raises:
        ConfigError: for a bad option or a synthesizer that cannot serve the request.
        NotFittedError: when ``fit=False`` and the synthesizer is not fitted.
    """
    audio = as_audio(data)
    modality = getattr(synth, "modality", "table")
    if modality != "audio":
        raise ConfigError(
            f"{synth.name} synthesizes {modality}s; for audio use audio_augment or another "
            "audio synthesizer"
        )
    if fit not in (None, True, False):
        raise ConfigError(f"`fit` must be None, True or False, got {fit!r}")
    wants_classes = balance_on is not None or n_per_class is not None
    labelled = audio.labels is not None
    if balance_on is not None and balance_on != audio.spec.label_name:
        # checked before a potentially long fit
        raise ConfigError(
            f"clips can only be balanced on their label {audio.spec.label_name!r}, got "
            f"{balance_on!r}"
        )
    if wants_classes and not labelled:
        raise ConfigError(
            "balancing or expanding classes needs labelled clips; these have no labels "
            "(Audio.from_arrays(..., labels=...), or a folder of class sub-folders)"
        )
    if fit or (fit is None and not synth.is_fitted):
        synth.fit(audio)
    elif not synth.is_fitted:
        raise NotFittedError(
            f"the {type(synth).__name__} is not fitted and fit=False; fit it first or pass "
            "fit=None to fit it on the clips"
        )
    spec = synth.spec_
    if (spec.sample_rate, spec.length) != (audio.spec.sample_rate, audio.spec.length):
        raise ConfigError(
            f"the synthesizer was fitted on clips of {spec.length} samples at "
            f"{spec.sample_rate} Hz but these are {audio.spec.length} at "
            f"{audio.spec.sample_rate} Hz; refit it (fit=True) or pass matching clips"
        )
    conditional = bool(getattr(synth, "n_classes_", 0))
    if labelled and spec.classes != audio.spec.classes:
        raise ConfigError(
            f"the synthesizer knows classes {spec.classes}, the clips {audio.spec.classes}; "
            "refit it (fit=True) on these clips"
        )
    if not wants_classes and labelled and not conditional:
        raise ConfigError(
            f"this {synth.name} generates unlabelled clips, so they cannot join labelled data; "
            "fit a class-conditional synthesizer on the labelled clips, or drop the labels"
        )
    if wants_classes:
        if not conditional:
            raise ConfigError(
                "balancing or expanding classes needs a class-conditional synthesizer fitted "
                f"on labelled clips (audio_augment, specgan, spec_vae…); {synth.name} cannot "
                "draw a given class"
            )
        counts = np.bincount(audio.labels, minlength=spec.n_classes)
        wanted = (
            counts.max() - counts if balance_on is not None else np.full_like(counts, n_per_class)
        )
        parts = [
            # one child seed per class: a class's clips do not depend on the other classes
            synth.sample(int(k), seed=derive_seed(seed, c), conditions={spec.label_name: c})
            for c, k in enumerate(wanted)
            if k > 0
        ]
    else:
        n = n_new if n_new is not None else int(round(ratio * len(audio)))
        if n < 1:
            raise ConfigError(
                f"ratio={ratio} × {len(audio)} clips rounds to 0; use a larger `ratio` or "
                "pass `n_new`"
            )
        parts = [synth.sample(n, seed=seed)]
    real = Audio(
        audio.waveforms,
        audio.labels,
        audio.spec,
        name=audio.name,
        source=np.full(len(audio), REAL, dtype=object),
    )
    fakes = []
    for p in parts:
        if labelled and p.labels is None:
            raise ConfigError(
                f"{synth.name} generates unlabelled clips, so they cannot join labelled data; "
                "fit a class-conditional synthesizer on the labelled clips, or drop the labels"
            )
        fakes.append(
            Audio(
                p.waveforms,
                p.labels if labelled else None,
                audio.spec,
                source=np.full(len(p), SYNTHETIC, dtype=object),
            )
        )
    return concat_audio([real, *fakes])
