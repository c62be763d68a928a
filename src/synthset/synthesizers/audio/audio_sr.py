"""``audio_sr``: waveform super-resolution (bandwidth extension) by ×2 or ×4.

After Kuleshov, Enam & Ermon (2017), "Audio Super Resolution using Neural Networks": the
low-rate clip is first interpolated back to the full rate with a band-limited (windowed-sinc)
filter, which restores the low band exactly and leaves the high band empty; a 1-D U-Net with
subpixel upsampling (:class:`~synthset.models.audio.unet1d.UNet1d`) then predicts the
residual — the missing high band and the interpolation's errors — which is added to it.

Training cuts random crops from the clean clips and degrades them on the device with the very
filter :func:`~synthset.evaluation.audio.restoration.degrade_lowpass` uses (scipy's
``resample_poly`` design, run as a strided ``conv1d``), so the model sees at fit time exactly
what it gets at transform time.

>>> sr = make_synthesizer("audio_sr", factor=2, epochs=50).fit(train)          # 16 kHz clips
>>> wide = sr.transform(narrow)                  # 8 kHz clips in, 16 kHz clips out
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError
from synthset.models.audio.unet1d import UNet1dConfig
from synthset.registry import register
from synthset.synthesizers.audio._restore import (
    RESTORE_CONSTRAINTS,
    RestorationSynthesizer,
    clips_output,
)
from synthset.synthesizers.base import Interval, Options
from synthset.training.callbacks import Callback


def resample_filter(factor: int) -> np.ndarray:
    """The anti-aliasing / interpolation FIR of scipy's ``resample_poly`` for a rate change by
    ``factor`` (Kaiser window, β = 5, half-length 10·factor, cutoff at the low Nyquist)."""
    from scipy.signal import firwin

    return firwin(20 * factor + 1, 1.0 / factor, window=("kaiser", 5.0)).astype(np.float32)


class PolyphaseResampler:
    """``resample_poly`` by an integer ``factor`` in torch, batched on the device.

    ``down(x)`` equals ``resample_poly(x, 1, factor)`` and ``up(x)`` equals
    ``resample_poly(x, factor, 1)`` (zero-padded edges), up to float rounding.
    """

    def __init__(self, factor: int, device: torch.device):
        self.factor = factor
        h = torch.from_numpy(resample_filter(factor)).to(device)
        self.half = (len(h) - 1) // 2
        self.kernel = h.flip(0)[None, None]  # conv1d correlates; the filter is symmetric anyway

    def down(self, x: Tensor) -> Tensor:
        """(B, T) → (B, ceil(T / factor))."""
        return F.conv1d(x[:, None], self.kernel, stride=self.factor, padding=self.half)[:, 0]

    def up(self, x: Tensor) -> Tensor:
        """(B, t) → (B, t · factor)."""
        b, t = x.shape
        z = x.new_zeros(b, t * self.factor)
        z[:, :: self.factor] = x
        return F.conv1d(z[:, None], self.kernel * self.factor, padding=self.half)[:, 0]


# the STFT loss weight by factor (None): chosen on clips held out from the training split
DEFAULT_STFT_WEIGHT = {2: 0.3, 4: 0.03}


@register("audio_sr")
class AudioSR(RestorationSynthesizer):
    """Audio super-resolution: restore the high band of low-passed, decimated clips.

    Args:
        factor: the rate ratio, 2 or 4 (8 kHz → 16 kHz is ``factor=2``).
        epochs: passes; a pass draws one random crop from every training clip.
        batch_size: crops per step.
        crop_seconds: length of the training crops (the network is fully convolutional, so
            ``transform`` takes clips of any length).
        width: channels of the top level of the U-Net, which runs at a quarter of the rate
            (the waveform folded into 4 phases); doubled per level, capped at ``2 · width``.
        depth: the U-Net's levels (each halves the rate).
        lr: peak Adam learning rate (one-cycle schedule).
        stft_weight: weight of the multi-resolution STFT loss beside the SNR waveform loss
            (more of it: a fuller high band and a lower LSD, at some cost in SNR); None: by
            factor, ``DEFAULT_STFT_WEIGHT`` (0.3 for ×2, less for ×4, where the invented high
            band is wider and a full one costs more SNR).
        validation_fraction: clips held out for early stopping on their SNR (0: none).
        max_seconds: wall-clock training budget. sample_batch_size: clips per batch in
            ``transform``. device, random_state, verbose, callbacks: as for every synthesizer.
    """

    _constraints = {
        **RESTORE_CONSTRAINTS,
        "factor": Options((2, 4)),
        "stft_weight": Interval(float, 0.0, none_ok=True),
    }

    def __init__(
        self,
        *,
        factor: int = 2,
        epochs: int = 60,
        batch_size: int = 16,
        crop_seconds: float = 0.25,
        width: int = 32,
        depth: int = 3,
        lr: float = 2e-3,
        stft_weight: float | None = None,
        validation_fraction: float = 0.0,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------ network and data
    def _net_config(self, sample_rate: int) -> UNet1dConfig:
        return UNet1dConfig(
            in_channels=1,
            out_channels=1,
            width=self.width,
            depth=self.depth,
            stride=2,
            kernel_size=7,
            max_width=2 * self.width,
            dilations=[1, 2, 4],
            phases=4,
        )

    def _stft_weight(self) -> float:
        if self.stft_weight is not None:
            return float(self.stft_weight)
        return DEFAULT_STFT_WEIGHT[self.factor]

    def _check_params(self, data: Audio) -> None:
        low = data.sample_rate // self.factor
        if data.sample_rate % self.factor or low < 1_000:
            raise ConfigError(
                f"`factor`={self.factor} does not divide {data.sample_rate} Hz into a rate of at "
                "least 1 kHz; use clips whose rate is a multiple of the factor"
            )
        self.resampler_ = PolyphaseResampler(self.factor, self.device_)

    def _degrade(self, clean: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
        rs = self.resampler_
        upsampled = rs.up(rs.down(clean))[:, : clean.shape[1]]
        return upsampled[:, None], None

    def _estimate(self, net_out: Tensor, inputs: Tensor) -> Tensor:
        return inputs[:, 0] + net_out[:, 0]

    def _model_extra(self) -> dict[str, Any]:
        return {"factor": self.factor}

    def _set_model_extra(self, state: dict[str, Any]) -> None:
        if int(state["factor"]) != self.factor:
            raise DataError(f"the state was saved for factor {state['factor']}, not {self.factor}")
        self.resampler_ = PolyphaseResampler(self.factor, self.device_)

    # ------------------------------------------------------------------ restoring
    @property
    def low_rate(self) -> int:
        """The sample rate of the clips ``transform`` expects (the full rate / ``factor``)."""
        self._check_is_fitted()
        return self.spec_.sample_rate // self.factor

    def transform(self, audio: Any, *, seed: int | None = None) -> Audio:
        """Restore the high band of clips.

        Args:
            audio: clips at the low rate (``spec_.sample_rate / factor``, e.g. the output of
                :func:`~synthset.evaluation.audio.restoration.degrade_lowpass`), which are
                interpolated first; or band-limited clips already at the full rate.
            seed: unused (the restoration is deterministic); accepted for symmetry with the
                other synthesizers.

        Returns:
            Audio at ``spec_.sample_rate``, ``factor ×`` as long as low-rate input (the same
            length as full-rate input), labels kept.
        """
        clips = self._coerce_clips(audio)
        full = self.spec_.sample_rate
        x = clips.to_tensor(self.device_)
        if clips.sample_rate == self.low_rate:
            with torch.no_grad():
                x = self.resampler_.up(x)
        elif clips.sample_rate != full:
            raise DataError(
                f"{self.name} was fitted at {full} Hz with factor {self.factor}: give clips at "
                f"{self.low_rate} Hz (to upsample) or {full} Hz (band-limited), got "
                f"{clips.sample_rate} Hz; resample them with Audio.resample({self.low_rate})"
            )
        out = self._run(x[:, None])
        return clips_output(out, clips, full, f"{self.name} ×{self.factor}")
