"""augment() on images: balance classes, expand them, provenance, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from synthset import augment, make_synthesizer
from synthset.data.images import Images
from synthset.errors import ConfigError, SynthsetWarning
from tests.conftest import IMAGE_TINY_PARAMS, make_tiny_frame, make_tiny_images


@pytest.fixture(scope="module")
def imbalanced():
    imgs = make_tiny_images(n=24)
    keep = np.flatnonzero(imgs.label_names == "top")[:4].tolist()
    keep += np.flatnonzero(imgs.label_names == "bottom").tolist()
    return imgs[np.sort(keep)]  # 4 top, 12 bottom


@pytest.fixture(scope="module")
def cvae(imbalanced):
    return make_synthesizer("cvae", **IMAGE_TINY_PARAMS["cvae"]).fit(imbalanced)


def test_balance_fills_minority_class(imbalanced, cvae):
    out = augment(imbalanced, cvae, balance_on="label", seed=0)
    assert isinstance(out, Images)
    assert out.class_counts() == {"bottom": 12, "top": 12}
    assert list(out.source[:16]) == ["real"] * 16 and list(out.source[16:]) == ["synthetic"] * 8
    assert np.array_equal(out.pixels[:16], imbalanced.pixels)  # real images first, unchanged
    assert (out.label_names[16:] == "top").all()
    again = augment(imbalanced, cvae, balance_on="label", seed=0)
    assert np.array_equal(out.pixels, again.pixels)


def test_n_per_class_expands_every_class(imbalanced, cvae):
    out = augment(imbalanced, cvae, n_per_class=5, seed=1)
    assert out.class_counts() == {"bottom": 17, "top": 9}
    assert (out.source == "synthetic").sum() == 10


def test_n_new_and_ratio(imbalanced, cvae):
    assert len(augment(imbalanced, cvae, n_new=7, seed=0)) == 23
    assert len(augment(imbalanced, cvae, ratio=0.5, seed=0)) == 24


def test_fits_by_name_on_the_images():
    imgs = make_tiny_images(n=8)
    with pytest.warns(SynthsetWarning, match="batch_size"):  # 8 images < the default 128
        out = augment(Images(imgs.pixels), "dcgan", n_new=3, seed=0)
    assert len(out) == 11 and out.labels is None


def test_errors_name_the_fix(imbalanced, cvae):
    with pytest.raises(ConfigError, match="exactly one"):
        augment(imbalanced, cvae, n_new=3, n_per_class=2)
    with pytest.raises(ConfigError, match="label"):
        augment(imbalanced, cvae, balance_on="colour")
    dcgan = make_synthesizer("dcgan", **IMAGE_TINY_PARAMS["dcgan"]).fit(imbalanced)
    with pytest.raises(ConfigError, match="class-conditional"):
        augment(imbalanced, dcgan, balance_on="label")
    with pytest.raises(ConfigError, match="unlabelled"):
        augment(imbalanced, dcgan, n_new=2)
    with pytest.raises(ConfigError, match="n_per_class"):
        augment(make_tiny_frame(), "gaussian_copula", n_per_class=2)


def test_provenance_is_written(imbalanced, cvae, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    from synthset.data.image_io import read_images, write_images

    out = augment(imbalanced, cvae, balance_on="label", seed=0)
    write_images(out, tmp_path / "aug")
    frame = pd.read_csv(tmp_path / "aug" / "labels.csv")
    assert list(frame.columns) == ["file", "label", "source"]
    assert (frame["source"] == "synthetic").sum() == 8
    back = read_images(tmp_path / "aug", dedup=False)
    assert back.class_counts() == {"bottom": 12, "top": 12}
    write_images(out, tmp_path / "aug.parquet")
    table = pq.read_table(tmp_path / "aug.parquet")
    assert table.column("source").to_pylist().count("real") == 16
