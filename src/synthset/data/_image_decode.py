"""Decoding and cleaning for :mod:`synthset.data.image_io`: one file to pixels, many to an array.

Each source (a path or PNG/JPEG/... bytes) decodes to uint8 H×W (grey) or H×W×3 (RGB), with the
crop / resize / mode options applied; :func:`decode_all` assembles them into one preallocated
N×H×W×C array, skipping what cannot be read, and :func:`first_unique` finds exact duplicates.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthset.data._png import decode_png
from synthset.errors import DataError
from synthset.utils import default_cpu_threads

N_EXAMPLES = 3  # unreadable files named in a message
_POOL_MIN = 64  # fewer items than this are decoded on the calling thread


@dataclass
class Loaded:
    """What a reader found: uint8 pixels, label names (or None), and what it skipped."""

    pixels: np.ndarray
    labels: np.ndarray | None = None
    classes: list[str] | None = None
    label_name: str = "label"
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    total: int = 0


# --- decoding ---------------------------------------------------------------------------------
class Decoder:
    """Decodes one file (or bytes) to uint8 H×W (grey) or H×W×3 (RGB), cropped and resized."""

    def __init__(self, size: tuple[int, int] | None, crop: str | None, channels: int | None):
        self.size = size
        self.crop = crop
        self.channels = channels

    def __call__(self, source: Any) -> np.ndarray:
        from PIL import Image

        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        arr = decode_png(data)  # simple 8-bit PNGs (ours among them) skip Pillow's overhead
        if arr is not None:
            if self.channels == 1 and arr.ndim == 3:
                arr = to_channels(arr[None], 1)[0, ..., 0]
            if self.crop is None and (self.size is None or self.size == arr.shape[:2]):
                return arr
            im = Image.fromarray(arr, "L" if arr.ndim == 2 else "RGB")
            return np.asarray(self._geometry(im))
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(self._prepare(im))

    def _prepare(self, im: Any) -> Any:
        from PIL import ImageOps

        if im.format in ("JPEG", "MPO", "TIFF", "WEBP") and im.getexif().get(0x0112, 1) != 1:
            im = ImageOps.exif_transpose(im)  # camera orientation, as viewers show it
        im = _to_grey_or_rgb(im)
        if self.channels == 1 and im.mode == "RGB":
            im = im.convert("L")
        return self._geometry(im)

    def _geometry(self, im: Any) -> Any:
        from PIL import Image

        if self.crop == "center":
            w, h = im.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            im = im.crop((left, top, left + side, top + side))
        if self.size is not None and im.size != (self.size[1], self.size[0]):
            im = im.resize((self.size[1], self.size[0]), Image.Resampling.LANCZOS)
        return im

    def conform(self, pixels: np.ndarray) -> np.ndarray:
        """Apply crop / size / mode to uint8 arrays N×H×W×C (one PIL resize per image)."""
        n, h, w, c = pixels.shape
        if self.channels is not None:
            pixels = to_channels(pixels, self.channels)
            c = self.channels
        if self.crop is None and (self.size is None or self.size == (h, w)):
            return pixels
        from PIL import Image

        def one(img: np.ndarray) -> np.ndarray:
            im = Image.fromarray(img[..., 0] if c == 1 else img, "L" if c == 1 else "RGB")
            return np.asarray(self._geometry(im))

        first = one(pixels[0])
        out = np.empty((n, *first.shape[:2], c), np.uint8)
        out[0] = first.reshape(out.shape[1:])
        for i, arr in enumerate(pool_map(one, pixels[1:]), start=1):
            out[i] = arr.reshape(out.shape[1:])
        return out


def _to_grey_or_rgb(im: Any) -> Any:
    """Pillow image → mode "L" or "RGB" (16-bit and float greys scaled, alpha dropped)."""
    from PIL import Image

    if im.mode in ("L", "RGB"):
        return im
    if im.mode in ("1", "LA", "La"):
        return im.convert("L")
    if im.mode.startswith("I") or im.mode == "F":
        a = np.asarray(im).astype(np.float64)
        if im.mode == "F":
            a = a * 255.0 if a.size and np.nanmax(a) <= 1.0 else a
        elif im.mode.startswith("I;16") or (a.size and a.max() > 255):
            a = a / 257.0  # 16-bit → 8-bit
        return Image.fromarray(np.clip(np.rint(np.nan_to_num(a)), 0, 255).astype(np.uint8), "L")
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")  # avoids Pillow's per-image warning about palette transparency
    return im.convert("RGB")


def to_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """uint8 N×H×W×C to ``channels`` (grey → RGB by copying; RGB → grey with Pillow's weights)."""
    c = pixels.shape[-1]
    if c == channels:
        return pixels
    if channels == 3:
        return np.repeat(pixels, 3, axis=-1)
    # ITU-R 601-2 luma in 16-bit fixed point, bit-identical to Pillow's convert("L")
    p = pixels.astype(np.uint32)
    grey = (p[..., 0] * 19595 + p[..., 1] * 38470 + p[..., 2] * 7471 + 0x8000) >> 16
    return grey.astype(np.uint8)[..., None]


def _io_workers() -> int:
    # Decoding is mostly Python-level Pillow work under the GIL (zlib and file reads release
    # it). On the shared 2-core machines two threads read 60,000 PNGs 1.5x slower than one, so
    # threads follow the package default (1) and SYNTHSET_NUM_THREADS raises them.
    return default_cpu_threads()


def pool_map(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
    """``map(fn, items)`` in order, on a thread pool when there are many items."""
    workers = _io_workers()
    if len(items) < _POOL_MIN or workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        # bounded look-ahead: results are copied out as they come, not all held at once
        chunk = 16 * workers
        for start in range(0, len(items), chunk):
            yield from pool.map(fn, items[start : start + chunk])


def decode_all(
    sources: Sequence[Any], decode: Decoder, where: str, names: np.ndarray | None = None
) -> Loaded:
    """Decode every source into one preallocated uint8 array; unreadable ones are skipped."""

    def safe(src: Any) -> np.ndarray | str:
        if src is None:
            return "no image bytes"
        try:
            return decode(src)
        except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable file"
            return f"{type(exc).__name__}: {exc}"[:120]

    n = len(sources)
    out: np.ndarray | None = None
    ok = np.zeros(n, bool)
    skipped: list[tuple[str, str]] = []
    first_at = -1
    j = 0
    for i, res in enumerate(pool_map(safe, sources)):
        if isinstance(res, str):
            skipped.append((_label_of(sources[i], where, i), res))
            continue
        arr = res if res.ndim == 3 else res[..., None]
        if out is None:
            c = decode.channels or arr.shape[-1]
            out = np.empty((n, arr.shape[0], arr.shape[1], c), np.uint8)
            first_at = i
        if arr.shape[:2] != out.shape[1:3]:
            h0, w0 = out.shape[1:3]
            raise DataError(
                f"images have different sizes: {_label_of(sources[first_at], where, first_at)} "
                f"is {h0}×{w0} but {_label_of(sources[i], where, i)} is "
                f"{arr.shape[0]}×{arr.shape[1]}; pass size= (e.g. size={h0}) to resize them "
                "all, with crop='center' to keep the aspect ratio"
            )
        if arr.shape[-1] > out.shape[-1]:
            # mode=None met its first RGB image after grey ones: widen the array once
            wide = np.empty((*out.shape[:3], 3), np.uint8)
            wide[:j] = out[:j]  # grey → RGB by broadcasting, as Pillow's convert("RGB")
            out = wide
        out[j] = arr  # a grey image into an RGB array broadcasts over the channels
        ok[i] = True
        j += 1
    if out is None or j == 0:
        examples = ", ".join(f"{f} ({why})" for f, why in skipped[:N_EXAMPLES])
        raise DataError(
            f"none of the {n} images in {where} could be read"
            + (f": {examples}" if examples else "")
        )
    pixels = out[:j] if j == n else out[:j].copy()
    labels = None if names is None else np.asarray(names, dtype=object)[ok]
    return Loaded(pixels, labels, skipped=skipped, total=n)


def _label_of(src: Any, where: str, i: int) -> str:
    if isinstance(src, Path):
        try:
            return src.relative_to(where).as_posix()
        except ValueError:
            return src.name
    return f"row {i}"


# --- cleaning ---------------------------------------------------------------------------------
def first_unique(pixels: np.ndarray) -> np.ndarray:
    """Indices of the first copy of every distinct image (SHA-256 of its bytes), in order."""
    flat = np.ascontiguousarray(pixels).reshape(len(pixels), -1)
    seen: dict[bytes, int] = {}
    for i, row in enumerate(flat):
        seen.setdefault(hashlib.sha256(row.data).digest(), i)
    return np.fromiter(sorted(seen.values()), dtype=np.int64, count=len(seen))


def conflicting_duplicates(pixels: np.ndarray, labels: np.ndarray, keep: np.ndarray) -> int:
    """How many dropped duplicates carried a label other than the copy kept."""
    flat = np.ascontiguousarray(pixels).reshape(len(pixels), -1)
    kept_label = {hashlib.sha256(flat[i].data).digest(): labels[i] for i in keep}
    dropped = np.setdiff1d(np.arange(len(pixels)), keep)
    return sum(kept_label[hashlib.sha256(flat[i].data).digest()] != labels[i] for i in dropped)
