"""The Texts container: strings with optional class labels, or context → reply pairs.

>>> t = Texts.from_lists(["a fine film", "a dull film"], labels=["fresh", "rotten"])
>>> t.spec.classes
['fresh', 'rotten']
>>> d = Texts.from_lists(["fine, thanks"], contexts=["how are you?"])   # dialogue pairs
>>> d.spec.kind
'dialogue'

Strings live in a numpy object array (``texts``); labels are int codes into ``spec.classes``
like :class:`~synthset.data.images.Images`; dialogue data also holds ``contexts`` (the turn a
reply answers). :func:`read_texts` reads .txt (one text per line), CSV, JSONL and Parquet;
:func:`write_texts` writes JSONL, CSV, Parquet or .txt, atomically. :meth:`Texts.clean` drops
empty, duplicate, over-long and broken-encoding rows and says how many of each it dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthset.data._split import (
    class_code,
    encode_labels,
    per_class_indices,
    split_indices,
)
from synthset.errors import DataError

TEXT_KINDS = ("text", "dialogue")
TEXT_SUFFIXES = (".txt", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq")
# column names tried, in order, when a file does not say which column holds what
_TEXT_COLUMNS = ("text", "sentence", "review", "content", "body", "reply", "response", "utterance")
_LABEL_COLUMNS = ("label", "labels", "class", "category", "sentiment", "target", "y")
_CONTEXT_COLUMNS = ("context", "prompt", "question", "input", "query")
_REPLY_COLUMNS = ("reply", "response", "answer", "output", "text")

# classic mojibake: UTF-8 bytes decoded as Latin-1 / cp1252 ("Ã©" for "é", "â€™" for "’")
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]|\u00e2\u20ac[\u0080-\u00bf\u2018-\u203a]")
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")


@dataclass
class TextSpec:
    """What a text dataset looks like.

    Attributes:
        classes: label names in code order (None when the texts are unlabelled).
        label_name: the name of the label (the condition key: ``conditions={"label": "fresh"}``).
        kind: ``"text"`` (one string per row) or ``"dialogue"`` (context → reply pairs).
        text_name: the column the texts (dialogue: the replies) are written to.
        context_name: the column of the contexts (dialogue only).
    """

    classes: list[str] | None = None
    label_name: str = "label"
    kind: str = "text"
    text_name: str = "text"
    context_name: str = "context"
    modality: str = field(default="text", init=False)

    def __post_init__(self) -> None:
        if self.kind not in TEXT_KINDS:
            raise DataError(f"text kind must be one of {TEXT_KINDS}, got {self.kind!r}")

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes else 0

    @property
    def names(self) -> list[str]:
        """The condition keys this spec accepts (the label, if any)."""
        return [self.label_name] if self.classes else []

    def class_code(self, value: Any) -> int:
        """The code of class ``value`` (its name, or an int code); a DataError lists the classes."""
        return class_code(self.classes, value, "texts")

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": "text",
            "classes": self.classes,
            "label_name": self.label_name,
            "kind": self.kind,
            "text_name": self.text_name,
            "context_name": self.context_name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextSpec:
        if d.get("modality") != "text":
            raise DataError(f"not a text spec (modality {d.get('modality')!r})")
        return cls(
            classes=None if d.get("classes") is None else [str(c) for c in d["classes"]],
            label_name=str(d.get("label_name", "label")),
            kind=str(d.get("kind", "text")),
            text_name=str(d.get("text_name", "text")),
            context_name=str(d.get("context_name", "context")),
        )


@dataclass
class CleanReport:
    """How many rows :meth:`Texts.clean` dropped, by reason (a row counts once, first reason)."""

    rows_in: int
    rows_out: int
    empty: int = 0
    broken_encoding: int = 0
    too_long: int = 0
    too_short: int = 0
    duplicate: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        parts = [
            f"{v} {k.replace('_', ' ')}"
            for k, v in self.to_dict().items()
            if k not in ("rows_in", "rows_out") and v
        ]
        dropped = ", ".join(parts) if parts else "nothing"
        return f"{self.rows_in} → {self.rows_out} rows (dropped: {dropped})"


def _as_str_array(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=object)
    if arr.ndim != 1:
        raise DataError(f"{what} must be a flat sequence of strings, got shape {arr.shape}")
    bad = [i for i, v in enumerate(arr[:100_000]) if not isinstance(v, str)]
    if bad:
        v = arr[bad[0]]
        raise DataError(
            f"{what} must all be strings; row {bad[0]} is {type(v).__name__} ({v!r}). "
            "Convert them (or drop missing rows) first"
        )
    return arr


class Texts:
    """Strings with optional integer labels coding ``spec.classes`` (and contexts for dialogue).

    Args:
        texts: the strings (dialogue: the replies), length N.
        labels: int codes into ``spec.classes`` (length N), or None.
        spec: the spec; built from the data when omitted.
        contexts: dialogue only: the turn each reply answers (length N).
        name: an optional name shown in reports and dataset cards.
        source: optional provenance per row (``"real"`` / ``"synthetic"``; set by augment()).
    """

    modality = "text"

    def __init__(
        self,
        texts: Sequence[str] | np.ndarray,
        labels: np.ndarray | None = None,
        spec: TextSpec | None = None,
        *,
        contexts: Sequence[str] | np.ndarray | None = None,
        name: str | None = None,
        source: np.ndarray | None = None,
    ):
        texts = _as_str_array(texts, "texts")
        n = len(texts)
        if contexts is not None:
            contexts = _as_str_array(contexts, "contexts")
            if len(contexts) != n:
                raise DataError(f"{len(contexts)} contexts for {n} replies")
        if spec is None:
            spec = TextSpec(kind="dialogue" if contexts is not None else "text")
        if spec.kind == "dialogue" and contexts is None:
            raise DataError("dialogue texts need `contexts` (the turn each reply answers)")
        if spec.kind == "text" and contexts is not None:
            raise DataError("contexts were given but the spec is not a dialogue spec")
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
                raise DataError(
                    f"labels must be {n} integer codes, got {labels.dtype} {labels.shape}; "
                    "use Texts.from_lists() to pass label names"
                )
            if not spec.classes:
                raise DataError("labels were given but the spec has no classes")
            if n and (labels.min() < 0 or labels.max() >= spec.n_classes):
                raise DataError(f"label codes must lie in [0, {spec.n_classes - 1}]")
            labels = labels.astype(np.int64, copy=False)
        if source is not None:
            source = np.asarray(source, dtype=object)
            if source.shape != (n,):
                raise DataError(f"`source` must hold one entry per text ({n}), got {source.shape}")
        self.texts = texts
        self.labels = labels
        self.contexts = contexts
        self.spec = spec
        self.name = name
        self.source = source

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_lists(
        cls,
        texts: Sequence[str],
        labels: Sequence[Any] | np.ndarray | None = None,
        *,
        contexts: Sequence[str] | None = None,
        classes: Sequence[Any] | None = None,
        label_name: str = "label",
        name: str | None = None,
    ) -> Texts:
        """Texts from Python lists; labels may be names or ints, ``classes`` fixes their order
        (default: sorted unique names)."""
        texts = _as_str_array(texts, "texts")
        codes, spec_classes = encode_labels(labels, len(texts), classes, "texts")
        kind = "dialogue" if contexts is not None else "text"
        spec = TextSpec(spec_classes, label_name, kind=kind)
        return cls(texts, codes, spec, contexts=contexts, name=name)

    # --- views --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        kind = "dialogue pairs" if self.spec.kind == "dialogue" else "texts"
        lab = f", {self.spec.n_classes} classes" if self.labels is not None else ""
        return f"Texts{name}({len(self)} {kind}{lab})"

    def __getitem__(self, idx: Any) -> Texts:
        """A subset (slice, index array or boolean mask) with the same spec."""
        if isinstance(idx, (int, np.integer)):
            idx = [int(idx)]
        return Texts(
            self.texts[idx],
            None if self.labels is None else self.labels[idx],
            self.spec,
            contexts=None if self.contexts is None else self.contexts[idx],
            name=self.name,
            source=None if self.source is None else self.source[idx],
        )

    def __iter__(self):
        return iter(self.texts.tolist())

    @property
    def label_names(self) -> np.ndarray | None:
        """The labels as class names (None when unlabelled)."""
        if self.labels is None or not self.spec.classes:
            return None
        return np.asarray(self.spec.classes, dtype=object)[self.labels]

    def class_counts(self) -> dict[str, int]:
        """Texts per class name (every class of the spec, zeros included)."""
        if self.labels is None or not self.spec.classes:
            return {}
        counts = np.bincount(self.labels, minlength=self.spec.n_classes)
        return {c: int(k) for c, k in zip(self.spec.classes, counts, strict=True)}

    def lengths(self, unit: str = "words") -> np.ndarray:
        """Length of every text in ``"words"`` (whitespace tokens) or ``"chars"``."""
        s = pd.Series(self.texts, dtype=object)
        if unit == "chars":
            return s.str.len().to_numpy(np.int64)
        if unit == "words":
            return s.str.split().str.len().to_numpy(np.int64)
        raise DataError(f"`unit` must be 'words' or 'chars', got {unit!r}")

    def fingerprint(self) -> str:
        """SHA-256 of the texts, contexts, labels and classes (the key of cached embeddings)."""
        h = hashlib.sha256()
        h.update(str(len(self)).encode())
        h.update("\x1e".join(self.texts.tolist()).encode("utf-8", "surrogatepass"))
        if self.contexts is not None:
            h.update(b"\x1dcontexts")
            h.update("\x1e".join(self.contexts.tolist()).encode("utf-8", "surrogatepass"))
        if self.labels is not None:
            h.update(self.labels.tobytes())
            h.update("\x00".join(self.spec.classes or []).encode())
        return h.hexdigest()

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame: (context,) text (, label names) (, source)."""
        cols: dict[str, Any] = {}
        if self.contexts is not None:
            cols[self.spec.context_name] = self.contexts
        cols[self.spec.text_name] = self.texts
        if self.labels is not None:
            cols[self.spec.label_name] = self.label_names
        if self.source is not None:
            cols["source"] = self.source
        return pd.DataFrame(cols)

    def head(self, n: int = 5) -> pd.DataFrame:
        return self.to_frame().head(n)

    def write(self, path: str | Path, *, overwrite: bool = False) -> Path:
        return write_texts(self, path, overwrite=overwrite)

    # --- splitting ----------------------------------------------------------------------------
    def split(
        self, frac: float = 0.8, *, seed: int | None = 0, stratify: bool = True
    ) -> tuple[Texts, Texts]:
        """Split into (first, second) with ``frac`` in the first; by class when labelled."""
        a, b = split_indices(
            len(self),
            self.labels,
            self.spec.n_classes,
            frac,
            seed=seed,
            stratify=stratify,
            what="texts",
        )
        return self[a], self[b]

    def per_class(self, n: int, *, seed: int | None = 0) -> Texts:
        """At most ``n`` texts of every class (a fixed random choice for ``seed``)."""
        if self.labels is None:
            raise DataError("per_class() needs labelled texts")
        return self[per_class_indices(self.labels, self.spec.n_classes, n, seed=seed)]

    # --- cleaning -----------------------------------------------------------------------------
    def clean(
        self,
        *,
        min_chars: int = 1,
        max_chars: int | None = 2_000,
        dedupe: bool = True,
        normalize: bool = True,
    ) -> tuple[Texts, CleanReport]:
        """Drop empty, broken-encoding, too short / too long and duplicate rows.

        Args:
            min_chars: texts shorter than this (after stripping) are dropped (empty ones are
                counted as empty).
            max_chars: texts longer than this are dropped (None: no limit).
            dedupe: drop exact duplicates (same text, context and label; case and whitespace
                folded), keeping the first.
            normalize: NFC-normalise and collapse runs of whitespace before the checks.

        Returns:
            (the kept texts, a :class:`CleanReport` with the count per reason).
        """
        s = pd.Series(self.texts, dtype=object)
        if normalize:
            s = s.map(lambda t: unicodedata.normalize("NFC", t))
            s = s.str.replace(r"\s+", " ", regex=True)
        s = s.str.strip()
        ctx = None
        if self.contexts is not None:
            ctx = pd.Series(self.contexts, dtype=object)
            if normalize:
                ctx = ctx.map(lambda t: unicodedata.normalize("NFC", t))
                ctx = ctx.str.replace(r"\s+", " ", regex=True)
            ctx = ctx.str.strip()
        n = len(s)
        reason = np.zeros(n, dtype=np.int8)  # 0 keep, 1 empty, 2 broken, 3 long, 4 short, 5 dup
        length = s.str.len().to_numpy()
        empty = length == 0
        if ctx is not None:
            empty |= ctx.str.len().to_numpy() == 0
        reason[empty] = 1
        broken = (
            s.str.contains("\ufffd", regex=False)
            | s.str.contains(_MOJIBAKE)
            | s.str.contains(_CONTROL)
            | s.map(_has_lone_surrogate)
        ).to_numpy(bool)
        reason[(reason == 0) & broken] = 2
        if max_chars is not None:
            reason[(reason == 0) & (length > max_chars)] = 3
        reason[(reason == 0) & (length < min_chars)] = 4
        if dedupe:
            key = s.str.lower()
            if ctx is not None:
                key = ctx.str.lower() + "\x1e" + key
            if self.labels is not None:
                key = key + "\x1f" + pd.Series(self.labels).astype(str)
            dup = key.duplicated(keep="first").to_numpy() & (reason == 0)
            # a duplicate of a dropped row is not a duplicate of a kept one
            kept_keys = set(key[reason == 0][~key[reason == 0].duplicated()].tolist())
            dup &= key.isin(kept_keys).to_numpy()
            reason[dup] = 5
        keep = np.flatnonzero(reason == 0)
        out = Texts(
            s.to_numpy(object)[keep],
            None if self.labels is None else self.labels[keep],
            self.spec,
            contexts=None if ctx is None else ctx.to_numpy(object)[keep],
            name=self.name,
            source=None if self.source is None else self.source[keep],
        )
        counts = np.bincount(reason, minlength=6)
        report = CleanReport(
            rows_in=n,
            rows_out=len(keep),
            empty=int(counts[1]),
            broken_encoding=int(counts[2]),
            too_long=int(counts[3]),
            too_short=int(counts[4]),
            duplicate=int(counts[5]),
        )
        return out, report


def _has_lone_surrogate(t: str) -> bool:
    try:
        t.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _natural_sort(values: list[str]) -> list[str]:
    try:
        return sorted(values, key=lambda v: int(v))
    except ValueError:
        return sorted(values)


def concat_texts(parts: Sequence[Texts]) -> Texts:
    """Join texts of the same spec (labels, contexts and sources kept when every part has them)."""
    if not parts:
        raise DataError("nothing to concatenate")
    spec = parts[0].spec
    for p in parts[1:]:
        if p.spec.kind != spec.kind or p.spec.classes != spec.classes:
            raise DataError(
                f"cannot join texts of kind {p.spec.kind!r} / classes {p.spec.classes} with "
                f"{spec.kind!r} / {spec.classes}"
            )
    texts = np.concatenate([p.texts for p in parts])
    labels = None
    if all(p.labels is not None for p in parts):
        labels = np.concatenate([p.labels for p in parts])
    contexts = None
    if spec.kind == "dialogue":
        contexts = np.concatenate([p.contexts for p in parts])
    source = None
    if all(p.source is not None for p in parts):
        source = np.concatenate([p.source for p in parts])
    return Texts(texts, labels, spec, contexts=contexts, name=parts[0].name, source=source)


def as_texts(data: Any, spec: TextSpec | None = None) -> Texts:
    """Coerce ``data`` (Texts, a list of strings, or a file path) to :class:`Texts`."""
    if isinstance(data, Texts):
        if spec is not None and spec.kind != data.spec.kind:
            raise DataError(f"the texts are of kind {data.spec.kind!r}, expected {spec.kind!r}")
        return data
    if isinstance(data, (str, bytes)) and not Path(str(data)).suffix:
        raise DataError(
            f"{str(data)[:40]!r} is a single string; pass a list of texts, a Texts, or a path "
            f"to a {'/'.join(TEXT_SUFFIXES)} file"
        )
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        return read_texts(data)
    if isinstance(data, pd.DataFrame):
        return texts_from_frame(data)
    if isinstance(data, (list, tuple, np.ndarray, pd.Series)):
        return Texts.from_lists(list(data))
    raise DataError(
        f"cannot use {type(data).__name__} as texts; pass a Texts, a list of strings, a "
        "DataFrame with a text column, or a .txt / .jsonl / .csv / .parquet path"
    )


def _pick(frame: pd.DataFrame, given: str | None, candidates: Sequence[str], what: str) -> Any:
    cols = {str(c).lower(): c for c in frame.columns}
    if given is not None:
        if given not in frame.columns:
            names = ", ".join(map(str, frame.columns))
            raise DataError(f"there is no {what} column {given!r}; columns: {names}")
        return given
    for c in candidates:
        if c in cols:
            return cols[c]
    return None


def texts_from_frame(
    frame: pd.DataFrame,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    context_column: str | None = None,
    name: str | None = None,
) -> Texts:
    """Texts from a DataFrame; columns are found by name when not given (``text``/``review``/…,
    ``label``/``class``/…, ``context``/``prompt``/… with ``reply``/``response``/…)."""
    ctx_col = _pick(frame, context_column, _CONTEXT_COLUMNS, "context")
    if ctx_col is not None:
        text_col = _pick(frame, text_column, _REPLY_COLUMNS, "reply")
    else:
        text_col = _pick(frame, text_column, _TEXT_COLUMNS, "text")
    if text_col is None:
        obj = [c for c in frame.columns if frame[c].dtype == object]
        if len(obj) == 1:
            text_col = obj[0]
        else:
            raise DataError(
                f"cannot tell which column holds the text (columns: "
                f"{', '.join(map(str, frame.columns))}); pass text_column= (CLI: --text-column)"
            )
    lab_col = _pick(frame, label_column, _LABEL_COLUMNS, "label")
    keep = frame[text_col].notna()
    if ctx_col is not None:
        keep &= frame[ctx_col].notna()
    if lab_col is not None:
        keep &= frame[lab_col].notna()
    frame = frame[keep]
    texts = frame[text_col].astype(str).tolist()
    labels = None if lab_col is None else frame[lab_col].astype(str).tolist()
    contexts = None if ctx_col is None else frame[ctx_col].astype(str).tolist()
    t = Texts.from_lists(
        texts,
        labels,
        contexts=contexts,
        label_name=str(lab_col) if lab_col is not None else "label",
        name=name,
    )
    t.spec.text_name = str(text_col)
    if ctx_col is not None:
        t.spec.context_name = str(ctx_col)
    return t


def read_texts(
    path: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    context_column: str | None = None,
) -> Texts:
    """Read texts from .txt (one per line), .jsonl, .csv / .tsv or .parquet.

    Columns (or JSON keys) are found by name unless given; a .txt file gives unlabelled texts.
    Bytes that are not valid UTF-8 are kept as U+FFFD so that :meth:`Texts.clean` can count
    and drop those rows.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist")
    if path.is_dir():
        raise DataError(f"{path} is a folder; texts are read from one .txt/.jsonl/.csv/.parquet")
    suffix = path.suffix.lower()
    name = path.stem
    if suffix == ".txt":
        raw = path.read_bytes().decode("utf-8", errors="replace")
        lines = [ln for ln in raw.splitlines() if ln.strip()]
        if not lines:
            raise DataError(f"{path} holds no text")
        return Texts.from_lists(lines, name=name)
    try:
        if suffix in (".jsonl", ".ndjson"):
            frame = read_jsonl(path)
        elif suffix == ".json":
            frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8", errors="replace")))
        elif suffix in (".csv", ".tsv"):
            frame = pd.read_csv(
                path,
                sep="\t" if suffix == ".tsv" else ",",
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding_errors="replace",
            )
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise DataError(
                f"cannot read texts from {path.suffix!r} files; use one of "
                f"{', '.join(TEXT_SUFFIXES)}"
            )
    except (ValueError, OSError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"cannot read {path}: {e}") from e
    if len(frame) == 0:
        raise DataError(f"{path} holds no rows")
    return texts_from_frame(
        frame,
        text_column=text_column,
        label_column=label_column,
        context_column=context_column,
        name=name,
    )


def read_jsonl(path: str | Path) -> pd.DataFrame:
    """Read a JSON Lines file (one object per line; blank lines skipped) into a DataFrame.

    The whole file is parsed at once; only when that fails is it read again line by line, to
    say which line is wrong.

    Raises:
        DataError: naming the first line that is not valid JSON or not an object, with the
            JSON error and an excerpt of the line.
    """
    path = Path(path)
    try:
        frame = pd.read_json(
            path, lines=True, dtype=False, encoding="utf-8-sig", encoding_errors="replace"
        )
    except (ValueError, TypeError) as exc:
        raise DataError(_bad_jsonl_line(path) or f"cannot read {path}: {exc}") from None
    if not all(isinstance(c, str) for c in frame.columns):  # lines that are lists or scalars
        raise DataError(_bad_jsonl_line(path) or f"{path} holds no JSON objects")
    return frame


def _bad_jsonl_line(path: Path) -> str | None:
    """What is wrong with the first line of ``path`` that is not one JSON object (None: none)."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return (
                    f"{path} line {number} is not valid JSON ({exc.msg}: column {exc.colno}): "
                    f"{_excerpt(line, exc.colno)}; fix or remove that line"
                )
            if not isinstance(value, dict):
                kind = {list: "a list", str: "a string", bool: "a boolean"}.get(
                    type(value), "null" if value is None else "a number"
                )
                return (
                    f"{path} line {number} is {kind}, not a JSON object: {_excerpt(line, 1)}; "
                    'each line must be one object, such as {"text": "...", "label": "..."}'
                )
    return None


def _excerpt(line: str, column: int, width: int = 60) -> str:
    """``line`` quoted, cut to ``width`` characters around ``column`` (1-based)."""
    if len(line) <= width:
        return repr(line)
    start = max(0, min(column - 1 - width // 2, len(line) - width))
    cut = line[start : start + width]
    return ("…" if start else "") + repr(cut) + ("…" if start + width < len(line) else "")


def write_texts(texts: Texts, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``texts`` as .jsonl (one object per line), .csv, .parquet or .txt (texts only).

    The file appears atomically (written to a temporary name, then renamed); an existing file
    is replaced only with ``overwrite=True``.
    """
    from synthset.utils import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".csv", ".parquet", ".pq", ".txt"):
        raise DataError(
            f"cannot write texts to {path.suffix!r}; use .jsonl, .csv, .parquet or .txt"
        )
    if suffix == ".txt" and (texts.labels is not None or texts.contexts is not None):
        raise DataError(
            ".txt holds one text per line and would lose the labels / contexts; write .jsonl, "
            ".csv or .parquet instead"
        )
    frame = texts.to_frame()
    with atomic_path(path, overwrite=overwrite) as tmp:
        if suffix in (".jsonl", ".ndjson"):
            frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
        elif suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False, compression="zstd")
        else:
            body = "\n".join(t.replace("\n", " ") for t in texts.texts.tolist())
            tmp.write_text(body + "\n", encoding="utf-8")
    return path
