"""What every image synthesizer shares: data on the device, class conditions, batched sampling,
a wall-clock budget, mixed precision, and the saved state.

Fit: coerce to :class:`~synthset.data.images.Images` → pixels to a float tensor in [-1, 1] once,
padded to the model's power-of-two canvas, kept on the device → the subclass trains on it,
drawing batches by index. Sample: generate in large batches on the device, crop back to the
image size, convert to uint8 once per batch.
"""

from __future__ import annotations

import contextlib
import warnings
from abc import abstractmethod
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from synthset.data.images import Images, ImageSpec, as_images
from synthset.errors import ConfigError, DataError, SynthsetWarning
from synthset.models.gan.diffaugment import parse_policy
from synthset.models.gan.image import crop_to, model_resolution, pad_to
from synthset.privacy.dp import parse_dp
from synthset.synthesizers._loop import LoopMixin
from synthset.synthesizers.base import (
    SEED,
    Anything,
    Boolean,
    DeviceName,
    Interval,
    Options,
    Synthesizer,
)
from synthset.utils import cpu_threads, default_cpu_threads, make_torch_generator, resolve_device

# Parameters every image synthesizer shares (the rest are per model).
IMAGE_CONSTRAINTS = {
    "epochs": Interval(int, 1),
    "batch_size": Interval(int, 1),
    "amp": Options(("auto", "bf16", "off")),
    "compile": Boolean(),
    "max_seconds": Interval(float, 0.0, low_open=True, none_ok=True),
    "sample_batch_size": Interval(int, 1, none_ok=True),
    "device": DeviceName(),
    "random_state": SEED,
    "verbose": Boolean(),
    "callbacks": Anything(),
}

# the image models that can train with DP (a per-sample gradient exists for every step they take)
DP_CONSTRAINTS = {"dp": Anything()}

AUTO_DIFFAUGMENT_BELOW = 2_000  # images: DiffAugment is switched on for smaller sets ("auto")
DIFFAUGMENT_DEFAULT = "color,translation,cutout"


class DiffAugmentPolicy:
    """Constraint: ``"auto"``, ``""`` / None (off) or a comma list of DiffAugment transforms."""

    def check(self, name: str, value: Any) -> None:
        if value in (None, "", "auto"):
            return
        try:
            ok = isinstance(value, str) and bool(parse_policy(value))
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(
                f"`{name}` must be 'auto', '' (off) or a comma list of color, translation, "
                f"cutout; got {value!r}"
            )


def image_autocast_dtype(amp: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for image models: bf16 when asked, or ("auto") on CPUs with native bf16.

    Measured (benchmarks/results/images_gpu.md and the CPU benchmark): a DCGAN step (batch 128,
    32×32, one thread) takes 0.33 s in bf16 against 0.59 s in fp32 on an AVX-512 BF16 core, so
    "auto" uses bf16 there. On an H200 these small convolutions are launch-bound and fp32 already
    runs on TF32 tensor cores: bf16 trained DCGAN at 19.9k images/s against 22.1k in fp32, so
    "auto" stays fp32 on CUDA.
    """
    if amp == "off":
        return None
    if amp == "bf16":
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            return None
        return torch.bfloat16
    if device.type == "cuda":
        return None
    from synthset.synthesizers._neural import autocast_dtype

    return autocast_dtype("auto", device)


class ImageSynthesizer(LoopMixin, Synthesizer):
    """Base of the image GANs and VAEs (``modality = "image"``).

    Conditioning: a synthesizer with ``conditional = True`` learns one model for every class and
    ``sample(n, conditions={"label": "Coat"})`` draws that class; unconditioned draws follow the
    training class frequencies. Unconditional models refuse conditions.
    """

    modality = "image"
    conditional = False

    # ------------------------------------------------------------------ data
    def _coerce_data(self, data: Any, spec: Any) -> Images:
        images = as_images(data, spec)
        if self.conditional and images.labels is None:
            raise DataError(
                f"{self.name} is class-conditional and needs labelled images (class subfolders, "
                "a labels.csv, or labels= in Images.from_arrays); for unlabelled images use "
                f"{'dcgan' if 'gan' in self.name else 'vae'}"
            )
        if len(images) < 2:
            raise DataError(f"{len(images)} image(s) are too few to learn from; give at least 2")
        return images

    def _check_conditions(self, conditions: Any) -> dict[str, Any]:
        conditions = dict(conditions or {})
        if not conditions:
            return {}
        spec: ImageSpec = self.spec_
        unknown = [k for k in conditions if k != spec.label_name]
        if unknown:
            raise ConfigError(
                f"images can only be conditioned on {spec.label_name!r}, got {unknown}"
            )
        if not self.conditional:
            raise ConfigError(
                f"{self.name} is unconditional, so it cannot draw a given class; "
                "use a class-conditional synthesizer (cgan, cvae, or stylegan with labels)"
            )
        return {spec.label_name: spec.class_code(conditions[spec.label_name])}

    # ------------------------------------------------------------------ fitting
    def _fit(self, data: Images) -> None:
        self.device_ = resolve_device(self.device)
        self._check_params(data)
        spec = data.spec
        self.resolution_ = model_resolution(spec.height, spec.width)
        self.n_classes_ = spec.n_classes if self.conditional else 0
        counts = np.bincount(data.labels, minlength=spec.n_classes) if self.n_classes_ else None
        self._dp = parse_dp(getattr(self, "dp", None))
        self.privacy_ = None
        if self._dp is not None:
            counts = self._private_setup(len(data), counts)
        self.class_prior_ = None if counts is None else (counts / counts.sum()).tolist()
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with cpu_threads(threads):
            X = pad_to(data.to_tensor(self.device_), self.resolution_)
            y = data.labels_tensor(self.device_) if self.n_classes_ else None
            self._train(X, y)

    def _private_setup(self, n_images: int, counts: np.ndarray | None) -> np.ndarray | None:
        """DP: open the ledger; a conditional model's class frequencies are released as one
        noisy histogram (the class names and the image size are public schema). Returns the
        counts the class prior is built from."""
        from synthset.privacy.dp import gaussian_sigma_for
        from synthset.privacy.run import PrivateFit
        from synthset.utils import derive_seed, make_rng

        self._private = PrivateFit(self._dp, n_images)
        note = "image size, channels, class names and the number of images are public"
        pre: dict[str, Any] = {"noise_multiplier": None, "columns": {}, "public": note}
        if counts is not None:
            sigma = gaussian_sigma_for(
                self._dp.preprocessing_share * self._dp.epsilon,
                self._private.delta,
                1,
                self._dp.accountant,
            )
            self._private.ledger.add("preprocessing: label histogram", sigma, 1.0, 1)
            noisy = counts + make_rng(derive_seed(self.random_state, 7)).normal(
                0.0, sigma, counts.shape
            )
            counts = np.clip(noisy, 0.0, None)
            counts = counts if counts.sum() > 0 else np.ones_like(counts)
            pre = {
                "noise_multiplier": sigma,
                "columns": {
                    self.spec_.label_name: {
                        "classes": "public (schema)",
                        "frequencies": "private (noisy histogram)",
                    }
                },
                "public": note,
            }
        self._private.preprocessing = pre
        return counts

    def _plan_private(self, n_images: int, what: str) -> int:
        """Solve the DP-SGD noise for ``epochs`` passes of Poisson batches of ``batch_size_``
        over ``n_images``; returns the steps per epoch."""
        steps = max(n_images // self.batch_size_, 1)
        self._private.plan_training(
            batch_size=self.batch_size_, steps=self.epochs * steps, what=what
        )
        return steps

    def _finish_private(self, steps: int, networks: list[str]) -> None:
        """Record the spent budget in ``privacy_`` and the per-epoch ε in the history."""
        self._private.annotate_history(self.history_, 1)
        self.privacy_ = self._private.record(steps, private_networks=networks)

    def _check_params(self, data: Images) -> None:
        """Per-model checks against the data; sets ``batch_size_`` (≤ the number of images)."""
        self.batch_size_ = self.batch_size
        if self.batch_size > len(data):
            self.batch_size_ = len(data)
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {len(data)} images; training "
                f"uses batches of {len(data)}. Pass a smaller batch_size to silence this",
                SynthsetWarning,
                stacklevel=4,
            )

    @abstractmethod
    def _train(self, X: Tensor, y: Tensor | None) -> None:
        """Build the networks and train on ``X`` (N, C, S, S) in [-1, 1] and labels ``y``."""

    def _autocast(self) -> contextlib.AbstractContextManager:
        dtype = image_autocast_dtype(self.amp, self.device_)
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_.type, dtype=dtype)

    def _maybe_compile(self, module: nn.Module) -> nn.Module:
        return torch.compile(module) if self.compile else module

    def _diffaugment_policy(self, n_images: int) -> tuple[str, ...]:
        policy = getattr(self, "diffaugment", None)
        if policy == "auto":
            policy = DIFFAUGMENT_DEFAULT if n_images < AUTO_DIFFAUGMENT_BELOW else ""
        return parse_policy(policy)

    # ------------------------------------------------------------------ sampling
    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Images:
        spec: ImageSpec = self.spec_
        gen = make_torch_generator(seed, self.device_)
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        batch = self.sample_batch_size or (1_024 if self.device_.type == "cpu" else 8_192)
        pixels: list[np.ndarray] = []
        labels: list[Tensor] = []
        with cpu_threads(threads):
            net = self._sampling_net()
            done = 0
            while done < n:
                m = min(batch, n - done)
                if not self.n_classes_:
                    y = None
                elif conditions:
                    y = torch.full((m,), conditions[spec.label_name], device=self.device_)
                else:
                    y = self._draw_labels(m, gen)
                with self._autocast():
                    x = self._generate(net, m, y, gen)
                x = crop_to(x.float(), spec.height, spec.width)
                pixels.append(Images.from_tensor(x, spec).pixels)
                if y is not None:
                    labels.append(y)
                done += m
        lab = torch.cat(labels).cpu().numpy() if labels else None
        return Images(np.concatenate(pixels), lab, spec, name=f"{self.name} samples")

    @abstractmethod
    def _sampling_net(self) -> nn.Module:
        """The network that generates (an EMA copy where there is one), in eval mode."""

    @abstractmethod
    def _generate(self, net: nn.Module, m: int, y: Tensor | None, gen: torch.Generator) -> Tensor:
        """``m`` images (m, C, S, S) in about [-1, 1] from ``net`` with class codes ``y``."""

    def sample_grid(
        self, n_per_class: int = 8, *, seed: int | None = 0, nrow: int | None = None
    ) -> np.ndarray:
        """A grid image (uint8 H×W×C) of samples: a row per class for conditional models."""
        from synthset.data.images import image_grid

        if self.n_classes_:
            spec: ImageSpec = self.spec_
            parts = [
                self.sample(n_per_class, seed=seed, conditions={spec.label_name: k})
                for k in range(spec.n_classes)
            ]
            pixels = np.concatenate([p.pixels for p in parts])
            return image_grid(pixels, nrow=n_per_class)
        total = n_per_class * n_per_class
        return image_grid(self.sample(total, seed=seed).pixels, nrow=nrow or n_per_class)

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        tensors = {f"generator.{k}": v for k, v in self._sampling_net().state_dict().items()}
        state = {
            "model": self._model_config(),
            "resolution": self.resolution_,
            "n_classes": self.n_classes_,
            "class_prior": self.class_prior_,
        }
        if getattr(self, "privacy_", None):
            state["privacy"] = self.privacy_
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self.device_ = resolve_device(self.device)
        self.resolution_ = int(state["resolution"])
        self.n_classes_ = int(state["n_classes"])
        self.class_prior_ = state["class_prior"]
        self.privacy_ = state.get("privacy")
        net = self._restore_model(state["model"])
        sd = {k[len("generator.") :]: v for k, v in tensors.items() if k.startswith("generator.")}
        net.load_state_dict(sd, strict=True)
        net.to(self.device_).eval()

    @abstractmethod
    def _model_config(self) -> dict[str, Any]:
        """JSON description of the sampling network's shape."""

    @abstractmethod
    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        """Rebuild the sampling network from ``_model_config()`` (weights are loaded after)."""
