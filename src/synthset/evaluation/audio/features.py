"""Audio embeddings for the evaluation metrics, computed in batches with torch (no per-clip loop).

Two embeddings of a clip, named as the metrics name them:

* ``stats`` (:func:`spectral_stats`): fixed, nothing trained. The mean and the standard
  deviation over time of each log-mel band, plus the first ``N_CEPSTRA`` coefficients of the
  orthonormal DCT-II of the mean log-mel (MFCC-like: the spectral envelope). 2 · n_mels +
  ``N_CEPSTRA`` numbers, comparable across runs and datasets.
* ``domain`` (:class:`DomainAudioFeatures`): the penultimate layer of the small log-mel CNN of
  :mod:`.classifier`, trained on the real labelled clips (a stratified 80%, the other 20%
  give its held-out accuracy). It sees what separates the classes of *this* dataset. Real
  clips without labels (or a single class) cannot train it: the ``stats`` embedding is used
  instead, and the details say so.

:func:`log_mel` and :func:`mean_power_spectrum` are the shared spectral front end (the
:class:`~synthset.data.transforms.mel.MelSpectrogram` of the real clips' sample rate).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from synthset.data._split import split_indices
from synthset.data.transforms.mel import MelSpectrogram
from synthset.errors import DataError
from synthset.evaluation.audio.classifier import (
    AudioClassifierConfig,
    AudioCNN,
    accuracy,
    embed,
    train_audio_classifier,
)
from synthset.utils import cpu_threads, default_cpu_threads, derive_seed

N_MELS = 64
N_CEPSTRA = 20
BATCH = 256  # clips per STFT batch
DOMAIN_HELD_OUT = 0.2
POWER_FLOOR = 1e-10  # −100 dB: mean power spectra are floored before the log


def make_mel(sample_rate: int) -> MelSpectrogram:
    """The evaluation's mel front end: ~64 ms frames, hop 16 ms, 64 bands (fewer when the FFT
    is too short for them)."""
    mel = MelSpectrogram(sample_rate)
    return MelSpectrogram(sample_rate, n_mels=min(N_MELS, mel.n_fft // 2 + 1))


def _threads(device: torch.device) -> int | None:
    return default_cpu_threads() if device.type == "cpu" else None


@torch.no_grad()
def log_mel(
    waveforms: np.ndarray, mel: MelSpectrogram, device: torch.device, *, batch: int = BATCH
) -> torch.Tensor:
    """Natural-log mel magnitudes (N, n_mels, frames) of float32 waveforms N×T, on the CPU."""
    out = []
    with cpu_threads(_threads(device)):
        for i in range(0, len(waveforms), batch):
            x = torch.from_numpy(np.ascontiguousarray(waveforms[i : i + batch])).to(device)
            out.append(mel.log_mel(x).float().cpu())
    if not out:
        raise DataError("no clips to compute spectrograms of")
    return torch.cat(out)


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """The orthonormal DCT-II as a (n_out, n_in) float32 matrix (rows: the first n_out basis
    vectors), so ``x @ D.T`` is ``scipy.fft.dct(x, norm="ortho")[..., :n_out]``."""
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    n = torch.arange(n_in, dtype=torch.float64)[None, :]
    d = torch.cos(math.pi / n_in * (n + 0.5) * k) * math.sqrt(2.0 / n_in)
    d[0] /= math.sqrt(2.0)
    return d.float()


def spectral_stats(log_mel: torch.Tensor, n_cepstra: int = N_CEPSTRA) -> np.ndarray:
    """The ``stats`` embedding (N, 2 · n_mels + n_cepstra) of log-mel spectrograms
    (N, n_mels, frames): per band mean and std over frames, then the DCT of the mean."""
    if log_mel.ndim != 3:
        raise DataError(f"expected log-mel spectrograms (N, n_mels, frames), got {log_mel.shape}")
    x = log_mel.double()
    mean = x.mean(2)
    std = x.std(2, unbiased=False)
    n_cep = min(n_cepstra, x.shape[1])
    cep = mean @ dct_matrix(n_cep, x.shape[1]).double().T
    return torch.cat([mean, std, cep], dim=1).float().numpy()


@torch.no_grad()
def mean_power_spectrum(
    waveforms: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
    mel: MelSpectrogram,
    device: torch.device,
    *,
    batch: int = BATCH,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean STFT power per group (e.g. per class), over every frame of every clip of the group.

    Args:
        waveforms: float32 N×T.
        groups: int group of each clip in [0, n_groups).
        n_groups: number of groups.
        mel: whose STFT (n_fft, hop, window) is used.
        device: where the STFTs run.

    Returns:
        ``(power, counts)``: float64 (n_groups, n_fft // 2 + 1) mean power (0 for an empty
        group) and the clips per group.
    """
    n_bins = mel.n_fft // 2 + 1
    sums = torch.zeros(n_groups, n_bins, dtype=torch.float64)
    g_all = torch.as_tensor(np.asarray(groups), dtype=torch.int64)
    with cpu_threads(_threads(device)):
        for i in range(0, len(waveforms), batch):
            x = torch.from_numpy(np.ascontiguousarray(waveforms[i : i + batch])).to(device)
            power = mel.magnitude(x).double().square().mean(2).cpu()  # (B, bins)
            sums.index_add_(0, g_all[i : i + batch], power)
    counts = torch.bincount(g_all, minlength=n_groups).double()
    power = sums / counts.clamp_min(1.0)[:, None]
    return power.numpy(), counts.numpy().astype(np.int64)


def power_db(power: np.ndarray) -> np.ndarray:
    """10 · log10 of a power spectrum, floored at ``POWER_FLOOR`` (−100 dB)."""
    return 10.0 * np.log10(np.maximum(power, POWER_FLOOR))


def standardiser(
    reference: np.ndarray, *, per_dimension: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of ``reference``'s dimensions.

    ``per_dimension=True``: each dimension's own standard deviation (a scale of 0 becomes 1),
    so that dimensions in different units count alike in Euclidean distances. False: one
    scale for all, the root mean variance, which keeps the geometry a network learned (a
    dimension nearly constant on the real clips is not blown up).
    """
    mu = reference.mean(0)
    if not per_dimension:
        rms = float(np.sqrt(reference.var(0).mean()))
        return mu, np.full_like(mu, rms if rms > 1e-6 else 1.0)
    sd = reference.std(0)
    return mu, np.where(sd > 1e-6, sd, 1.0)


class DomainAudioFeatures:
    """The ``domain`` embedding: a log-mel CNN trained on the real labelled clips.

    Args:
        config: the CNN's shape and schedule.
        seed: the split, initial weights and batches.
        device: where it trains and runs.

    Attributes (after :meth:`fit`):
        model_: the trained :class:`AudioCNN`, or None when the clips cannot train it.
        held_out_accuracy_: its accuracy on the 20% of the real clips it did not train on.
        info_: what a metric's details say about it.
    """

    def __init__(
        self,
        config: AudioClassifierConfig | None = None,
        *,
        seed: int | None = 0,
        device: torch.device | str = "cpu",
    ):
        self.config = config or AudioClassifierConfig()
        self.seed = seed
        self.device = torch.device(device)
        self.model_: AudioCNN | None = None
        self.held_out_accuracy_: float | None = None
        self.info_: dict[str, Any] = {}

    def fit(self, log_mel: torch.Tensor, labels: np.ndarray | None, n_classes: int):
        """Train on (N, n_mels, frames) log-mel spectrograms with their class codes; without
        labels, or with fewer than two classes present, leave ``model_`` as None."""
        present = 0 if labels is None else len(np.unique(labels))
        if labels is None or present < 2 or len(labels) < 8:
            why = (
                "the real clips have no labels"
                if labels is None
                else f"the real clips hold {present} class(es) and {len(labels)} clips"
            )
            self.info_ = {
                "extractor": "spectral statistics (fallback)",
                "note": f"{why}, so no classifier was trained; the domain embedding is the "
                "spectral-statistics embedding",
            }
            return self
        # stratified: every class gives its share of the held-out clips
        train, test = split_indices(
            len(labels),
            labels,
            n_classes,
            1.0 - DOMAIN_HELD_OUT,
            seed=derive_seed(self.seed, 51),
            stratify=True,
            what="real clips",
        )
        model = train_audio_classifier(
            log_mel[torch.from_numpy(train)],
            labels[train],
            n_classes,
            self.config,
            seed=derive_seed(self.seed, 52),
            device=self.device,
        )
        self.model_ = model
        self.held_out_accuracy_ = accuracy(model, log_mel[torch.from_numpy(test)], labels[test])
        counts = np.bincount(labels[test], minlength=n_classes)
        self.info_ = {
            "extractor": "domain classifier (log-mel CNN trained on the real clips)",
            "held_out_accuracy": self.held_out_accuracy_,
            "chance_accuracy": float(counts.max() / counts.sum()),
            "trained_on": len(train),
            "dim": self.config.feature_dim,
        }
        return self

    def __call__(self, log_mel: torch.Tensor) -> np.ndarray:
        """(N, feature_dim) embeddings; the ``stats`` embedding when no model was trained."""
        if self.model_ is None:
            return spectral_stats(log_mel)
        return embed(self.model_, log_mel)
