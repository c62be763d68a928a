"""Image metrics on feature arrays (known values), the two feature extractors, and their cache."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.datasets import load_digits

from synthset.data.images import Images
from synthset.errors import ConfigError, DataError, NotFittedError
from synthset.evaluation.images import metrics as M
from synthset.evaluation.images.classifier import ClassifierConfig, rotate
from synthset.evaluation.images.features import (
    DomainClassifierFeatures,
    EfficientNetLite0Features,
    FeatureCacheWarning,
    default_cache_dir,
)

FAST = ClassifierConfig(epochs=3, batch_size=32, min_steps=60)  # seconds, not minutes


def digits(n: int | None = None, seed: int = 0) -> Images:
    """sklearn's 8×8 digits as labelled Images (a seeded subset of ``n`` when given)."""
    d = load_digits()
    pixels = (d.images / 16.0 * 255.0).round().astype(np.uint8)
    imgs = Images.from_arrays(pixels, labels=d.target)
    if n is not None:
        imgs = imgs[np.sort(np.random.default_rng(seed).choice(len(imgs), n, replace=False))]
    return imgs


# --- Fréchet distance -----------------------------------------------------------------------------
def test_fid_of_identical_features_is_zero():
    x = np.random.default_rng(0).normal(size=(200, 16))
    assert M.fid(x, x) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_matches_gaussian_closed_form():
    # Diagonal covariances commute: FD = |μ1 − μ2|² + Σ (√a − √b)².
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    a, b = rng.uniform(0.1, 3.0, 8), rng.uniform(0.1, 3.0, 8)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert M.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)


def test_frechet_distance_matches_scipy_sqrtm_on_full_covariances():
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(12, 12)), rng.normal(size=(12, 12))
    s1, s2 = A @ A.T + 0.1 * np.eye(12), B @ B.T + 0.1 * np.eye(12)
    mu1, mu2 = rng.normal(size=12), rng.normal(size=12)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean)
    got = M.frechet_distance(mu1, s1, mu2, s2)
    assert got == pytest.approx(expected, rel=1e-8)
    assert M.frechet_distance(mu2, s2, mu1, s1) == pytest.approx(got, rel=1e-8)  # symmetric


def test_fid_with_fewer_images_than_dimensions_is_finite_and_symmetric():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(20, 64)), rng.normal(0.5, 1.0, size=(30, 64))
    d = M.fid(x, y)
    assert math.isfinite(d) and d > 0
    assert M.fid(y, x) == pytest.approx(d, rel=1e-6)


def test_fid_rejects_bad_input():
    with pytest.raises(DataError, match="NaN"):
        M.fid(np.full((4, 2), np.nan), np.zeros((4, 2)))
    with pytest.raises(DataError, match="mismatched"):
        M.fid(np.zeros((4, 2)), np.zeros((4, 3)))


# --- KID ------------------------------------------------------------------------------------------
def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    off = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return off - 2 * kxy.mean()


def test_kid_with_one_full_subset_is_the_unbiased_mmd():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 6)), rng.normal(0.3, 1.0, size=(40, 6))
    mean, std = M.kid(x, y, n_subsets=3, subset_size=40)
    assert mean == pytest.approx(_mmd2_unbiased(x, y), rel=1e-5)
    assert std == pytest.approx(0.0, abs=1e-9)  # every subset is the whole set


def test_kid_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(600, 32)), rng.normal(size=(600, 32))
    same, same_std = M.kid(x, y, subset_size=200, n_subsets=50, seed=0)
    shifted, _ = M.kid(x, y + 1.0, subset_size=200, n_subsets=50, seed=0)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 100 * abs(same)


def test_kid_gram_and_per_subset_paths_agree(monkeypatch):
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(50, 5)), rng.normal(0.2, 1.0, size=(60, 5))
    gram = M.kid(x, y, n_subsets=10, subset_size=30, seed=3)
    monkeypatch.setattr(M, "KERNEL_MAX_ENTRIES", 0)
    loop = M.kid(x, y, n_subsets=10, subset_size=30, seed=3)
    assert gram == pytest.approx(loop, rel=1e-6)


# --- precision / recall / density / coverage ------------------------------------------------------
def _prdc_brute(x: np.ndarray, y: np.ndarray, k: int) -> dict[str, float]:
    dxx = np.linalg.norm(x[:, None] - x[None], axis=2)
    dyy = np.linalg.norm(y[:, None] - y[None], axis=2)
    dxy = np.linalg.norm(x[:, None] - y[None], axis=2)
    rx = np.sort(dxx, axis=1)[:, k]
    ry = np.sort(dyy, axis=1)[:, k]
    inside = dxy <= rx[:, None]
    return {
        "precision": inside.any(0).mean(),
        "recall": (dxy <= ry[None, :]).any(1).mean(),
        "density": inside.sum() / (k * len(y)),
        "coverage": (dxy.min(1) <= rx).mean(),
    }


def test_prdc_of_identical_sets():
    x = np.random.default_rng(7).normal(size=(100, 8))
    out = M.prdc(x, x.copy(), k=5)
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0
    # every real ball holds its own centre and its k neighbours: (k + 1) / k
    assert out["density"] == pytest.approx(6 / 5)


def test_prdc_of_far_apart_sets_is_zero():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(40, 4)) + 100.0
    assert M.prdc(x, y) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_prdc_matches_brute_force(monkeypatch):
    monkeypatch.setattr(M, "QUERY_BLOCK", 16)  # several blocks
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(70, 5)), rng.normal(0.4, 1.2, size=(55, 5))
    got, want = M.prdc(x, y, k=3), _prdc_brute(x, y, 3)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9), key


def test_prdc_detects_mode_dropping():
    rng = np.random.default_rng(10)
    centres = rng.normal(scale=10.0, size=(4, 6))
    x = centres[rng.integers(0, 4, 400)] + rng.normal(size=(400, 6))
    y = centres[rng.integers(0, 2, 400)] + rng.normal(size=(400, 6))  # two of four modes
    out = M.prdc(x, y)
    assert out["precision"] > 0.85
    assert out["recall"] < 0.65 and out["coverage"] < 0.6


# --- nearest neighbours and copies ----------------------------------------------------------------
def test_nearest_neighbour_finds_copies_with_exact_zero(monkeypatch):
    monkeypatch.setattr(M, "REFERENCE_BLOCK", 7)
    rng = np.random.default_rng(11)
    ref = rng.integers(0, 256, (30, 4, 4, 1), dtype=np.uint8)
    query = np.concatenate([ref[[5, 17]], rng.integers(0, 256, (3, 4, 4, 1), dtype=np.uint8)])
    d, idx = M.nearest_neighbour(query, ref)
    assert d[:2].tolist() == [0.0, 0.0] and idx[:2].tolist() == [5, 17]
    brute = np.linalg.norm(
        query.reshape(5, -1)[:, None] / 255.0 - ref.reshape(30, -1)[None] / 255.0, axis=2
    )
    assert idx.tolist() == brute.argmin(1).tolist()
    assert d == pytest.approx(brute.min(1))


def test_exact_copies_confirms_pixels():
    rng = np.random.default_rng(12)
    ref = rng.integers(0, 256, (50, 5, 5, 3), dtype=np.uint8)
    near = ref[3].copy()
    near[0, 0, 0] ^= 1
    query = np.stack([ref[10], near, ref[49]])
    assert M.exact_copies(query, ref).tolist() == [10, -1, 49]
    assert (M.exact_copies(query[1:2], ref) == -1).all()


# --- EfficientNet-Lite0 ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos():
    """scikit-image's bundled photos (``chelsea`` the cat, ``coffee``)."""
    return pytest.importorskip("skimage.data")


def test_efficientnet_classifies_the_scikit_image_photos(photos):
    ext = EfficientNetLite0Features()  # 224 × 224, the network's own resolution
    cat = ext.predict_proba(photos.chelsea()[None])[0]
    coffee = ext.predict_proba(photos.coffee()[None])[0]
    assert cat.argmax() == 285 and cat[285] == pytest.approx(0.79, abs=0.01)  # Egyptian cat
    assert coffee.argmax() == 967 and coffee[967] == pytest.approx(0.88, abs=0.01)  # espresso


def test_efficientnet_features_shape_batches_and_grey():
    rng = np.random.default_rng(13)
    grey = rng.integers(0, 256, (4, 20, 20, 1), dtype=np.uint8)
    one = EfficientNetLite0Features(resolution=32, batch_size=1)(grey)
    four = EfficientNetLite0Features(resolution=32, batch_size=4)(Images(grey))
    assert one.shape == (4, 1280) and one.dtype == np.float32
    np.testing.assert_allclose(one, four, rtol=1e-4, atol=1e-5)
    rgb = EfficientNetLite0Features(resolution=32)(np.repeat(grey, 3, axis=-1))
    np.testing.assert_allclose(rgb, four, rtol=1e-5, atol=1e-6)


def test_efficientnet_rejects_bad_options():
    with pytest.raises(ConfigError, match="resolution"):
        EfficientNetLite0Features(resolution=16)
    with pytest.raises(DataError, match="uint8"):
        EfficientNetLite0Features(resolution=32)(np.zeros((2, 8, 8, 1), np.float32))


# --- domain classifier ----------------------------------------------------------------------------
def test_domain_classifier_learns_digits_and_caches(tmp_path):
    real = digits(240)
    first = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real)
    assert first.task_ == "classes" and first.cache_status_ == "miss"
    assert first.held_out_accuracy_ > 0.5  # chance is 0.1
    meta = json.loads(first.cache_path_.with_suffix(".json").read_text())
    assert meta["fingerprint"] == real.fingerprint() and meta["task"] == "classes"
    feats = first(real[:10])
    assert feats.shape == (10, 128) and feats.dtype == np.float32

    second = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real)
    assert second.cache_status_ == "hit"  # loaded, not trained
    assert second.held_out_accuracy_ == first.held_out_accuracy_
    np.testing.assert_array_equal(second(real[:10]), feats)

    other = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real[:200])
    assert other.cache_status_ == "miss"  # other images, other key


def test_domain_classifier_retrains_on_a_corrupt_cache(tmp_path):
    real = digits(120)
    first = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real)
    first.cache_path_.write_bytes(b"not a safetensors file")
    with pytest.warns(FeatureCacheWarning, match="could not be used"):
        again = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real)
    assert again.cache_status_ == "corrupt"
    np.testing.assert_array_equal(again(real[:5]), first(real[:5]))  # same seed, same net
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten cache loads cleanly
        assert (
            DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(real).cache_status_
            == "hit"
        )


def test_domain_classifier_default_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNTHSET_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "feature_extractors"
    ext = DomainClassifierFeatures(config=FAST).fit(digits(64))
    assert ext.cache_path_.parent == tmp_path / "feature_extractors"
    assert ext.cache_path_.exists()


def test_domain_classifier_without_labels_predicts_rotations():
    real = digits(160)
    unlabelled = Images(real.pixels)
    ext = DomainClassifierFeatures(config=FAST, cache_dir=False).fit(unlabelled)
    assert ext.task_ == "rotation" and ext.cache_status_ == "off" and ext.cache_path_ is None
    assert ext.held_out_accuracy_ > 0.4  # chance is 0.25
    assert ext(unlabelled).shape == (160, 128)


def test_domain_classifier_needs_fit():
    with pytest.raises(NotFittedError):
        DomainClassifierFeatures()(np.zeros((2, 8, 8, 1), np.uint8))


def test_rotate_turns_each_image_by_its_own_count():
    x = torch.arange(2 * 9, dtype=torch.float32).reshape(2, 1, 3, 3)
    out = rotate(x, torch.tensor([0, 1]))
    assert torch.equal(out[0], x[0])
    assert torch.equal(out[1], torch.rot90(x[1], 1, dims=(1, 2)))


# --- the proof: real halves are close, noise is far -----------------------------------------------
def test_fid_of_real_halves_is_far_below_fid_against_noise(tmp_path):
    real = digits(400)
    a, b = real.split(0.5, seed=0)
    noise = Images(np.random.default_rng(0).integers(0, 256, b.pixels.shape, dtype=np.uint8))
    domain = DomainClassifierFeatures(config=FAST, cache_dir=tmp_path).fit(a)
    imagenet = EfficientNetLite0Features(resolution=32)
    for ext in (domain, imagenet):
        fa = ext(a)
        halves, vs_noise = M.fid(fa, ext(b)), M.fid(fa, ext(noise))
        assert halves * 10 < vs_noise, (type(ext).__name__, halves, vs_noise)
