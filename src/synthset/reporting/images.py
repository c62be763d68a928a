"""Images as PNG: sample grids for reports, and for synthesizers that save what they generate.

>>> png = image_grid_png(fake, nrow=8, scale=4)          # bytes, ready for a file or a page
>>> save_image_grid(fake, "runs/x/samples.png", nrow=8)  # written atomically

The grid itself is :func:`synthset.data.images.image_grid` (vectorised tiling of uint8 images);
this module encodes it with Pillow, after an optional nearest-neighbour upscale so that 8 × 8 or
28 × 28 images stay crisp when shown larger.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from synthset.errors import DataError


def _pixels(images: Any) -> np.ndarray:
    x = images.pixels if hasattr(images, "pixels") else np.asarray(images)
    if x.ndim == 3 and x.shape[-1] not in (1, 3):  # N×H×W grey
        x = x[..., None]
    if x.ndim != 4 or x.dtype != np.uint8 or x.shape[-1] not in (1, 3):
        raise DataError(
            f"expected uint8 images N×H×W×C with 1 or 3 channels, got {x.dtype} {x.shape}"
        )
    return x


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale of one H×W×C (or N×H×W×C) uint8 image by an integer factor."""
    if factor <= 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=-3), factor, axis=-2)


def display_scale(height: int, width: int, target: int = 48) -> int:
    """The integer upscale that brings the longer side of an image near ``target`` pixels."""
    return max(1, int(round(target / max(height, width, 1))))


def to_png(image: np.ndarray) -> bytes:
    """One uint8 image (H×W, H×W×1 or H×W×3) as PNG bytes (no metadata, deterministic)."""
    from PIL import Image

    x = np.asarray(image)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.dtype != np.uint8 or x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[-1] != 3):
        raise DataError(f"to_png needs a uint8 H×W or H×W×3 image, got {x.dtype} {x.shape}")
    buf = io.BytesIO()
    Image.fromarray(x).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def image_grid_png(
    images: Any,
    *,
    nrow: int = 8,
    padding: int = 2,
    pad_value: int = 255,
    scale: int | None = 1,
) -> bytes:
    """Tile images into one grid and encode it as PNG.

    Args:
        images: :class:`~synthset.data.images.Images` or a uint8 array N×H×W×C (or N×H×W).
        nrow: images per row (as torchvision's ``make_grid``).
        padding: pixels between images (before upscaling).
        pad_value: grey level of the padding (255 = white).
        scale: integer nearest-neighbour upscale of the whole grid; None picks one that shows
            each image about 48 pixels tall.

    Returns:
        PNG bytes (greyscale for 1-channel images, RGB otherwise).
    """
    from synthset.data.images import image_grid

    x = _pixels(images)
    if len(x) == 0:
        raise DataError("there are no images to put in a grid")
    if not isinstance(nrow, int) or nrow < 1:
        raise DataError(f"`nrow` must be an int >= 1, got {nrow!r}")
    grid = image_grid(x, nrow=nrow, padding=padding, pad_value=pad_value)
    factor = display_scale(*x.shape[1:3]) if scale is None else int(scale)
    return to_png(upscale(grid, factor))


def save_image_grid(
    images: Any,
    path: str | os.PathLike,
    *,
    nrow: int = 8,
    padding: int = 2,
    scale: int | None = 1,
    overwrite: bool = False,
) -> Path:
    """Write :func:`image_grid_png` of ``images`` to ``path`` (atomically; an existing file is
    replaced only with ``overwrite=True``).

    Returns:
        The path written.
    """
    from synthset.utils import atomic_path

    png = image_grid_png(images, nrow=nrow, padding=padding, scale=scale)
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(png)
    return path
