"""Bundled image datasets: shapes, dtypes, class counts, Fashion-MNIST's IDX files, errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from synthset import datasets
from synthset.data import Images
from synthset.datasets import image_loaders
from synthset.errors import DataError

needs_fashion = pytest.mark.skipif(
    not image_loaders.fashion_mnist_available(),
    reason="Fashion-MNIST files absent (apt-get install dataset-fashion-mnist)",
)


@pytest.fixture
def fresh_fashion_cache():
    image_loaders._fashion_part.cache_clear()
    yield
    image_loaders._fashion_part.cache_clear()


def test_list_datasets_has_the_image_datasets_with_their_shapes():
    infos = {i.name: i for i in datasets.list_datasets(modality="image")}

    assert sorted(infos) == ["digits", "fashion_mnist", "lfw_faces", "mnist"]
    assert infos["fashion_mnist"].shape == (28, 28, 1) and infos["fashion_mnist"].cols == 784
    assert infos["fashion_mnist"].splits == ("train", "test", "all")
    assert infos["mnist"].size == "5,000 × 28×28×1"
    assert all(i.target == "label" and i.source and i.licence for i in infos.values())


@pytest.mark.parametrize(
    "info",
    [
        pytest.param(i, marks=needs_fashion) if i.name == "fashion_mnist" else i
        for i in datasets.list_datasets(modality="image")
    ],
    ids=lambda i: i.name,
)
def test_load_matches_its_info(info):
    imgs = datasets.load(info.name)

    assert isinstance(imgs, Images) and imgs.name == info.name
    assert imgs.pixels.dtype == np.uint8 and imgs.pixels.shape == (info.rows, *info.shape)
    assert imgs.spec.label_name == "label" and imgs.labels is not None


def test_mnist_has_500_of_each_digit():
    imgs = datasets.load("mnist")

    assert imgs.spec.classes == [str(d) for d in range(10)]
    assert set(imgs.class_counts().values()) == {500}
    assert imgs.pixels.max() == 255 and imgs.pixels.min() == 0


def test_digits_scales_0_to_16_onto_0_to_255():
    from sklearn.datasets import load_digits

    imgs = datasets.load("digits")
    raw = load_digits()

    assert imgs.pixels.shape == (1_797, 8, 8, 1) and imgs.pixels.max() == 255
    np.testing.assert_array_equal(imgs.labels, raw.target)
    np.testing.assert_array_equal(imgs.pixels[..., 0], np.rint(raw.images * 255 / 16))
    assert sum(imgs.class_counts().values()) == 1_797


def test_lfw_faces_first_hundred_are_faces():
    imgs = datasets.load("lfw_faces")

    assert imgs.pixels.shape == (200, 25, 25, 1)
    assert imgs.class_counts() == {"face": 100, "non-face": 100}
    assert set(imgs.label_names[:100]) == {"face"} and set(imgs.label_names[100:]) == {"non-face"}


def test_loads_are_independent_copies():
    first = datasets.load("mnist")
    first.pixels[:] = 0
    first.labels[:] = 0

    again = datasets.load("mnist")

    assert again.pixels.max() == 255 and set(again.class_counts().values()) == {500}


@needs_fashion
def test_fashion_mnist_splits_and_first_label():
    train = datasets.load("fashion_mnist")
    test = datasets.load("fashion_mnist", split="test")

    assert train.pixels.shape == (60_000, 28, 28, 1) and len(test) == 10_000
    assert train.label_names[0] == "Ankle boot" and train.labels[0] == 9
    assert train.spec.classes[0] == "T-shirt/top"
    assert set(train.class_counts().values()) == {6_000}
    assert len(datasets.load("fashion_mnist", split="all")) == 70_000


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.usefixtures("fresh_fashion_cache")
def test_fashion_mnist_reads_idx_files_from_the_env_folder(tmp_path, monkeypatch):
    # Setup: tiny IDX files in the Debian layout
    rng = np.random.default_rng(0)
    x_train, x_test = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (3, 2))
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x_train)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([9, 0, 3]))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x_test)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.array([1, 1]))
    monkeypatch.setenv(image_loaders.FASHION_MNIST_ENV, str(tmp_path))

    # Run
    train = datasets.load("fashion_mnist")
    both = datasets.load("fashion_mnist", split="all")

    # Assert
    np.testing.assert_array_equal(train.pixels[..., 0], x_train)
    assert train.label_names.tolist() == ["Ankle boot", "T-shirt/top", "Dress"]
    assert len(both) == 5 and both.label_names[-1] == "Trouser"


@pytest.mark.usefixtures("fresh_fashion_cache")
def test_fashion_mnist_missing_files_say_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv(image_loaders.FASHION_MNIST_ENV, str(tmp_path / "nowhere"))

    assert not image_loaders.fashion_mnist_available()
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        datasets.load("fashion_mnist")


@pytest.mark.usefixtures("fresh_fashion_cache")
def test_fashion_mnist_rejects_a_file_that_is_not_idx(tmp_path, monkeypatch):
    for part in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            with gzip.open(tmp_path / f"{part}-{kind}-ubyte.gz", "wb") as f:
                f.write(b"<html>not found</html>")
    monkeypatch.setenv(image_loaders.FASHION_MNIST_ENV, str(tmp_path))

    with pytest.raises(DataError, match="not an IDX file"):
        datasets.load("fashion_mnist", split="test")


def test_image_dataset_unknown_split_raises():
    with pytest.raises(DataError, match="no split 'train'.*all"):
        datasets.load("mnist", split="train")
