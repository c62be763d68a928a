"""Networks on log-mel spectrogram "images" (B, 1, n_mels, frames) in [-1, 1].

* :class:`SpecGenerator` — SpecGAN's generator (Donahue et al. 2019) in DCGAN form: a linear layer
  from ``z`` to a (n_mels / 2^k, frames / 2^k) map, then ``k`` ×2 transposed-convolution stages
  and ``tanh``. With classes, a learned class embedding joins ``z`` and every batch norm is a
  conditional batch norm (per-class gain and bias; de Vries et al. 2017, Miyato & Koyama 2018).
* :class:`SpecDiscriminator` — stride-2 convolutions with spectral norm (Miyato et al. 2018) and
  a linear head on the *flattened* features, so the score knows in which mel band energy lies
  (pooling would forget it); with classes, a projection term ``⟨embed(y), φ(x)⟩``.
* :class:`SpecVAE` — a convolutional VAE with the same encoder / decoder shapes and a Gaussian
  decoder whose scale σ is either fixed or set to its optimum, the root mean squared error of
  the batch (the "optimal σ" calibrated decoder of Rybkin et al. 2021). With classes, the class
  (one-hot) joins the encoder features and the latent code (CVAE), and the prior is the
  class's own Gaussian N(m_y, I) with a learned mean: on a few clips per class the encoder also
  writes the class into ``z`` (it is the strongest signal in the spectrogram), and a shared
  N(0, I) prior would then hand the decoder codes of other classes at sampling time. Sampling
  draws from ``sample_loc`` / ``sample_scale`` (per class, or one row without classes): a
  diagonal Gaussian that the synthesizer fits after training to the codes of the training clips
  (ex-post density estimation, Ghosh et al. 2020).
* :func:`spec_augment` — differentiable augmentations for a discriminator on little data, in the
  spirit of DiffAugment (Zhao et al. 2020) but meaningful for spectrograms: a gain (a loudness
  change is a shift of the log-mel), a time shift (filled with silence) and SpecAugment-style
  frequency and time masks (Park et al. 2019).

Both spatial sizes must be multiples of ``2 ** n_stages`` (the synthesizers pad the frames).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

SPEC_POLICIES = ("gain", "shift", "mask")
MIN_SIGMA = 1e-3  # floor of the optimal decoder σ (units of the [-1, 1] log-mel)


@dataclass
class SpecNetConfig:
    """Shapes of a spectrogram generator / discriminator / VAE (saved as JSON with weights)."""

    n_mels: int = 64
    frames: int = 64
    latent_dim: int = 128
    width: int = 32  # channels of the generator's last hidden stage / the first D stage
    n_classes: int = 0
    n_stages: int = 4  # ×2 up- (or down-) sampling stages

    def __post_init__(self) -> None:
        m = 2**self.n_stages
        if self.n_mels % m or self.frames % m or self.n_mels < m or self.frames < m:
            raise ValueError(
                f"n_mels ({self.n_mels}) and frames ({self.frames}) must be multiples of {m}"
            )

    @property
    def base_shape(self) -> tuple[int, int]:
        """(mels, frames) of the smallest feature map."""
        m = 2**self.n_stages
        return self.n_mels // m, self.frames // m

    @property
    def top_channels(self) -> int:
        """Channels of the smallest feature map."""
        return self.width * 2 ** (self.n_stages - 1)

    def to_dict(self) -> dict:
        return asdict(self)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose gain and bias are looked up per class (plain batch norm without)."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.n_classes = n_classes
        self.bn = nn.BatchNorm2d(channels, affine=n_classes == 0)
        if n_classes:
            self.gain = nn.Embedding(n_classes, channels)
            self.bias = nn.Embedding(n_classes, channels)
            nn.init.ones_(self.gain.weight)
            nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, y: Tensor | None) -> Tensor:
        h = self.bn(x)
        if not self.n_classes:
            return h
        return h * self.gain(y)[:, :, None, None] + self.bias(y)[:, :, None, None]


def _need_labels(n_classes: int, y: Tensor | None, what: str) -> None:
    if n_classes and y is None:
        raise ValueError(f"this {what} is class-conditional: pass labels")


class SpecGenerator(nn.Module):
    """``z`` (B, latent_dim) [+ class codes (B,)] → log-mel images (B, 1, n_mels, frames)."""

    def __init__(self, cfg: SpecNetConfig):
        super().__init__()
        self.cfg = cfg
        k = cfg.n_classes
        ch = cfg.top_channels
        self.embed = nn.Embedding(k, cfg.latent_dim) if k else None
        in_dim = cfg.latent_dim * (2 if k else 1)
        h0, w0 = cfg.base_shape
        self.fc = nn.Linear(in_dim, ch * h0 * w0)
        self.norms = nn.ModuleList([ConditionalBatchNorm2d(ch, k)])
        self.ups = nn.ModuleList()
        for _ in range(cfg.n_stages - 1):
            self.ups.append(nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False))
            self.norms.append(ConditionalBatchNorm2d(ch // 2, k))
            ch //= 2
        self.out = nn.ConvTranspose2d(ch, 1, 4, 2, 1)
        for m in self.modules():
            if isinstance(m, (nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        if self.embed is not None:
            nn.init.normal_(self.embed.weight, 0.0, 1.0)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        _need_labels(self.cfg.n_classes, y, "generator")
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], 1)
        h0, w0 = self.cfg.base_shape
        h = self.fc(z).view(len(z), -1, h0, w0)  # (B, top, h0, w0)
        h = F.relu(self.norms[0](h, y))
        for up, norm in zip(self.ups, self.norms[1:], strict=True):
            h = F.relu(norm(up(h), y))
        return torch.tanh(self.out(h))  # (B, 1, n_mels, frames)


class SpecDiscriminator(nn.Module):
    """Log-mel images [+ class codes] → one score per clip (B,); spectral-norm layers."""

    def __init__(self, cfg: SpecNetConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        cin, ch = 1, cfg.width
        for _ in range(cfg.n_stages):
            layers += [spectral_norm(nn.Conv2d(cin, ch, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin, ch = ch, ch * 2
        self.features = nn.Sequential(*layers, nn.Flatten())  # (B, top · h0 · w0)
        h0, w0 = cfg.base_shape
        feat = cin * h0 * w0
        self.head = spectral_norm(nn.Linear(feat, 1))
        self.embed = spectral_norm(nn.Embedding(cfg.n_classes, feat)) if cfg.n_classes else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        _need_labels(self.cfg.n_classes, y, "discriminator")
        h = self.features(x)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            out = out + (self.embed(y) * h).sum(1)  # projection term
        return out


class SpecVAE(nn.Module):
    """``encode(x, y) -> (mu, logvar)``; ``decode(z, y)`` → the decoder mean (B, 1, M, T);
    ``prior_mean(y)`` → the mean of the class's training prior (zeros without classes);
    ``sample_z(y, eps)`` → codes from the sampling Gaussian of each class."""

    def __init__(self, cfg: SpecNetConfig):
        super().__init__()
        self.cfg = cfg
        k = cfg.n_classes
        enc: list[nn.Module] = []
        cin, ch = 1, cfg.width
        for _ in range(cfg.n_stages):
            enc += [nn.Conv2d(cin, ch, 4, 2, 1, bias=False), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2)]
            cin, ch = ch, ch * 2
        self.encoder = nn.Sequential(*enc, nn.Flatten())
        h0, w0 = cfg.base_shape
        top = cin
        feat = top * h0 * w0
        self.mu = nn.Linear(feat + k, cfg.latent_dim)
        self.logvar = nn.Linear(feat + k, cfg.latent_dim)
        self.fc = nn.Linear(cfg.latent_dim + k, feat)
        dec: list[nn.Module] = [nn.Unflatten(1, (top, h0, w0)), nn.BatchNorm2d(top), nn.ReLU()]
        ch = top
        for _ in range(cfg.n_stages - 1):
            dec += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2)]
            dec.append(nn.ReLU())
            ch //= 2
        dec.append(nn.ConvTranspose2d(ch, 1, 4, 2, 1))
        self.decoder = nn.Sequential(*dec)
        self.prior = nn.Embedding(k, cfg.latent_dim) if k else None
        if self.prior is not None:
            nn.init.zeros_(self.prior.weight)
        # the sampling distribution: N(0, I) until fitted to the training codes
        self.register_buffer("sample_loc", torch.zeros(max(k, 1), cfg.latent_dim))
        self.register_buffer("sample_scale", torch.ones(max(k, 1), cfg.latent_dim))

    def _with_class(self, h: Tensor, y: Tensor | None) -> Tensor:
        if not self.cfg.n_classes:
            return h
        _need_labels(self.cfg.n_classes, y, "VAE")
        return torch.cat([h, F.one_hot(y, self.cfg.n_classes).to(h.dtype)], 1)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        h = self._with_class(self.encoder(x), y)
        return self.mu(h), self.logvar(h).clamp(-30.0, 20.0)

    def prior_mean(self, y: Tensor | None, m: int) -> Tensor:
        """(m, latent_dim) means of the prior for class codes ``y`` (zeros when unconditional)."""
        if self.prior is None:
            return torch.zeros(m, self.cfg.latent_dim, device=self.fc.weight.device)
        _need_labels(self.cfg.n_classes, y, "VAE")
        return self.prior(y)

    def sample_z(self, y: Tensor | None, eps: Tensor) -> Tensor:
        """Codes ``loc_y + scale_y · eps`` (B, latent_dim) for class codes ``y`` and noise."""
        if self.cfg.n_classes:
            _need_labels(self.cfg.n_classes, y, "VAE")
            return self.sample_loc[y] + self.sample_scale[y] * eps
        return self.sample_loc[0] + self.sample_scale[0] * eps

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decoder(self.fc(self._with_class(z, y)))

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Log-mel images from latent codes (the decoder mean)."""
        return self.decode(z, y)


def spec_vae_loss(
    model: SpecVAE,
    x: Tensor,
    y: Tensor | None,
    eps: Tensor,
    *,
    beta: float,
    sigma: float | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(loss, reconstruction, KL, σ) for ``x`` in [-1, 1], averaged over the batch.

    The reconstruction term is the Gaussian negative log-likelihood summed over the D bins of a
    clip, up to the constant ½·log 2π per bin: ``½‖x − μ‖² / σ² + D · log σ``. With ``sigma``
    None, σ² is the batch's mean squared error (the value that minimises this term; floored at
    ``MIN_SIGMA``), so the term becomes ``D/2 · (log MSE + 1)``. The KL divergence to the prior
    N(m_y, I) is summed over latent dimensions.
    """
    mu, logvar = model.encode(x, y)
    z = mu + eps * torch.exp(0.5 * logvar)
    mean = model.decode(z, y).float()
    sq = (mean - x.float()).pow(2).flatten(1).sum(1)  # (B,)
    d = x[0].numel()
    if sigma is None:
        log_sigma = 0.5 * torch.log((sq.mean() / d).clamp_min(MIN_SIGMA**2))
    else:
        log_sigma = torch.tensor(math.log(sigma), device=x.device)
    rec = 0.5 * sq * torch.exp(-2.0 * log_sigma) + d * log_sigma
    diff = mu - model.prior_mean(y, len(mu))
    kl = -0.5 * (1.0 + logvar - diff.pow(2) - logvar.exp()).float().sum(1)
    rec, kl = rec.mean(), kl.mean()
    return rec + beta * kl, rec, kl, log_sigma.detach().exp()


# ---------------------------------------------------------------------- augmentation
def parse_spec_policy(policy: str | None) -> tuple[str, ...]:
    """``"gain,shift"`` → ``("gain", "shift")``; ``""``/None → no augmentation."""
    if not policy:
        return ()
    parts = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in parts if p not in SPEC_POLICIES]
    if unknown or not parts:
        raise ValueError(
            f"unknown spectrogram augmentation {unknown or policy!r}; use any of "
            f"{', '.join(SPEC_POLICIES)}"
        )
    return parts


def spec_augment(x: Tensor, policy: tuple[str, ...], gen: torch.Generator) -> Tensor:
    """Apply the transforms of ``policy`` to ``x`` (B, 1, M, T) in [-1, 1], each clip its own
    draw (batched; every draw from ``gen``)."""
    for p in policy:
        x = _SPEC_TRANSFORMS[p](x, gen)
    return x


def _gain(x: Tensor, gen: torch.Generator, scale: float = 0.15) -> Tensor:
    """Louder or quieter by up to ``scale`` of the range (±6 dB of an 80 dB range)."""
    u = torch.rand(len(x), 1, 1, 1, generator=gen, device=x.device, dtype=x.dtype)
    return x + (u * 2.0 - 1.0) * (2.0 * scale)


def _shift(x: Tensor, gen: torch.Generator, ratio: float = 0.125) -> Tensor:
    """Shift in time by up to ``ratio`` of the frames; frames shifted in are silence (−1)."""
    b, _, _, t = x.shape
    s = max(int(t * ratio + 0.5), 1)
    d = torch.randint(-s, s + 1, (b, 1), generator=gen, device=x.device)
    src = torch.arange(t, device=x.device)[None] - d  # (B, T) source frame of each frame
    valid = ((src >= 0) & (src < t))[:, None, None, :]
    idx = src.clamp(0, t - 1)[:, None, None, :].expand_as(x)
    return torch.where(valid, x.gather(3, idx), torch.full_like(x, -1.0))


def _mask(x: Tensor, gen: torch.Generator, ratio: float = 0.125) -> Tensor:
    """One frequency band and one time span (each up to ``ratio`` of the axis) per clip set to
    the clip's mean, as SpecAugment does."""
    b, _, m, t = x.shape

    def band(n: int) -> Tensor:
        width = torch.randint(0, max(int(n * ratio), 1) + 1, (b, 1), generator=gen, device=x.device)
        start = (torch.rand(b, 1, generator=gen, device=x.device) * (n - width + 1)).long()
        pos = torch.arange(n, device=x.device)[None]
        return (pos >= start) & (pos < start + width)  # (B, n)

    hide = band(m)[:, None, :, None] | band(t)[:, None, None, :]
    return torch.where(hide, x.mean((1, 2, 3), keepdim=True), x)


_SPEC_TRANSFORMS = {"gain": _gain, "shift": _shift, "mask": _mask}
