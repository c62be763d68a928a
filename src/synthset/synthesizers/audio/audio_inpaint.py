"""``audio_inpaint``: fill missing stretches (20–200 ms) of clips.

The network sees two channels — the clip with its gap filled by linear prediction (below) and
the mask of missing samples — and writes only the masked samples:
``out = x · (1 − m) + (lpc · (1 + g) + r) · m``, with a smooth gain envelope ``g`` (its first
output channel averaged over 10 ms: how far to trust the extrapolation) and a residual ``r``
(its second). It is a gated (Dauphin et al. 2017; Yu et al. 2019's gated convolutions for
inpainting) 1-D U-Net with a stride of 4 per level and dilated residual blocks at the bottom, so
its receptive field spans far more than the longest gap (over 1 s at 16 kHz with the defaults)
and a gap is filled from the context on both sides.

The gap arrives pre-filled by linear prediction (the torch twin of
:func:`~synthset.evaluation.audio.restoration.fill_lpc`, order ``lpc_order`` = 128 fitted on
``lpc_context`` = 2048 samples each side: autoregressive extrapolation from both sides,
cross-faded; :func:`~synthset.evaluation.audio.restoration.evaluate_restoration` reports this
very fill as the ``lpc128`` baseline) and the network learns a correction to it; its output
layer starts at zero, so an untrained model is exactly that baseline.

Training cuts random crops from the clean clips and punches one gap of a random length from
``gap_ms`` into each on the device every step, placed as
:func:`~synthset.evaluation.audio.restoration.make_gaps` places them; the loss is the negative
SNR inside the gap (per crop, in dB, as the evaluation reports it) plus a small multi-resolution
STFT loss of the whole crop. A ``validation_fraction`` of the clips is held out: the SNR in
fixed gaps of those clips is measured every epoch (and before the first step) and the best
weights are kept — early stopping, so the fit does not end below its pre-fill on those clips.
They share the training clips' speakers, though: on new voices the correction can still do
worse than its pre-fill.

On the noisy, reverberant ``spoken_digits`` clips the gap content is barely predictable (LPC
scores about 1 dB SNR in 100 ms gaps). In CPU-sized fits the learned correction fills gaps
with the right spectral level (a far lower LSD than every classical fill) but loses SNR to
the ``lpc128`` pre-fill on held-out voices: see ``benchmarks/results/audio_restoration.md``.

>>> fill = make_synthesizer("audio_inpaint", gap_ms=(20, 200), epochs=50).fit(train)
>>> fixed = fill.transform(broken, mask)                     # mask: bool N×T, True = missing
>>> fixed = fill.transform(broken, [[(0.30, 0.41)], [(0.5, 0.6), (0.8, 0.85)]])   # seconds
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from synthset.data.audio import Audio
from synthset.errors import ConfigError, DataError
from synthset.evaluation.audio.restoration import (
    LPC_CONTEXT,
    LPC_ORDER,
    find_gaps,
    gap_range,
    make_gaps,
)
from synthset.models.audio.unet1d import UNet1dConfig
from synthset.registry import register
from synthset.synthesizers.audio._restore import (
    RESTORE_CONSTRAINTS,
    RestorationSynthesizer,
    clips_output,
)
from synthset.synthesizers.base import Anything, Boolean, Interval
from synthset.training.callbacks import Callback


@register("audio_inpaint")
class AudioInpaint(RestorationSynthesizer):
    """Audio inpainting: fill gaps of clips from their context (LPC fill + a learned
    correction).

    Args:
        gap_ms: gap lengths drawn in training, a (low, high) range in ms (or one length).
        epochs: passes; a pass draws one random crop (with one gap) from every training clip.
        batch_size: crops per step.
        crop_seconds: length of the training crops (clipped to the clip length); it should
            leave context on both sides of the longest gap.
        width: channels of the top level of the U-Net, which runs at a quarter of the rate
            (the waveform folded into 4 phases); doubled per level, capped at ``4 · width``.
        depth: the U-Net's levels (each divides the rate by 4).
        lr: peak Adam learning rate (one-cycle schedule).
        stft_weight: weight of the multi-resolution STFT loss beside the SNR loss in the gap
            (more of it: fuller spectra in the gap, a lower LSD, but a lower SNR).
        lpc_order, lpc_context: the linear-prediction pre-fill: AR order and the samples it
            is fitted on each side of a gap.
        validation_fraction: clips held out of training for early stopping on the SNR in
            their gaps (0: none, train on all and keep the last weights).
        limit_energy: cap the fill's energy, per 10 ms frame, at the loudest 10 ms frame of the
            100 ms of context on either side of the gap (or at the pre-fill's own energy where
            that is higher), as packet-loss concealment does: a correction learned on other
            voices cannot then put loud sound into a gap in a quiet passage.
        max_seconds, sample_batch_size, device, random_state, verbose, callbacks: as for
            :class:`~synthset.synthesizers.audio.audio_sr.AudioSR`.
    """

    _constraints = {
        **RESTORE_CONSTRAINTS,
        "gap_ms": Anything(),
        "lpc_order": Interval(int, 1),
        "lpc_context": Interval(int, 2),
        "limit_energy": Boolean(),
    }

    def __init__(
        self,
        *,
        gap_ms: tuple[float, float] | float = (20.0, 200.0),
        epochs: int = 60,
        batch_size: int = 8,
        crop_seconds: float = 1.0,
        width: int = 16,
        depth: int = 3,
        lr: float = 1e-3,
        stft_weight: float = 0.01,
        lpc_order: int = 128,
        lpc_context: int = 2048,
        validation_fraction: float = 0.1,
        limit_energy: bool = True,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------ network and data
    def _validate_params(self) -> None:
        super()._validate_params()
        gap_range(self.gap_ms)
        if self.lpc_context <= self.lpc_order:
            raise ConfigError(
                f"`lpc_context` ({self.lpc_context}) must exceed `lpc_order` ({self.lpc_order}): "
                "the AR model is fitted on that many samples each side of a gap"
            )

    def _net_config(self, sample_rate: int) -> UNet1dConfig:
        return UNet1dConfig(
            in_channels=2,
            out_channels=2,
            width=self.width,
            depth=self.depth,
            stride=4,
            kernel_size=7,
            max_width=4 * self.width,
            dilations=[1, 2, 4, 8],
            gated=True,
            phases=4,
        )

    def _gap_samples(self, sample_rate: int) -> tuple[int, int]:
        lo, hi = gap_range(self.gap_ms)
        lo_n = max(1, round(lo * sample_rate / 1000))
        return lo_n, max(lo_n, round(hi * sample_rate / 1000))

    def _check_params(self, data: Audio) -> None:
        crop = self._crop_length(data.spec)
        _, hi = self._gap_samples(data.sample_rate)
        if hi >= crop:
            raise ConfigError(
                f"`gap_ms` up to {gap_range(self.gap_ms)[1]:g} ms does not fit in training crops "
                f"of {1000 * crop / data.sample_rate:.0f} ms; raise `crop_seconds` (the clips "
                f"last {1000 * data.spec.duration:.0f} ms) or shorten the gaps"
            )

    def _degrade(self, clean: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
        b, length = clean.shape
        dev = clean.device
        lo, hi = self._gap_samples(self.spec_.sample_rate)
        gap = torch.randint(lo, hi + 1, (b, 1), generator=gen, device=dev)
        # placed as make_gaps places them: in the middle three quarters of the room left
        room = length - gap
        u = torch.rand(b, 1, generator=gen, device=dev)
        start = room // 8 + (u * (room - 2 * (room // 8) + 1)).long()
        t = torch.arange(length, device=dev)
        mask = (t >= start) & (t < start + gap)
        clip = torch.arange(b, device=dev)
        gaps = (clip, start[:, 0], start[:, 0] + gap[:, 0])
        return self._inputs(clean, mask, gaps, steps=hi), mask

    def _inputs(
        self, wave: Tensor, mask: Tensor, gaps: tuple[Tensor, Tensor, Tensor], steps: int
    ) -> Tensor:
        """The network input (B, 2, L): the clip with its gaps filled by linear prediction,
        and the mask."""
        zeroed = torch.where(mask, torch.zeros_like(wave), wave)
        filled = lpc_fill(
            zeroed, *gaps, steps=steps, order=self.lpc_order, context=self.lpc_context
        )
        return torch.stack([filled, mask.to(wave.dtype)], dim=1)

    def _estimate(self, net_out: Tensor, inputs: Tensor) -> Tensor:
        """In the gap: the pre-fill times a learned, smooth gain envelope (1 + out₀ averaged
        over 10 ms) plus a learned residual out₁; both start at zero, so the untrained model
        is the pre-fill itself."""
        missing = inputs[:, 1] > 0.5
        k = 2 * (self.spec_.sample_rate // 200) + 1  # the gain: a 10 ms moving average
        gain = F.avg_pool1d(net_out[:, :1], k, 1, k // 2, count_include_pad=False)[:, 0]
        fill = inputs[:, 0] * (1.0 + gain) + net_out[:, 1]
        if getattr(self, "limit_energy", False):
            fill = _limit_energy(fill, inputs[:, 0], missing, k, 5 * (k - 1))
        return torch.where(missing, fill, inputs[:, 0])

    def _model_extra(self) -> dict[str, Any]:
        return {"gap_ms": list(gap_range(self.gap_ms))}

    # ------------------------------------------------------------------ restoring
    def transform(
        self,
        audio: Any,
        mask: Any = None,
        *,
        gaps_ms: Any = None,
        n_gaps: int = 1,
        seed: int | None = None,
    ) -> Audio:
        """Fill the missing samples of clips.

        Args:
            audio: clips at the training rate (``spec_.sample_rate``), any length.
            mask: bool N×T, True where samples are missing; or, per clip, a list of
                (start, end) times in seconds.
            gaps_ms: instead of ``mask``: punch random gaps of this length (ms, or a
                (low, high) range) first — for demonstrations and evaluation.
            n_gaps: gaps per clip with ``gaps_ms``.
            seed: draws the gaps of ``gaps_ms``.

        Returns:
            Audio of the same shape: the unmasked samples unchanged, the masked ones filled.
        """
        clips = self._coerce_clips(audio)
        sr = self.spec_.sample_rate
        if clips.sample_rate != sr:
            raise DataError(
                f"{self.name} was fitted at {sr} Hz, got clips at {clips.sample_rate} Hz; "
                f"resample them with Audio.resample({sr}) (and the mask with them)"
            )
        if (mask is None) == (gaps_ms is None):
            raise ConfigError("give either `mask` (what is missing) or `gaps_ms` (gaps to punch)")
        n, t = clips.shape
        if gaps_ms is not None:
            m = make_gaps(n, t, sr, gaps_ms, n_gaps, seed)
        else:
            m = _as_mask(mask, n, t, sr)
        x = clips.to_tensor(self.device_)
        mt = torch.from_numpy(m).to(self.device_)
        clip, start, end = find_gaps(m)
        gaps = tuple(torch.from_numpy(v).to(self.device_) for v in (clip, start, end))
        steps = int((end - start).max()) if len(clip) else 1
        with torch.no_grad():
            inputs = self._inputs(x, mt, gaps, steps)
        out = self._run(inputs)
        out = torch.where(mt, out, x)  # untouched outside the mask, bit for bit
        return clips_output(out, clips, sr, f"{self.name} filled")


def _limit_energy(fill: Tensor, prefill: Tensor, missing: Tensor, frame: int, reach: int) -> Tensor:
    """Scale ``fill`` inside the gaps so that no ``frame``-sample frame is louder than the
    loudest frame of the context within ``reach`` samples of a gap (per clip), or than the
    pre-fill's own frame there; (B, L) tensors, ``missing`` bool."""
    m = missing.to(fill.dtype)[:, None]
    energy = lambda x: F.avg_pool1d(x.square()[:, None], frame, 1, frame // 2)[:, 0]  # noqa: E731
    near = F.max_pool1d(m, 2 * reach + 1, 1, reach)[:, 0] > 0.5
    context = near & ~missing
    ctx_energy = torch.where(context, energy(torch.where(missing, 0.0, prefill)), 0.0)
    cap = ctx_energy.amax(dim=1, keepdim=True)  # (B, 1)
    cap = torch.maximum(cap, energy(torch.where(missing, prefill, 0.0)))
    scale = torch.sqrt((cap / energy(fill).clamp_min(1e-12)).clamp(max=1.0))
    return fill * scale


def _as_mask(mask: Any, n: int, t: int, sample_rate: int) -> np.ndarray:
    """A bool N×T mask from a bool array or per-clip lists of (start_s, end_s)."""
    if isinstance(mask, (np.ndarray, torch.Tensor)):
        m = mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else mask
        if m.dtype != bool:
            raise DataError(f"`mask` must be a bool array (True = missing), got {m.dtype}")
        if m.ndim == 1 and n == 1:
            m = m[None]
        if m.shape != (n, t):
            raise DataError(f"`mask` must have the clips' shape {(n, t)}, got {m.shape}")
        return np.ascontiguousarray(m)
    if not isinstance(mask, Sequence) or len(mask) != n:
        raise DataError(
            f"`mask` must be a bool array N×T or a list of {n} per-clip lists of "
            f"(start_s, end_s) gaps, got {type(mask).__name__}"
        )
    m = np.zeros((n, t), dtype=bool)
    duration = t / sample_rate
    for i, gaps in enumerate(mask):  # a few gaps per clip: a bounded loop, not a hot path
        for gap in gaps:
            try:
                a, b = float(gap[0]), float(gap[1])
            except (TypeError, ValueError, IndexError):
                raise DataError(f"gap {gap!r} of clip {i} is not a (start_s, end_s) pair") from None
            if not 0.0 <= a < b <= duration + 1e-9:
                raise DataError(
                    f"gap ({a:g}, {b:g}) s of clip {i} must satisfy 0 ≤ start < end ≤ "
                    f"{duration:g} s (the clip length)"
                )
            m[
                i, round(a * sample_rate) : max(round(b * sample_rate), round(a * sample_rate) + 1)
            ] = True
    return m


# --- linear prediction in torch (the network's starting point) ------------------------------------
def lpc_fill(
    wave: Tensor,
    clip: Tensor,
    start: Tensor,
    end: Tensor,
    *,
    steps: int,
    order: int = LPC_ORDER,
    context: int = LPC_CONTEXT,
) -> Tensor:
    """Fill the gaps ``wave[clip, start:end]`` (zeroed, (N, T)) by linear prediction from both
    sides with a raised-cosine cross-fade: the batched torch twin of
    :func:`~synthset.evaluation.audio.restoration.fill_lpc`, on the device. ``steps`` bounds
    the gap lengths (a static bound keeps the host out of the training step).
    """
    if len(clip) == 0:
        return wave
    n, t = wave.shape
    x = F.pad(wave.double(), (context, context))
    k = torch.arange(context, device=wave.device)
    before = x[clip[:, None], start[:, None] + k]
    after = x[clip[:, None], end[:, None] + context + k]
    fwd = _extrapolate(before[:, -order:], _lpc(before, order), steps)
    bwd = _extrapolate(after[:, :order].flip(1), _lpc(after.flip(1), order), steps)
    length = (end - start)[:, None]
    j = torch.arange(steps, device=wave.device)
    bwd = bwd.gather(1, (length - 1 - j).clamp(0, steps - 1))  # back into forward time
    w = 0.5 * (1.0 + torch.cos(torch.pi * (j + 0.5) / length))  # 1 → 0 across the gap
    w = torch.where(start[:, None] == 0, 0.0, torch.where(end[:, None] == t, 1.0, w))
    fill = (w * fwd + (1.0 - w) * bwd).clamp(-1.0, 1.0).to(wave.dtype)
    valid = j < length
    rows = clip[:, None].expand_as(valid)[valid]
    cols = (start[:, None] + j)[valid]
    return wave.index_put((rows, cols), fill[valid])


def _lpc(context: Tensor, order: int) -> Tensor:
    """AR coefficients (G, order) by the autocorrelation method (batched Toeplitz solve)."""
    c = context.shape[1]
    spec = torch.fft.rfft(context, n=2 * c)
    r = torch.fft.irfft(spec.abs() ** 2, n=2 * c)[:, : order + 1]
    r = torch.cat([r[:, :1] * (1.0 + 1e-6), r[:, 1:]], dim=1)
    lags = (torch.arange(order)[:, None] - torch.arange(order)[None, :]).abs().to(r.device)
    eye = torch.eye(order, dtype=r.dtype, device=r.device)
    a = torch.linalg.solve(r[:, lags] + 1e-12 * eye, r[:, 1:, None])[..., 0]
    return torch.where(r[:, :1] <= 1e-12, torch.zeros_like(a), a)


def _extrapolate(history: Tensor, a: Tensor, steps: int) -> Tensor:
    """Run each AR model forward ``steps`` samples from ``history`` (G, p), most recent last,
    ``p`` samples at a time: the next p samples are a linear map ``K`` (G, p, p) of the last p
    (a power of the companion matrix, built by running the recursion on the unit vectors)."""
    g, p = history.shape
    coef = a.flip(1)  # aligned with the state, oldest first
    eye = torch.eye(p, dtype=a.dtype, device=a.device).expand(g, p, p)
    basis = torch.cat([eye, a.new_zeros(g, p, p)], dim=2)  # unit states, then their futures
    for i in range(p, 2 * p):
        basis[..., i] = (basis[..., i - p : i] * coef[:, None, :]).sum(-1)
    K = basis[..., p:]  # (G, p, p): row i is the future of unit state i
    blocks, state = [], history
    for _ in range(-(-steps // p)):
        state = torch.bmm(state[:, None, :], K)[:, 0]
        blocks.append(state)
    return torch.cat(blocks, dim=1)[:, :steps]
