"""Helpers shared by the command modules: consoles, ``k=v`` parsing, input and output paths."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from synthset.data import Table, read_table
from synthset.data.table import TABLE_SUFFIXES
from synthset.errors import ConfigError, DataError, SynthsetError

# Results a command was asked for go to stdout; progress, logs and errors go to stderr.
out_console = Console()
err_console = Console(stderr=True)


class OutputFormat(str, Enum):
    """How listing commands print their result."""

    table = "table"
    json = "json"


Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar and no summary on stderr.")
]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace the output if it exists (refused otherwise).")
]
Params = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        metavar="KEY=VALUE",
        help="A synthesizer hyperparameter (repeatable). VALUE is read as JSON when it parses "
        "(300, 0.5, true, [256,256]), else as a string.",
    ),
]
ColumnKinds = Annotated[
    list[str] | None,
    typer.Option(
        "--column-kind",
        metavar="COLUMN=KIND",
        help="Force a column's kind (continuous, discrete, categorical, boolean, datetime, id); "
        "repeatable.",
    ),
]


def info(message: str) -> None:
    """Print one progress / log line on stderr."""
    err_console.print(message, highlight=False, soft_wrap=True)


def parse_value(raw: str) -> Any:
    """Read ``raw`` as JSON when it parses (numbers, booleans, lists, null), else as a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def split_pairs(pairs: Iterable[str] | None, option: str) -> list[tuple[str, str]]:
    """Split repeated ``KEY=VALUE`` options; a malformed one is a usage error (exit 2)."""
    result = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=option)
        result.append((key, value))
    return result


def parse_params(pairs: Iterable[str] | None) -> dict[str, Any]:
    """Parse repeated ``--param``: ``["epochs=300", "dims=[64,64]"]`` → ``{"epochs": 300, ...}``."""
    return {key: parse_value(value) for key, value in split_pairs(pairs, "--param")}


def load_input_table(data: str, column_kinds: Iterable[str] | None = None) -> Table:
    """Read ``data``: a CSV / Parquet path, or else the name of a bundled dataset.

    A path that exists wins over a dataset of the same name.

    Raises:
        DataError: neither an existing file nor a bundled dataset, or unreadable data.
    """
    from synthset import datasets

    overrides = dict(split_pairs(column_kinds, "--column-kind"))
    path = Path(data)
    if path.exists() or not datasets.is_dataset(data):
        if not path.exists() and not _looks_like_path(data):
            names = ", ".join(d.name for d in datasets.list_datasets())
            raise DataError(
                f"{data!r} is neither an existing file nor a bundled dataset "
                f"(bundled: {names}); pass a .csv or .parquet path"
            )
        table = read_table(path)
    else:
        table = _dataset_of(data, "table")
    if overrides:
        table = Table(table.data, overrides=overrides, name=table.name)
    return table


IMAGE_FILE_SUFFIXES = (".npz", ".npy")
IMAGE_OUTPUT_SUFFIXES = ("", ".parquet", ".pq", ".npz", ".png")
TEXT_FILE_SUFFIXES = (".txt", ".jsonl", ".ndjson")
TEXT_OUTPUT_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet", ".pq", ".txt")
AUDIO_OUTPUT_SUFFIXES = ("", ".parquet", ".pq", ".wav", ".flac")
MODALITIES = ("table", "image", "text", "audio")
Modality = Annotated[
    str | None,
    typer.Option(
        "--modality",
        help="Force how DATA is read: table, image, text or audio (default: detected — a "
        "folder of WAV / FLAC / OGG files or an audio file is audio, another folder or .npz is "
        "images, a .parquet with an audio / image column is audio / images, .txt / .jsonl or "
        "a table with --text-column is text, CSV / Parquet otherwise a table).",
    ),
]
TextColumn = Annotated[
    str | None,
    typer.Option(
        "--text-column",
        metavar="COLUMN",
        help="Texts: the column (JSON key) holding the text (dialogue: the reply); reads a CSV "
        "/ Parquet as texts. Default: found by name (text, review, sentence, …).",
        show_default=False,
    ),
]
LabelColumn = Annotated[
    str | None,
    typer.Option(
        "--label-column",
        metavar="COLUMN",
        help="Texts: the column holding the class label (default: label, class, category, …).",
        show_default=False,
    ),
]
ContextColumn = Annotated[
    str | None,
    typer.Option(
        "--context-column",
        metavar="COLUMN",
        help="Texts: the column holding the context a reply answers, for dialogue pairs "
        "(default: context, prompt, question, …).",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class TextColumns:
    """The ``--text-column`` / ``--label-column`` / ``--context-column`` options of a command."""

    text: str | None = None
    label: str | None = None
    context: str | None = None

    def __bool__(self) -> bool:
        return any((self.text, self.label, self.context))

    def as_kwargs(self) -> dict[str, str | None]:
        """Keyword arguments of :func:`~synthset.data.texts.read_texts`."""
        return {
            "text_column": self.text,
            "label_column": self.label,
            "context_column": self.context,
        }


def detect_modality(data: str, text_columns: TextColumns | None = None) -> str:
    """``"audio"`` for a folder whose first media file is audio (WAV, FLAC, OGG, …), an audio
    file, an audio dataset or a Parquet file of encoded clips; ``"image"`` for another folder,
    .npz/.npy, an image dataset or a Parquet file with an image column (a struct with
    ``bytes``); ``"text"`` for .txt / .jsonl, a text dataset, or a table file read with
    ``--text-column`` / ``--context-column``; ``"table"`` otherwise."""
    from synthset import datasets
    from synthset.data.audio_io import AUDIO_SUFFIXES, is_audio_parquet

    path = Path(data)
    wants_text = text_columns is not None and bool(text_columns.text or text_columns.context)
    if path.exists():
        suffix = path.suffix.lower()
        if path.is_dir():
            return "audio" if _folder_holds_audio(path) else "image"
        if suffix in AUDIO_SUFFIXES:
            return "audio"
        if suffix in IMAGE_FILE_SUFFIXES:
            return "image"
        if suffix in TEXT_FILE_SUFFIXES or wants_text:
            return "text"
        if suffix in (".parquet", ".pq"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                schema = pq.read_schema(path)
            except (OSError, pa.ArrowInvalid):
                return "table"  # read_table reports the problem
            if is_audio_parquet(path):
                return "audio"
            for field in schema:
                if pa.types.is_struct(field.type) and field.type.get_field_index("bytes") >= 0:
                    return "image"
        return "table"
    if datasets.is_dataset(data):
        return getattr(datasets.get_info(data), "modality", "table")
    if path.suffix.lower() in TEXT_FILE_SUFFIXES or wants_text:
        return "text"  # read_texts says the file is missing
    return "table"


def _folder_holds_audio(folder: Path) -> bool:
    """True when the first audio or image file found under ``folder`` is an audio file."""
    from synthset.data.audio_io import AUDIO_SUFFIXES
    from synthset.data.image_io import IMAGE_SUFFIXES

    for p in folder.rglob("*"):
        suffix = p.suffix.lower()
        if suffix in AUDIO_SUFFIXES:
            return True
        if suffix in IMAGE_SUFFIXES:
            return False
    return False


_READ_AS = {"table": "a table", "image": "images", "audio": "audio clips"}


def load_input(
    data: str,
    column_kinds: Iterable[str] | None = None,
    modality: str | None = None,
    text_columns: TextColumns | None = None,
) -> Any:
    """Read ``data`` as a Table, Images or Texts (``modality`` forces which; detected otherwise).

    Raises:
        ConfigError: an unknown modality, or options that do not apply to it.
        DataError: missing or unreadable data.
    """
    if modality not in (None, *MODALITIES):
        raise ConfigError(f"--modality must be table, image, text or audio, got {modality!r}")
    modality = modality or detect_modality(data, text_columns)
    if text_columns and modality != "text":
        raise ConfigError(
            f"--text-column / --label-column / --context-column apply to texts, but {data} is "
            f"read as {_READ_AS[modality]}; add --text-column or "
            "--modality text"
        )
    if modality == "table":
        return load_input_table(data, column_kinds)
    if column_kinds:
        raise ConfigError(f"--column-kind applies to tables, not {modality}s")
    if modality == "text":
        return load_input_texts(data, text_columns or TextColumns())
    if modality == "audio":
        return load_input_audio(data)
    from synthset import datasets
    from synthset.data.image_io import read_images

    path = Path(data)
    if not path.exists() and datasets.is_dataset(data):
        return _dataset_of(data, "image")
    if not path.exists():
        raise DataError(f"{data!r} does not exist; pass an image folder, .npz or .parquet")
    return read_images(path)


def load_input_texts(data: str, columns: TextColumns, split: str | None = None) -> Any:
    """Read texts from a .txt / .jsonl / .csv / .parquet path, or a bundled text dataset."""
    from synthset import datasets
    from synthset.data.texts import read_texts

    path = Path(data)
    if not path.exists() and datasets.is_dataset(data):
        if columns:
            raise ConfigError(
                f"--text-column / --label-column / --context-column name columns of a file; "
                f"the bundled dataset {data!r} has fixed ones"
            )
        return _dataset_of(data, "text", split)
    if not path.exists() and not _looks_like_path(data):
        names = ", ".join(d.name for d in datasets.list_datasets("text"))
        raise DataError(
            f"{data!r} is neither an existing file nor a bundled text dataset (bundled: "
            f"{names}); pass a .txt, .jsonl, .csv or .parquet path"
        )
    return read_texts(path, **columns.as_kwargs())


def load_input_audio(data: str) -> Any:
    """Read clips from a folder of WAV / FLAC / OGG files, an audio file, a .parquet of encoded
    clips, or a bundled audio dataset (an existing path wins)."""
    from synthset import datasets
    from synthset.data.audio_io import read_audio

    path = Path(data)
    if not path.exists() and datasets.is_dataset(data):
        return _dataset_of(data, "audio")
    if not path.exists():
        raise DataError(
            f"{data!r} does not exist; pass a folder of WAV / FLAC files, an audio file, a "
            ".parquet of clips, or a bundled audio dataset (spoken_digits)"
        )
    return read_audio(path)


def _dataset_of(name: str, modality: str, split: str | None = None) -> Any:
    from synthset import datasets

    info = datasets.get_info(name)
    if info.modality != modality:
        raise ConfigError(
            f"{name} is a bundled {info.modality} dataset, not {modality}s; drop --modality "
            f"or use one of {', '.join(d.name for d in datasets.list_datasets(modality))}"
        )
    return datasets.load(name, split=split)


def check_image_output(path: Path, overwrite: bool) -> None:
    """Fail before any work when images cannot be written to ``path``."""
    if path.suffix.lower() not in IMAGE_OUTPUT_SUFFIXES:
        raise ConfigError(
            f"cannot write images to {path.name}: use a folder (no extension), .parquet, .npz, "
            "or .png for one grid picture"
        )
    check_not_exists(path, overwrite)


def write_image_output(images: Any, path: Path, overwrite: bool) -> Path:
    """Write images as a folder / .parquet / .npz, or a ``.png`` grid of them."""
    if path.suffix.lower() == ".png":
        from PIL import Image

        from synthset.data.images import image_grid
        from synthset.utils import atomic_path

        grid = image_grid(images.pixels, nrow=max(1, int(len(images) ** 0.5)))
        with atomic_path(path, overwrite=overwrite) as tmp:
            Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(tmp, format="PNG")
        return path
    from synthset.data.image_io import write_images

    return write_images(images, path, overwrite=overwrite)


def check_audio_output(path: Path, overwrite: bool, n_clips: int | None = None) -> None:
    """Fail before any work when ``n_clips`` clips cannot be written to ``path`` (a single
    .wav / .flac file takes exactly one; None, for a count not known yet, refuses it)."""
    suffix = path.suffix.lower()
    if suffix not in AUDIO_OUTPUT_SUFFIXES:
        raise ConfigError(
            f"cannot write audio to {path.name}: use a folder (no extension: WAV files + "
            "labels.csv), .parquet, or .wav / .flac for a single clip"
        )
    if suffix in (".wav", ".flac") and n_clips != 1:
        raise ConfigError(
            f"{path.name} is a single audio file, which holds one clip; write a folder (no "
            "extension) or .parquet"
        )
    check_not_exists(path, overwrite)


def write_audio_output(audio: Any, path: Path, overwrite: bool) -> Path:
    """Write clips as a folder of WAV files (+ labels.csv), .parquet, or one .wav / .flac."""
    from synthset.data.audio_io import write_audio

    return write_audio(audio, path, overwrite=overwrite)


def check_text_output(path: Path, overwrite: bool, *, dialogue: bool = False) -> None:
    """Fail before any work when texts cannot be written to ``path``."""
    if path.suffix.lower() not in TEXT_OUTPUT_SUFFIXES:
        raise ConfigError(
            f"cannot write texts to {path.name}: use .jsonl, .csv, .parquet or .txt (one text "
            "per line)"
        )
    if dialogue and path.suffix.lower() == ".txt":
        raise ConfigError(
            f"cannot write dialogue pairs to {path.name}: a .txt file would lose the contexts; "
            "use .jsonl, .csv or .parquet"
        )
    check_not_exists(path, overwrite)


def write_text_output(texts: Any, path: Path, overwrite: bool) -> Path:
    """Write texts as .jsonl / .csv / .parquet, or one per line to a ``.txt`` (texts only)."""
    from synthset.data.texts import Texts, write_texts

    if path.suffix.lower() == ".txt" and texts.contexts is None and texts.labels is not None:
        # .txt asked for: the texts alone (write .jsonl to keep the labels)
        texts = Texts(texts.texts, name=texts.name)
    return write_texts(texts, path, overwrite=overwrite)


def units(data: Any) -> str:
    """What ``data`` counts: ``rows``, ``images``, ``texts``, ``dialogue pairs`` or ``clips``."""
    modality = getattr(data, "modality", "table")
    if modality == "text":
        return "dialogue pairs" if data.spec.kind == "dialogue" else "texts"
    return {"image": "images", "audio": "clips"}.get(modality, "rows")


def describe(data: Any) -> str:
    """``"1,000 rows × 5 columns"``, ``"5,000 images 28×28×1"``, ``"3,404 texts (2 classes)"``,
    ``"887 dialogue pairs (21 classes)"`` or ``"500 clips of 1 s at 16 kHz (10 classes)"``."""
    modality = getattr(data, "modality", "table")
    if modality == "image":
        h, w, c = data.spec.shape
        return f"{len(data):,} images {h}×{w}×{c}"
    if modality == "text":
        classes = f" ({data.spec.n_classes} classes)" if data.labels is not None else ""
        return f"{len(data):,} {units(data)}{classes}"
    if modality == "audio":
        classes = f" ({data.spec.n_classes} classes)" if data.labels is not None else ""
        khz = data.spec.sample_rate / 1000
        return f"{len(data):,} clips of {data.spec.duration:.3g} s at {khz:g} kHz{classes}"
    rows, cols = data.shape
    return f"{rows:,} rows × {cols} columns"


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or "." in Path(text).name


def check_output_file(path: Path, overwrite: bool) -> None:
    """Fail before any work when ``path`` cannot be written: bad extension or already there."""
    name = path.name.lower()
    if not any(name.endswith(s) for s in TABLE_SUFFIXES):
        raise ConfigError(
            f"cannot write {path.name}: unknown extension; use one of {', '.join(TABLE_SUFFIXES)}"
        )
    check_not_exists(path, overwrite)


def check_not_exists(path: Path, overwrite: bool) -> None:
    """Refuse to replace ``path`` unless ``overwrite``; checked up front, before minutes of work."""
    if path.exists() and not overwrite:
        raise SynthsetError(f"{path} already exists; pass --overwrite to replace it")


def set_runtime_params(
    name: str, params: dict[str, Any], *, seed: int | None, verbose: bool
) -> dict[str, Any]:
    """Add ``random_state`` and ``verbose`` to ``params`` and check every name is a parameter.

    Raises:
        ConfigError: unknown synthesizer, or a parameter it does not take (valid ones listed).
    """
    from synthset.registry import get_synthesizer_class

    cls = get_synthesizer_class(name)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    valid = {p.name for p in inspect.signature(cls).parameters.values() if p.kind in kinds}
    params = dict(params)
    if seed is not None:
        params["random_state"] = seed
    if "verbose" in valid:
        params.setdefault("verbose", verbose)
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ConfigError(
            f"synthesizer {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    return params


def parse_conditions(pairs: Iterable[str] | None, spec: Any) -> dict[str, Any]:
    """Parse ``--condition COLUMN=VALUE`` pairs against the fitted spec.

    A value that is itself one of the column's categories stays a string (``zip=02134``); otherwise
    it is read like a ``--param`` value (``education-num=9`` → 9). The library validates the rest.
    """
    conditions = {}
    for column, raw in split_pairs(pairs, "--condition"):
        categories = None
        if spec is not None and column in spec:
            categories = spec[column].categories
        value = parse_value(raw)
        if categories is not None and raw in categories:
            value = raw
        elif not isinstance(value, (int, float)):
            value = raw
        conditions[column] = value
    return conditions
