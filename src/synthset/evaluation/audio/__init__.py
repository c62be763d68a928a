"""Audio evaluation: embeddings, a log-mel classifier, and the metrics ``evaluate()`` runs on
:class:`~synthset.data.audio.Audio`.

>>> from synthset.evaluation.audio import AudioEvalContext
>>> ctx = AudioEvalContext(real, fake, holdout, seed=0)
>>> ctx.features("stats", "synthetic").shape          # (N, 2 · 64 + 20)

The registered metrics (``frechet_audio_stats``, ``coverage_audio``, ``lsd_mean_spectrum``,
``cas_audio``, ``audio_dcr`` ...) live in :mod:`.fidelity`, :mod:`.utility` and
:mod:`.privacy`; importing this package registers them (in that order), then the restoration
scores and baselines of :mod:`.restoration` (``evaluate_restoration``).
"""

import importlib

from synthset.evaluation.audio.classifier import (
    AudioClassifierConfig,
    AudioCNN,
    train_audio_classifier,
)
from synthset.evaluation.audio.context import EMBEDDINGS, AudioEvalContext, align_audio
from synthset.evaluation.audio.features import (
    DomainAudioFeatures,
    log_mel,
    mean_power_spectrum,
    spectral_stats,
)
from synthset.evaluation.audio.restoration import evaluate_restoration

# Register the audio metrics: fidelity, then utility, then privacy (the report's order).
for _module in ("fidelity", "utility", "privacy", "restoration"):
    importlib.import_module(f"synthset.evaluation.audio.{_module}")

__all__ = [
    "EMBEDDINGS",
    "AudioCNN",
    "AudioClassifierConfig",
    "AudioEvalContext",
    "DomainAudioFeatures",
    "align_audio",
    "evaluate_restoration",
    "log_mel",
    "mean_power_spectrum",
    "spectral_stats",
    "train_audio_classifier",
]
