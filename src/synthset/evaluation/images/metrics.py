"""Image-set metrics as pure functions on feature arrays (or pixels): no model, no context.

* :func:`frechet_distance` / :func:`fid`: the Fréchet distance between Gaussians fitted to two
  feature sets (Heusel et al. 2017), in float64 with a symmetric eigen-decomposition, so it is
  exact for rank-deficient covariances (fewer images than feature dimensions) too.
* :func:`kid`: the kernel inception distance (Bińkowski et al. 2018), the unbiased MMD² with the
  cubic polynomial kernel ``(x·y / d + 1)³``, as mean and standard deviation over random subsets.
* :func:`prdc`: precision, recall, density and coverage of Naeem et al. 2020 (k nearest
  neighbours, Euclidean).
* :func:`nearest_neighbour` and :func:`exact_copies`: what the memorisation check is built on.

Distances are computed in blocks with torch matrix products (``|q|² + |r|² − 2 q·r`` in float32),
so no N × M matrix is ever held whole; the nearest neighbours found this way have their distance
recomputed directly, so that a copied image gets exactly 0.
"""

from __future__ import annotations

import numpy as np
import torch

from synthset.errors import DataError

QUERY_BLOCK = 2_048
REFERENCE_BLOCK = 8_192
KERNEL_MAX_ENTRIES = 16_000_000  # KID precomputes Gram matrices up to this size, else per subset


def _as_features(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or len(x) == 0:
        raise DataError(f"{what} must be a non-empty 2-d array (N × features), got {x.shape}")
    if not np.isfinite(x).all():
        raise DataError(f"{what} holds NaN or infinite features")
    return x


# --- Fréchet distance ----------------------------------------------------------------------------
def mean_cov(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, N − 1) covariance of ``features`` in float64."""
    x = _as_features(features, "features").astype(np.float64)
    if len(x) < 2:
        raise DataError("a covariance needs at least 2 feature vectors")
    return x.mean(0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _psd_sqrt(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2.0)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """``|μ1 − μ2|² + tr(Σ1) + tr(Σ2) − 2 tr((Σ1 Σ2)^½)``.

    ``tr((Σ1 Σ2)^½)`` is the sum of the square roots of the eigenvalues of the symmetric
    ``Σ1^½ Σ2 Σ1^½``, which has the same spectrum; both eigen-decompositions are symmetric, so
    no complex parts appear and negative rounding noise is clipped at 0.

    Returns:
        The distance (≥ 0) as a float.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise DataError(
            f"mismatched Gaussians: means {mu1.shape} / {mu2.shape}, covariances {s1.shape} / "
            f"{s2.shape}"
        )
    root1 = _psd_sqrt(s1)
    inner = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh((inner + inner.T) / 2.0)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_sqrt)
    return max(value, 0.0)


def fid(real: np.ndarray, synthetic: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N × d, M × d)."""
    return frechet_distance(*mean_cov(real), *mean_cov(synthetic))


# --- kernel inception distance -------------------------------------------------------------------
def _poly_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(a·b / d + 1)³`` in float64, from a float32 matrix product."""
    return (a @ b.T).double().div_(a.shape[1]).add_(1.0).pow_(3)


def kid(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    n_subsets: int = 100,
    subset_size: int = 1_000,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Unbiased MMD² with the kernel ``(x·y / d + 1)³``, over random subsets.

    Each subset draws ``m = min(subset_size, N, M)`` rows of each set without replacement and
    computes ``mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j)``.
    When the Gram matrices are small enough they are computed once, and every subset's block
    sums come from one product with the subsets' indicator matrix (``1_S' K 1_S``).

    Returns:
        ``(mean, std)`` over the subsets; the mean is ≈ 0 (slightly negative or positive) when
        both sets are independent samples of one distribution.
    """
    x = _as_features(real, "real features")
    y = _as_features(synthetic, "synthetic features")
    if x.shape[1] != y.shape[1]:
        raise DataError(f"feature sizes differ: {x.shape[1]} vs {y.shape[1]}")
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise DataError("KID needs at least 2 feature vectors in each set")
    rng = np.random.default_rng(seed)
    ix = np.stack([rng.choice(len(x), m, replace=False) for _ in range(n_subsets)])
    iy = np.stack([rng.choice(len(y), m, replace=False) for _ in range(n_subsets)])
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
    with torch.no_grad():
        if max(len(x), len(y)) ** 2 <= KERNEL_MAX_ENTRIES:
            wx = _indicator(ix, len(x))  # (N, S): column s marks subset s
            wy = _indicator(iy, len(y))
            kxx, kyy, kxy = _poly_kernel(xt, xt), _poly_kernel(yt, yt), _poly_kernel(xt, yt)
            sum_xx = ((kxx @ wx) * wx).sum(0) - kxx.diagonal() @ wx
            sum_yy = ((kyy @ wy) * wy).sum(0) - kyy.diagonal() @ wy
            sum_xy = ((kxy @ wy) * wx).sum(0)
            values = (sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * sum_xy / (m * m)
            values = values.numpy()
        else:  # large sets: one subset at a time
            values = np.empty(n_subsets)
            for s in range(n_subsets):
                xs, ys = xt[torch.from_numpy(ix[s])], yt[torch.from_numpy(iy[s])]
                a, b, c = _poly_kernel(xs, xs), _poly_kernel(ys, ys), _poly_kernel(xs, ys)
                off = a.sum() - a.diagonal().sum() + b.sum() - b.diagonal().sum()
                values[s] = float(off / (m * (m - 1)) - 2.0 * c.mean())
    return float(values.mean()), float(values.std())


def _indicator(idx: np.ndarray, n: int) -> torch.Tensor:
    """float64 (n, S) matrix with a 1 at (i, s) when row i is in subset s."""
    w = torch.zeros(n, len(idx), dtype=torch.float64)
    w[torch.from_numpy(idx.T.copy()), torch.arange(len(idx))[None, :]] = 1.0
    return w


# --- distances -----------------------------------------------------------------------------------
def _to_tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x))


def _block_float(x: torch.Tensor) -> torch.Tensor:
    """A block of features (as float32) or of uint8 pixels (scaled to [0, 1])."""
    if x.dtype == torch.uint8:
        return x.reshape(len(x), -1).float().div_(255.0)
    return x.reshape(len(x), -1).float()


def _sq_dists(q: torch.Tensor, r: torch.Tensor, r_sq: torch.Tensor) -> torch.Tensor:
    q_sq = (q * q).sum(1, keepdim=True)
    return torch.addmm(r_sq[None, :] + q_sq, q, r.T, alpha=-2.0).clamp_min_(0.0)


def knn_radii(features: np.ndarray, k: int = 5) -> np.ndarray:
    """Distance from every row to its k-th nearest other row (the row itself excluded, as in
    Naeem et al.'s reference code: the (k+1)-th smallest distance, the first being 0)."""
    x = _as_features(features, "features")
    if len(x) <= k:
        raise DataError(f"k = {k} nearest neighbours need more than {k} feature vectors")
    xt = _block_float(_to_tensor(x))
    x_sq = (xt * xt).sum(1)
    out = []
    with torch.no_grad():
        for i in range(0, len(xt), QUERY_BLOCK):
            d2 = _sq_dists(xt[i : i + QUERY_BLOCK], xt, x_sq)
            out.append(torch.topk(d2, k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(out).sqrt().double().numpy()


def prdc(real: np.ndarray, synthetic: np.ndarray, *, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage (Naeem et al. 2020).

    With ``r_i`` the distance from real ``x_i`` to its k-th nearest real neighbour and ``s_j``
    that from synthetic ``y_j`` to its k-th nearest synthetic neighbour:

    * precision = share of ``y_j`` inside some real ball ``B(x_i, r_i)``;
    * recall = share of ``x_i`` inside some synthetic ball ``B(y_j, s_j)``;
    * density = mean over ``y_j`` of (number of real balls holding it) / k (≈ 1 when the sets
      match, above 1 when synthetic images crowd the dense real regions);
    * coverage = share of real balls holding at least one ``y_j``.

    Returns:
        ``{"precision", "recall", "density", "coverage"}`` (floats; density may exceed 1).
    """
    x = _as_features(real, "real features")
    y = _as_features(synthetic, "synthetic features")
    if x.shape[1] != y.shape[1]:
        raise DataError(f"feature sizes differ: {x.shape[1]} vs {y.shape[1]}")
    r_real = torch.from_numpy(knn_radii(x, k)).float()
    r_syn = torch.from_numpy(knn_radii(y, k)).float()
    xt, yt = _block_float(_to_tensor(x)), _block_float(_to_tensor(y))
    y_sq = (yt * yt).sum(1)
    in_real_balls = torch.zeros(len(yt), dtype=torch.int64)  # per synthetic row
    recall_hits = coverage_hits = 0
    with torch.no_grad():
        for i in range(0, len(xt), QUERY_BLOCK):
            d = _sq_dists(xt[i : i + QUERY_BLOCK], yt, y_sq).sqrt_()  # (b, M) real × synthetic
            radius = r_real[i : i + QUERY_BLOCK, None]
            in_real_balls += (d <= radius).sum(0)
            recall_hits += int((d <= r_syn[None, :]).any(1).sum())
            coverage_hits += int((d.min(1).values <= radius[:, 0]).sum())
    return {
        "precision": float((in_real_balls > 0).double().mean()),
        "recall": recall_hits / len(xt),
        "density": float(in_real_balls.double().sum() / (k * len(yt))),
        "coverage": coverage_hits / len(xt),
    }


def nearest_neighbour(query: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every query row's nearest reference row: ``(distance, index)``.

    Rows are feature vectors, or uint8 images (any shape after the first axis), which are
    compared as [0, 1] pixel vectors. The distance is Euclidean, recomputed directly for the
    chosen neighbour (exactly 0 for a copy).

    Returns:
        float64 distances and int64 indices into ``reference``, one per query row.
    """
    if len(query) == 0 or len(reference) == 0:
        raise DataError("nearest_neighbour needs a non-empty query and reference")
    q_all, r_all = _to_tensor(query), _to_tensor(reference)
    if q_all[0].numel() != r_all[0].numel():
        raise DataError(f"rows differ in size: {tuple(query.shape)} vs {tuple(reference.shape)}")
    n = len(q_all)
    dist = np.empty(n)
    index = np.empty(n, dtype=np.int64)
    with torch.no_grad():
        for i in range(0, n, QUERY_BLOCK):
            q = _block_float(q_all[i : i + QUERY_BLOCK])
            best_v = torch.full((len(q),), float("inf"))
            best_i = torch.zeros(len(q), dtype=torch.int64)
            # uint8 pixels become floats one reference block at a time, never all at once
            blocks = (
                (j, _block_float(r_all[j : j + REFERENCE_BLOCK]))
                for j in range(0, len(r_all), REFERENCE_BLOCK)
            )
            for j, r in blocks:
                v, idx = _sq_dists(q, r, (r * r).sum(1)).min(1)
                better = v < best_v
                best_v = torch.where(better, v, best_v)
                best_i = torch.where(better, idx + j, best_i)
            exact = (q.double() - _block_float(r_all[best_i]).double()).norm(dim=1)
            dist[i : i + len(q)] = exact.numpy()
            index[i : i + len(q)] = best_i.numpy()
    return dist, index


# --- exact copies --------------------------------------------------------------------------------
def image_hashes(pixels: np.ndarray) -> np.ndarray:
    """A uint64 per image, equal for equal images (a seeded linear hash of the 8-byte words)."""
    flat = np.ascontiguousarray(pixels).reshape(len(pixels), -1)
    if flat.dtype != np.uint8:
        flat = flat.view(np.uint8).reshape(len(pixels), -1)
    pad = (-flat.shape[1]) % 8
    if pad:
        flat = np.concatenate([flat, np.zeros((len(flat), pad), np.uint8)], axis=1)
    words = flat.view(np.uint64)
    weights = np.random.default_rng(0x5EED).integers(1, 2**63, words.shape[1], dtype=np.uint64)
    weights |= np.uint64(1)
    out = np.zeros(len(words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(0, len(words), 4_096):  # blocks bound the uint64 temporary
            out[i : i + 4_096] = (words[i : i + 4_096] * weights).sum(1, dtype=np.uint64)
    return out


def exact_copies(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """For every query image, the index of a reference image it equals pixel for pixel, or -1.

    Hash matches are confirmed by comparing the pixels, so a hash collision never counts.
    """
    hq, hr = image_hashes(query), image_hashes(reference)
    order = np.argsort(hr, kind="stable")
    pos = np.clip(np.searchsorted(hr[order], hq), 0, len(hr) - 1)
    cand = order[pos]
    hit = hr[cand] == hq
    rows = np.flatnonzero(hit)
    out = np.full(len(query), -1, dtype=np.int64)
    if len(rows) == 0:
        return out
    size = int(np.prod(query.shape[1:]))
    same = (query[rows].reshape(-1, size) == reference[cand[rows]].reshape(-1, size)).all(1)
    out[rows[same]] = cand[rows[same]]
    return out
