"""Tests of the audio synthesizers, and the tiny clips they learn from."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 8_000
LENGTH = 4_000  # 0.5 s
TONES = {"low": 400.0, "high": 2_000.0}


def make_tones(n: int = 16, seed: int = 0, labelled: bool = True):
    """``n`` clips of 0.5 s at 8 kHz: class "low" is a 400 Hz tone, "high" a 2 kHz tone (each
    detuned by a few percent, with a random phase, a fade-in and a little noise)."""
    from synthset.data.audio import Audio

    rng = np.random.default_rng(seed)
    names = np.array(list(TONES) * (n // 2 + 1))[:n]
    freq = np.array([TONES[c] for c in names]) * (1.0 + 0.03 * rng.standard_normal(n))
    t = np.arange(LENGTH) / SAMPLE_RATE
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    env = np.minimum(1.0, t / 0.05)[None]  # 50 ms fade-in
    x = 0.5 * env * np.sin(2 * np.pi * freq[:, None] * t[None] + phase)
    x = x + 0.01 * rng.standard_normal(x.shape)
    return Audio.from_arrays(
        x.astype(np.float32), SAMPLE_RATE, names if labelled else None, name="tones"
    )


def own_band_share(waveforms: np.ndarray, tone: str, n_mels: int = 32) -> float:
    """The share of clips whose mel energy (averaged over time) is higher around ``tone``'s
    frequency than around the other tone's."""
    import torch

    from synthset.data.transforms.mel import MelSpectrogram, hz_to_mel

    mel = MelSpectrogram(SAMPLE_RATE, n_mels=n_mels)
    energy = mel.mel(torch.from_numpy(waveforms)).mean(-1)  # (N, n_mels)
    top = float(hz_to_mel(torch.tensor(SAMPLE_RATE / 2)))
    bins = {
        c: int(float(hz_to_mel(torch.tensor(f))) / top * (n_mels + 1)) - 1 for c, f in TONES.items()
    }
    other = next(c for c in TONES if c != tone)

    def around(b: int) -> torch.Tensor:
        return energy[:, max(b - 2, 0) : b + 3].sum(1)

    return float((around(bins[tone]) > around(bins[other])).float().mean())
