"""The Images container: uint8 pixels N×H×W×C with optional class labels, and its spec.

>>> imgs = Images.from_arrays(np.zeros((16, 8, 8, 1), np.uint8), labels=["a"] * 8 + ["b"] * 8)
>>> imgs.spec.classes
['a', 'b']
>>> x = imgs.to_tensor()          # float32 N×C×H×W in [-1, 1]
>>> Images.from_tensor(x, imgs.spec).pixels.dtype
dtype('uint8')

Pixels stay uint8 on the host (a 60,000-image Fashion-MNIST set is 47 MB); models get a float
tensor in [-1, 1] once, moved to the device, and generated tensors come back through
:meth:`Images.from_tensor`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from synthset.data._split import (
    class_code,
    encode_labels,
    natural_sort,
    per_class_indices,
    split_indices,
)
from synthset.errors import DataError


@dataclass
class ImageSpec:
    """What an image dataset looks like.

    Attributes:
        height, width, channels: the image shape (channels 1 = grey, 3 = RGB).
        classes: label names in code order (None when the images are unlabelled).
        label_name: the name of the label (the condition key: ``conditions={"label": "shirt"}``).
    """

    height: int
    width: int
    channels: int
    classes: list[str] | None = None
    label_name: str = "label"
    modality: str = field(default="image", init=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def names(self) -> list[str]:
        """The condition keys this spec accepts (the label, if any)."""
        return [self.label_name] if self.classes else []

    def class_code(self, value: Any) -> int:
        """The code of class ``value`` (its name, or an int code); a DataError lists the classes."""
        return class_code(self.classes, value, "images")

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": "image",
            "height": self.height,
            "width": self.width,
            "channels": self.channels,
            "classes": self.classes,
            "label_name": self.label_name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageSpec:
        if d.get("modality") != "image":
            raise DataError(f"not an image spec (modality {d.get('modality')!r})")
        return cls(
            height=int(d["height"]),
            width=int(d["width"]),
            channels=int(d["channels"]),
            classes=None if d.get("classes") is None else [str(c) for c in d["classes"]],
            label_name=str(d.get("label_name", "label")),
        )


class Images:
    """Images (uint8, N×H×W×C) with optional integer labels coding ``spec.classes``.

    Args:
        pixels: uint8 array N×H×W×C (a N×H×W array is taken as grey, C = 1).
        labels: int codes into ``spec.classes`` (length N), or None.
        spec: the spec; built from the pixels when omitted.
        name: an optional name shown in reports and dataset cards.
        source: optional provenance per image (``"real"`` / ``"synthetic"``; set by augment()).
    """

    modality = "image"

    def __init__(
        self,
        pixels: np.ndarray,
        labels: np.ndarray | None = None,
        spec: ImageSpec | None = None,
        *,
        name: str | None = None,
        source: np.ndarray | None = None,
    ):
        pixels = np.asarray(pixels)
        if pixels.ndim == 3:
            pixels = pixels[..., None]
        if pixels.ndim != 4:
            raise DataError(
                f"images must be an array N×H×W×C (or N×H×W for grey), got shape {pixels.shape}"
            )
        if pixels.dtype != np.uint8:
            raise DataError(
                f"image pixels must be uint8 (0–255), got {pixels.dtype}; use "
                "Images.from_arrays(), which scales floats in [0, 1] and checks ranges"
            )
        if pixels.shape[-1] not in (1, 3):
            raise DataError(f"images need 1 (grey) or 3 (RGB) channels, got {pixels.shape[-1]}")
        if len(pixels) == 0:
            raise DataError("there are no images")
        n, h, w, c = pixels.shape
        if spec is None:
            spec = ImageSpec(h, w, c)
        elif (spec.height, spec.width, spec.channels) != (h, w, c):
            raise DataError(f"images are {h}×{w}×{c} but the spec says {spec.shape}")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
                raise DataError(
                    f"labels must be {n} integer codes, got {labels.dtype} {labels.shape}"
                )
            if not spec.classes:
                raise DataError("labels were given but the spec has no classes")
            if labels.min() < 0 or labels.max() >= spec.n_classes:
                raise DataError(f"label codes must lie in [0, {spec.n_classes - 1}]")
            labels = labels.astype(np.int64, copy=False)
        if source is not None:
            source = np.asarray(source, dtype=object)
            if source.shape != (n,):
                raise DataError(f"`source` must hold one entry per image ({n}), got {source.shape}")
        self.pixels = pixels
        self.labels = labels
        self.spec = spec
        self.name = name
        self.source = source  # provenance per image ("real" / "synthetic"), set by augment()

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        pixels: Any,
        labels: Sequence[Any] | np.ndarray | None = None,
        *,
        classes: Sequence[Any] | None = None,
        label_name: str = "label",
        name: str | None = None,
    ) -> Images:
        """Images from arrays: uint8 as is; floats in [0, 1] are scaled to 0–255.

        Labels may be names or ints; ``classes`` fixes their order (default: sorted unique).
        """
        x = np.asarray(pixels)
        if x.dtype != np.uint8:
            if not np.issubdtype(x.dtype, np.number):
                raise DataError(f"image pixels must be numbers, got {x.dtype}")
            xf = x.astype(np.float64)
            if not np.isfinite(xf).all():
                raise DataError("image pixels contain NaN or infinity")
            lo, hi = float(xf.min()), float(xf.max())
            if np.issubdtype(x.dtype, np.floating) and lo >= 0.0 and hi <= 1.0:
                xf = xf * 255.0
            elif lo < 0.0 or hi > 255.0:
                raise DataError(
                    f"image pixels must be uint8 0–255 or floats in [0, 1]; got values in "
                    f"[{lo:g}, {hi:g}]"
                )
            x = np.clip(np.rint(xf), 0, 255).astype(np.uint8)
        if x.ndim == 3:
            x = x[..., None]
        codes, spec_classes = encode_labels(labels, len(x), classes, "images")
        if x.ndim != 4:
            raise DataError(f"images must be N×H×W×C or N×H×W, got shape {x.shape}")
        spec = ImageSpec(x.shape[1], x.shape[2], x.shape[3], spec_classes, label_name)
        return cls(x, codes, spec, name=name)

    @classmethod
    def from_tensor(
        cls, x: torch.Tensor, spec: ImageSpec, labels: Any = None, *, name: str | None = None
    ) -> Images:
        """Images from a float tensor N×C×H×W in [-1, 1] (values outside are clipped)."""
        x = x.detach().float()
        u8 = ((x.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
        pixels = u8.permute(0, 2, 3, 1).contiguous().cpu().numpy()
        if labels is not None:
            labels = torch.as_tensor(labels).cpu().numpy().astype(np.int64)
        return cls(pixels, labels, spec, name=name)

    # --- views --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.pixels)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        h, w, c = self.spec.shape
        lab = f", {self.spec.n_classes} classes" if self.labels is not None else ""
        return f"Images{name}({len(self)} × {h}×{w}×{c}{lab})"

    def __getitem__(self, idx: Any) -> Images:
        """A subset (slice, index array or boolean mask) with the same spec."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        pixels = self.pixels[idx]
        labels = None if self.labels is None else self.labels[idx]
        source = None if self.source is None else self.source[idx]
        return Images(pixels, labels, self.spec, name=self.name, source=source)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.pixels.shape

    @property
    def label_names(self) -> np.ndarray | None:
        """The labels as class names (None when unlabelled)."""
        if self.labels is None or not self.spec.classes:
            return None
        return np.asarray(self.spec.classes, dtype=object)[self.labels]

    def class_counts(self) -> dict[str, int]:
        """Images per class name (every class of the spec, zeros included)."""
        if self.labels is None or not self.spec.classes:
            return {}
        counts = np.bincount(self.labels, minlength=self.spec.n_classes)
        return {c: int(k) for c, k in zip(self.spec.classes, counts, strict=True)}

    def to_tensor(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """Pixels as float32 N×C×H×W in [-1, 1] on ``device`` (converted on the device)."""
        t = torch.from_numpy(self.pixels).to(device)
        return t.permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0).contiguous()

    def labels_tensor(self, device: torch.device | str = "cpu") -> torch.Tensor | None:
        return None if self.labels is None else torch.from_numpy(self.labels).to(device)

    def fingerprint(self) -> str:
        """SHA-256 of the pixels, labels and classes (the key of cached feature extractors)."""
        h = hashlib.sha256()
        h.update(str(self.pixels.shape).encode())
        h.update(np.ascontiguousarray(self.pixels).tobytes())
        if self.labels is not None:
            h.update(self.labels.tobytes())
            h.update("\x00".join(self.spec.classes or []).encode())
        return h.hexdigest()

    def split(
        self, frac: float = 0.8, *, seed: int | None = 0, stratify: bool = True
    ) -> tuple[Images, Images]:
        """Split into (first, second) with ``frac`` in the first; by class when labelled."""
        a, b = split_indices(
            len(self),
            self.labels,
            self.spec.n_classes,
            frac,
            seed=seed,
            stratify=stratify,
            what="images",
        )
        return self[a], self[b]

    def per_class(self, n: int, *, seed: int | None = 0) -> Images:
        """At most ``n`` images of every class (a fixed random choice for ``seed``)."""
        if self.labels is None:
            raise DataError("per_class() needs labelled images")
        return self[per_class_indices(self.labels, self.spec.n_classes, n, seed=seed)]


def concat_images(parts: Sequence[Images]) -> Images:
    """Join images of the same spec (labels kept only when every part has them)."""
    if not parts:
        raise DataError("nothing to concatenate")
    spec = parts[0].spec
    for p in parts[1:]:
        if p.spec.shape != spec.shape or p.spec.classes != spec.classes:
            raise DataError(f"cannot join images of spec {p.spec.shape} with {spec.shape}")
    pixels = np.concatenate([p.pixels for p in parts])
    labels = None
    if all(p.labels is not None for p in parts):
        labels = np.concatenate([p.labels for p in parts])
    source = None
    if all(p.source is not None for p in parts):
        source = np.concatenate([p.source for p in parts])
    return Images(pixels, labels, spec, name=parts[0].name, source=source)


def as_images(data: Any, spec: ImageSpec | None = None) -> Images:
    """Coerce ``data`` (Images, uint8/float array, or a path) to :class:`Images`."""
    if isinstance(data, Images):
        if spec is not None and spec.shape != data.spec.shape:
            raise DataError(f"images are {data.spec.shape}, expected {spec.shape}")
        return data
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from synthset.data.image_io import read_images

        return read_images(data)
    if isinstance(data, (np.ndarray, torch.Tensor)):
        arr = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else data
        return Images.from_arrays(arr)
    raise DataError(
        f"cannot use {type(data).__name__} as images; pass an Images, a uint8 array N×H×W×C "
        "or a folder / .npz path"
    )


_natural_sort = natural_sort  # the readers import it under this name


def image_grid(
    pixels: np.ndarray | Images, *, nrow: int = 8, padding: int = 2, pad_value: int = 255
) -> np.ndarray:
    """Tile images (N×H×W×C uint8) into one uint8 grid image, ``nrow`` images per row.

    Vectorised: the images are written into a preallocated canvas by reshaping, not by a loop.
    """
    x = pixels.pixels if isinstance(pixels, Images) else np.asarray(pixels)
    if x.ndim == 3:
        x = x[..., None]
    n, h, w, c = x.shape
    ncol = max(1, min(nrow, n))
    rows = -(-n // ncol)
    full = np.full((rows * ncol, h + padding, w + padding, c), pad_value, dtype=np.uint8)
    full[:n, padding:, padding:] = x
    grid = full.reshape(rows, ncol, h + padding, w + padding, c).transpose(0, 2, 1, 3, 4)
    grid = grid.reshape(rows * (h + padding), ncol * (w + padding), c)
    out = np.full((grid.shape[0] + padding, grid.shape[1] + padding, c), pad_value, np.uint8)
    out[: grid.shape[0], : grid.shape[1]] = grid
    return out
