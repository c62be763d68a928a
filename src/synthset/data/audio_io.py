"""Audio I/O: read folders, audio files and Parquet into :class:`Audio`, write them back.

>>> clips = read_audio("speech/", sample_rate=16_000, duration=1.0)   # class subfolders
>>> write_audio(clips, "out/")               # 000000.wav … + labels.csv + spec.json
>>> write_audio(clips, "out/", format="flac")  # 000000.flac …
>>> write_audio(clips, "out.parquet")        # Hugging Face `Audio` + `ClassLabel` columns

Files are decoded one by one with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis, AIFF, MP3), on a
thread pool when ``SYNTHSET_NUM_THREADS`` > 1, since that part is I/O. Everything after decoding
works on stacked arrays: the clips of each sample rate are zero-padded into one matrix and
resampled in one call, silence is trimmed by frame energies of the whole matrix, and clips are
cut / padded to one length by index arithmetic, so a folder of 10,000 clips costs a handful of
NumPy / SciPy calls beyond decoding.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from synthset.data._image_decode import pool_map
from synthset.data._parquet import write_media_parquet
from synthset.data._split import read_labels_file
from synthset.data.audio import (
    Audio,
    AudioSpec,
    _natural_sort,
    check_sample_rate,
    normalize_loudness,
    resample,
)
from synthset.errors import ConfigError, DataError, SynthsetWarning
from synthset.utils import atomic_path

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3")
LABEL_FILES = ("labels.csv", "metadata.csv")  # ours, and Hugging Face's audiofolder convention
FILE_COLUMNS = ("file", "path", "filename", "file_name", "filepath", "audio")
WRITE_FORMATS = ("wav", "flac", "parquet")
N_EXAMPLES = 3  # unreadable files named in a message
SILENCE_TOP_DB = 40.0  # trim_silence: frames this far below the loudest frame are silence


class AudioLengthWarning(SynthsetWarning):
    """Clip lengths vary a lot, so most clips are padded with much silence (or cut short)."""


# --- reading ----------------------------------------------------------------------------------
def read_audio(
    path: str | os.PathLike,
    *,
    sample_rate: int | None = None,
    duration: float | None = None,
    length: int | None = None,
    mono: bool = True,
    normalize: float | None = None,
    labels_file: str | os.PathLike | None = None,
    label_column: str = "label",
    trim_silence: bool = False,
    name: str | None = None,
) -> Audio:
    """Read clips from a folder, an audio file or Parquet, as one N×T float32 array.

    Sources:
        - a folder of class subfolders (the label is the subfolder name);
        - a folder with ``labels.csv`` (or ``metadata.csv``, or ``labels_file``): a file column
          (``file``, ``path``, ``filename``, ``file_name``…) with paths relative to the folder,
          and ``label_column``;
        - a flat folder of audio files (unlabelled), or a single audio file;
        - ``.parquet`` written by :func:`write_audio` or by Hugging Face ``datasets``: an audio
          column holding encoded files (a struct ``{bytes, path}`` or plain bytes), and
          ``label_column`` when present (``ClassLabel`` codes are turned back into names).

    Args:
        path: where the audio is.
        sample_rate: resample every clip to this rate (default: the most common rate).
        duration: cut / zero-pad every clip to this many seconds.
        length: cut / zero-pad every clip to this many samples (not with ``duration``). Without
            either, clips are padded to the longest one (warning when lengths vary a lot).
        mono: mix multi-channel files to mono by their mean; False refuses them instead.
        normalize: scale every clip to this RMS loudness in dBFS (e.g. -20.0); None keeps it.
        labels_file: a CSV of file names and labels for a folder (default: ``labels.csv``).
        label_column: the label column of the labels file or of the Parquet file.
        trim_silence: cut leading and trailing silence (more than 40 dB below the clip's
            loudest 10 ms) before fixing the length.
        name: the name of the result (default: the folder or file name).

    Returns:
        :class:`Audio`, labelled when the source has labels.

    Raises:
        DataError: a missing path, an empty folder, no audio files, an unreadable file (named),
            a labels file or Parquet file without the columns needed, an unknown file type.
        ConfigError: both ``duration`` and ``length``, or an invalid value of either.

    Warns:
        AudioLengthWarning: no length was given and most clips are under half the longest.
    """
    path = Path(path)
    sr = None if sample_rate is None else check_sample_rate(sample_rate)
    target_len = _target_length(duration, length, sr)
    if normalize is not None and not isinstance(normalize, (int, float)):
        raise ConfigError(f"`normalize` must be a loudness in dBFS (e.g. -20.0), got {normalize!r}")
    if not path.exists():
        raise DataError(f"no such file or folder: {path}")
    if labels_file is not None and not path.is_dir():
        raise ConfigError("`labels_file` applies to a folder of audio files; `path` is a file")
    suffix = path.suffix.lower()
    classes: list[str] | None = None
    label_name = label_column
    if path.is_dir():
        sources, names, classes, label_name = _read_folder(path, labels_file, label_column)
    elif suffix in (".parquet", ".pq"):
        sources, names, classes = _read_parquet(path, label_column)
    elif suffix in AUDIO_SUFFIXES:
        sources, names = [path], None
    else:
        raise DataError(
            f"cannot read audio from {path.name}: unknown extension {suffix!r}; pass a folder, "
            f"an audio file ({', '.join(AUDIO_SUFFIXES)}) or .parquet"
        )
    clips, rates = _decode_all(sources, str(path.parent if path.is_file() else path), mono)
    if sr is None:
        # the most common rate; a tie goes to the higher rate (no information thrown away)
        counts = Counter(rates.tolist())
        sr = max(counts, key=lambda r: (counts[r], r))
        if target_len is None and duration is not None:
            target_len = max(1, round(duration * sr))
    pre_cut = None if trim_silence else target_len
    wave, lengths = _stack_resampled(clips, rates, sr, pre_cut)
    del clips
    if trim_silence:
        wave, lengths = trim_silence_rows(wave, lengths, sr)
    if target_len is None:
        target_len = int(lengths.max())
        if np.median(lengths) < 0.5 * target_len:
            warnings.warn(
                f"clip lengths in {path} vary from {lengths.min() / sr:.3g} s to "
                f"{target_len / sr:.3g} s (median {np.median(lengths) / sr:.3g} s); every clip "
                "is padded to the longest; pass duration= (seconds) to cut them to one length",
                AudioLengthWarning,
                stacklevel=2,
            )
    wave = _fix_width(wave, target_len)
    if normalize is not None:
        wave = normalize_loudness(wave, float(normalize))
    if names is not None and classes is not None:
        # keep a given class order, adding any class the labels have beyond it
        classes = list(classes) + _natural_sort(
            sorted(set(np.unique(names.astype(str)).tolist()) - set(classes))
        )
    return Audio.from_arrays(
        wave,
        sr,
        names,
        classes=classes if names is not None else None,
        label_name=label_name,
        name=name if name is not None else (path.stem or path.name),
    )


def _target_length(duration: Any, length: Any, sr: int | None) -> int | None:
    if duration is not None and length is not None:
        raise ConfigError("give `duration` (seconds) or `length` (samples), not both")
    if length is not None:
        if not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length < 1:
            raise ConfigError(f"`length` must be an int ≥ 1 (samples), got {length!r}")
        return int(length)
    if duration is not None:
        if not isinstance(duration, (int, float)) or isinstance(duration, bool) or duration <= 0:
            raise ConfigError(f"`duration` must be a number of seconds > 0, got {duration!r}")
        return None if sr is None else max(1, round(float(duration) * sr))
    return None


# --- decoding ---------------------------------------------------------------------------------
def _decode_one(source: Any, mono: bool) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    x, sr = sf.read(data, dtype="float32", always_2d=True)  # (T, channels)
    if x.shape[1] > 1 and not mono:
        raise ValueError(f"{x.shape[1]} channels (read with mono=True to mix them)")
    return (x[:, 0] if x.shape[1] == 1 else x.mean(axis=1)), int(sr)


def _decode_all(sources: list[Any], where: str, mono: bool) -> tuple[list[np.ndarray], np.ndarray]:
    """Decode every source to a 1-D float32 clip; any unreadable one is a DataError naming it."""

    def safe(src: Any) -> tuple[np.ndarray, int] | str:
        if src is None:
            return "no audio bytes"
        try:
            return _decode_one(src, mono)
        except Exception as exc:  # noqa: BLE001 - any decoder failure means "unreadable file"
            return f"{type(exc).__name__}: {exc}"[:160]

    clips: list[np.ndarray] = []
    rates: list[int] = []
    bad: list[str] = []
    for i, res in enumerate(pool_map(safe, sources)):
        if isinstance(res, str):
            bad.append(f"{_label_of(sources[i], where, i)} ({res})")
        elif len(res[0]) == 0:
            bad.append(f"{_label_of(sources[i], where, i)} (no samples)")
        else:
            clips.append(res[0])
            rates.append(res[1])
    if bad:
        more = f" and {len(bad) - N_EXAMPLES} more" if len(bad) > N_EXAMPLES else ""
        raise DataError(
            f"cannot read {len(bad)} of {len(sources)} audio files in {where}: "
            f"{'; '.join(bad[:N_EXAMPLES])}{more}; remove or re-encode them (WAV, FLAC, OGG)"
        )
    return clips, np.asarray(rates, dtype=np.int64)


def _label_of(src: Any, where: str, i: int) -> str:
    if isinstance(src, Path):
        try:
            return src.relative_to(where).as_posix()
        except ValueError:
            return src.name
    return f"row {i}"


def _stack_resampled(
    clips: list[np.ndarray], rates: np.ndarray, sr: int, max_len: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Clips of any rates → (N×T float32 at ``sr``, zero-padded; valid length of each row).

    The clips of one rate are padded into one matrix and resampled in one call. With
    ``max_len``, clips are first cut to what ``max_len`` output samples need (plus the filter's
    reach), so a long file does not inflate the whole matrix.
    """
    n = len(clips)
    src_len = np.fromiter((len(c) for c in clips), np.int64, n)
    out_len = np.ceil(src_len * sr / rates).astype(np.int64)
    if max_len is not None:
        out_len = np.minimum(out_len, max_len)
    out = np.zeros((n, int(out_len.max())), np.float32)
    for rate in np.unique(rates):
        idx = np.flatnonzero(rates == rate)
        need = src_len[idx]
        if max_len is not None:  # resample_poly's filter reaches ~10 input samples per side
            need = np.minimum(need, int(np.ceil(max_len * rate / sr)) + 64)
        group = np.zeros((len(idx), int(need.max())), np.float32)
        valid = np.arange(group.shape[1]) < need[:, None]
        group[valid] = np.concatenate([clips[i][:k] for i, k in zip(idx, need, strict=True)])
        y = resample(group, int(rate), sr) if rate != sr else group
        width = min(y.shape[1], out.shape[1])
        keep = np.arange(width) < out_len[idx, None]
        out[idx, :width] = np.where(keep, y[:, :width], 0.0)
    return out, out_len


def crop_rows(
    x: np.ndarray,
    start: np.ndarray,
    count: np.ndarray,
    width: int,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """Row ``i`` of the result holds ``x[i, start[i] : start[i] + count[i]]`` placed at column
    ``offset[i]`` (default 0) of a zero row of ``width`` samples; what falls outside is cut.

    One gather for every row (no per-row loop): the cropping, shifting and padding that
    :func:`trim_silence_rows` and the spoken-digits builder need.
    """
    n, t = x.shape
    offset = np.zeros(n, np.int64) if offset is None else np.asarray(offset, np.int64)
    cols = np.arange(width)[None, :]
    src = cols - offset[:, None] + np.asarray(start, np.int64)[:, None]
    inside = (cols >= offset[:, None]) & (cols < offset[:, None] + np.asarray(count)[:, None])
    inside &= (src >= 0) & (src < t)
    picked = np.take_along_axis(x, np.clip(src, 0, t - 1), axis=1)
    return np.where(inside, picked, 0.0).astype(np.float32)


def trim_silence_rows(
    x: np.ndarray, lengths: np.ndarray, sample_rate: int, *, top_db: float = SILENCE_TOP_DB
) -> tuple[np.ndarray, np.ndarray]:
    """Cut leading and trailing silence of every row of a zero-padded matrix at once.

    Silence: 10 ms frames more than ``top_db`` below the row's loudest frame. Rows that are
    silent throughout are kept as they are.

    Returns:
        (the trimmed rows, left-aligned and zero-padded to the longest; their new lengths).
    """
    n, t = x.shape
    frame = max(1, sample_rate // 100)
    n_frames = -(-t // frame)
    padded = np.zeros((n, n_frames * frame), np.float32)
    padded[:, :t] = x
    energy = np.sqrt(np.mean(np.square(padded.reshape(n, n_frames, frame)), axis=2))
    peak = energy.max(axis=1, keepdims=True)
    loud = energy > peak * 10.0 ** (-top_db / 20.0)
    silent = peak[:, 0] <= 0
    first = np.argmax(loud, axis=1)
    last = n_frames - 1 - np.argmax(loud[:, ::-1], axis=1)
    start = np.where(silent, 0, first * frame)
    end = np.where(silent, lengths, np.minimum(lengths, (last + 1) * frame))
    count = np.maximum(end - start, 1)
    return crop_rows(x, start, count, int(count.max())), count


def _fix_width(x: np.ndarray, width: int) -> np.ndarray:
    if x.shape[1] >= width:
        return np.ascontiguousarray(x[:, :width])
    return np.pad(x, [(0, 0), (0, width - x.shape[1])])


# --- folders ----------------------------------------------------------------------------------
def audio_files(folder: Path, *, recursive: bool) -> list[Path]:
    """The audio files in ``folder`` (hidden ones skipped), sorted."""
    it = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in it
        if p.suffix.lower() in AUDIO_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.is_file()
    )


def _read_folder(
    folder: Path, labels_file: str | os.PathLike | None, label_column: str
) -> tuple[list[Any], np.ndarray | None, list[str] | None, str]:
    if labels_file is not None:
        csv = Path(labels_file)
        csv = csv if csv.is_absolute() or csv.exists() else folder / csv
        if not csv.is_file():
            raise DataError(f"labels file {labels_file} not found (looked in {folder})")
        return _read_labelled_folder(folder, csv, label_column)
    for candidate in LABEL_FILES:
        if (folder / candidate).is_file():
            return _read_labelled_folder(folder, folder / candidate, label_column)

    top = audio_files(folder, recursive=False)
    subdirs = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")]
    per_class = {d.name: files for d in subdirs if (files := audio_files(d, recursive=True))}
    if per_class and top:
        raise DataError(
            f"{folder} holds {len(top)} audio file(s) beside the class folders "
            f"{', '.join(list(per_class)[:3])}; move them into a class folder, or list every "
            "file with its label in a labels.csv"
        )
    if per_class:
        files = [f for inside in per_class.values() for f in inside]
        names = np.repeat(
            np.asarray(list(per_class), dtype=object), [len(v) for v in per_class.values()]
        )
        return files, names, _spec_classes(folder), label_column
    if not top:
        what = "is empty" if not any(folder.iterdir()) else "holds no audio files"
        raise DataError(
            f"{folder} {what} (looked for {', '.join(AUDIO_SUFFIXES)} at the top level and in "
            "class subfolders)"
        )
    return top, None, None, label_column


def _read_labelled_folder(
    folder: Path, csv: Path, label_column: str
) -> tuple[list[Any], np.ndarray, list[str] | None, str]:
    df, file_col, label_name = read_labels_file(csv, label_column, FILE_COLUMNS, "audio files")
    names = df[label_name].to_numpy(dtype=object)
    if (names == "").any():
        missing = df[file_col][names == ""].tolist()
        raise DataError(
            f"the labels file {csv.name} gives no {label_name!r} for {len(missing)} file(s): "
            f"{', '.join(missing[:N_EXAMPLES])}; label them or remove their rows"
        )
    files = [Path(r) if Path(r).is_absolute() else folder / r for r in df[file_col]]
    return files, names, _spec_classes(folder), label_name


def _spec_classes(folder: Path) -> list[str] | None:
    """The class order that :func:`write_audio` recorded in ``spec.json``, if any."""
    spec_file = folder / "spec.json"
    if not spec_file.is_file():
        return None
    try:
        spec = AudioSpec.from_dict(json.loads(spec_file.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, DataError):
        return None  # not ours: the class order falls back to sorted names
    return spec.classes


# --- parquet ----------------------------------------------------------------------------------
def _read_parquet(
    path: Path, label_column: str
) -> tuple[list[Any], np.ndarray | None, list[str] | None]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read {path.name} as Parquet: {exc}") from None
    features = _hf_features(schema)
    audio_col = find_audio_column(schema, features)
    if audio_col is None:
        raise DataError(
            f"{path.name} has no audio column (a struct {{bytes, path}} or a binary column of "
            f"encoded files); its columns: {', '.join(schema.names)}"
        )
    has_label = label_column in schema.names
    if not has_label and label_column != "label":
        raise DataError(
            f"{path.name} has no column {label_column!r}; its columns: {', '.join(schema.names)}"
        )
    table = pq.read_table(path, columns=[audio_col] + ([label_column] if has_label else []))
    col = table.column(audio_col).combine_chunks()
    if pa.types.is_struct(col.type):
        blobs = col.field("bytes").to_pylist()
        paths = col.field("path").to_pylist() if col.type.get_field_index("path") >= 0 else None
    else:
        blobs, paths = col.to_pylist(), None
    sources: list[Any] = []
    for i, blob in enumerate(blobs):
        if blob is not None:
            sources.append(blob)
        elif paths is not None and paths[i]:
            p = Path(paths[i])
            sources.append(p if p.is_absolute() else path.parent / p)
        else:
            sources.append(None)
    if not sources:
        raise DataError(f"{path.name} holds no rows")
    if not has_label:
        return sources, None, None
    lab = table.column(label_column).combine_chunks()
    if pa.types.is_dictionary(lab.type):
        lab = lab.cast(lab.type.value_type)
    if lab.null_count:
        raise DataError(
            f"{path.name}: {lab.null_count} rows have no {label_column!r}; drop them, or read the "
            "clips unlabelled (label_column= a name that is not a column)"
        )
    feat = features.get(label_column, {})
    if feat.get("_type") == "ClassLabel" and feat.get("names") and pa.types.is_integer(lab.type):
        classes = [str(c) for c in feat["names"]]
        codes = lab.to_numpy(zero_copy_only=False)
        if codes.size and (codes.min() < 0 or codes.max() >= len(classes)):
            raise DataError(
                f"{path.name}: label codes fall outside the {len(classes)} classes (-1, Hugging "
                "Face's 'no label', is not supported)"
            )
        return sources, np.asarray(classes, dtype=object)[codes], classes
    names = lab.cast(pa.string()).to_numpy(zero_copy_only=False).astype(object)
    return sources, names, None


def _hf_features(schema: Any) -> dict[str, Any]:
    meta = schema.metadata or {}
    if b"huggingface" not in meta:
        return {}
    try:
        info = json.loads(meta[b"huggingface"].decode("utf-8")).get("info") or {}
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}
    feats = info.get("features") or {}
    return feats if isinstance(feats, dict) else {}


def find_audio_column(schema: Any, features: dict[str, Any] | None = None) -> str | None:
    """The audio column of a Parquet schema: a Hugging Face ``Audio`` feature, else a column
    named audio / wav / sound / speech holding a ``{bytes, path}`` struct or bytes."""
    import pyarrow as pa

    features = _hf_features(schema) if features is None else features
    for name, feat in features.items():
        if isinstance(feat, dict) and feat.get("_type") == "Audio" and name in schema.names:
            return name
    for f in schema:
        blob = (pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0) or (
            pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)
        )
        if blob and f.name.lower() in ("audio", "wav", "sound", "speech", "clip"):
            return f.name
    return None


def is_audio_parquet(path: str | os.PathLike) -> bool:
    """True when ``path`` is a Parquet file whose bytes column holds audio files (by a Hugging
    Face ``Audio`` feature, the column name, or the first blob's RIFF / fLaC / OggS magic)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException):
        return False
    schema = pf.schema_arrow
    if find_audio_column(schema) is not None:
        return True
    blobs = [
        f.name
        for f in schema
        if (pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0)
        or pa.types.is_binary(f.type)
        or pa.types.is_large_binary(f.type)
    ]
    if not blobs or pf.metadata.num_rows == 0:
        return False
    col = pf.read_row_group(0, columns=blobs[:1]).column(0)[0].as_py()
    blob = col.get("bytes") if isinstance(col, dict) else col
    return isinstance(blob, bytes) and blob[:4] in (b"RIFF", b"fLaC", b"OggS", b"FORM")


# --- writing ----------------------------------------------------------------------------------
def write_audio(
    audio: Audio | Any,
    path: str | os.PathLike,
    *,
    format: str | None = None,
    overwrite: bool = False,
    subtype: str = "PCM_16",
) -> Path:
    """Write clips atomically; refuse to replace ``path`` unless ``overwrite``.

    Formats (by ``format``, else by the suffix of ``path``):
        - ``"wav"`` or ``"flac"`` to a folder (no suffix; WAV by default): ``000000.wav``, …,
          plus ``labels.csv`` (columns ``file`` and the label name, and ``source`` after
          augment()) when labelled, and ``spec.json`` (sample rate, length and class order, so
          :func:`read_audio` gives back the same codes); a single clip may go to one
          ``.wav`` / ``.flac`` file;
        - ``"parquet"`` (``.parquet``): an ``audio`` column, struct ``{bytes, path}`` holding a
          FLAC file per clip (WAV for float subtypes), the label as int64 codes and
          ``sample_rate``, with Hugging Face features (``Audio``, ``ClassLabel`` with the class
          names) in the schema metadata, so ``datasets.load_dataset("parquet", …)`` decodes them.

    Args:
        audio: :class:`Audio` (or anything :func:`~synthset.data.audio.as_audio` takes).
        path: the output folder or file.
        format: ``"wav"``, ``"flac"`` or ``"parquet"``; None picks it from the suffix.
        overwrite: replace an existing ``path``.
        subtype: the sample format (soundfile's name): ``"PCM_16"`` (16-bit, exact to 1/32768),
            ``"PCM_24"``, or ``"FLOAT"`` (WAV only).

    Returns:
        ``path``.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
        ConfigError: an unknown format, suffix or subtype.
    """
    from synthset.data.audio import as_audio

    audio = as_audio(audio)
    path = Path(path)
    fmt, single = _write_format(path, format)
    if single and len(audio) != 1:
        raise ConfigError(
            f"cannot write {len(audio)} clips to the single file {path.name}; write a folder "
            f"(a path without extension) or .parquet"
        )
    container = fmt.upper()
    if fmt == "parquet":  # FLAC blobs, but FLAC holds no floats: WAV for FLOAT / DOUBLE
        container = "WAV" if subtype.upper() in ("FLOAT", "DOUBLE") else "FLAC"
    _check_subtype(container, subtype)
    with atomic_path(path, overwrite=overwrite) as tmp:
        if single:
            tmp.write_bytes(encode_clip(audio.waveforms[0], audio.sample_rate, fmt, subtype))
        elif fmt == "parquet":
            _write_parquet(audio, tmp, container, subtype)
        else:
            _write_folder(audio, tmp, fmt, subtype)
    return path


def _write_format(path: Path, format: str | None) -> tuple[str, bool]:
    """(format, whether ``path`` is one audio file)."""
    suffix = path.suffix.lower()
    if format is not None:
        fmt = {"pq": "parquet", "folder": "wav"}.get(format.lower(), format.lower())
        if fmt not in WRITE_FORMATS:
            raise ConfigError(f"`format` must be one of {', '.join(WRITE_FORMATS)}, got {format!r}")
        return fmt, fmt != "parquet" and suffix == f".{fmt}"
    if suffix in (".parquet", ".pq"):
        return "parquet", False
    if suffix in (".wav", ".flac"):
        return suffix[1:], True
    if suffix == "" or path.is_dir():
        return "wav", False
    raise ConfigError(
        f"cannot write audio to {path.name}: unknown extension {suffix!r}; use a folder path "
        "(no extension), .parquet, or .wav / .flac for a single clip, or pass format="
    )


def _check_subtype(container: str, subtype: str) -> None:
    import soundfile as sf

    if not sf.check_format(container, subtype.upper()):
        ok = ", ".join(
            sorted(s for s in sf.available_subtypes(container) if "PCM" in s or s == "FLOAT")
        )
        raise ConfigError(
            f"`subtype` {subtype!r} cannot be written as {container}; use one of {ok}"
        )


def encode_clip(wave: np.ndarray, sample_rate: int, fmt: str, subtype: str = "PCM_16") -> bytes:
    """One 1-D float32 clip as the bytes of a WAV or FLAC file.

    16-bit PCM is quantised here as ``round(x · 32768)`` (clipped to int16), so reading it back
    (``int / 32768``) is within half a step of ``x`` (a full step at +1.0).
    """
    import soundfile as sf

    subtype = subtype.upper()
    data: np.ndarray = wave
    if subtype == "PCM_16":
        data = np.clip(np.rint(wave * 32768.0), -32768, 32767).astype(np.int16)
    buf = io.BytesIO()
    sf.write(buf, data, sample_rate, format=fmt.upper(), subtype=subtype)
    return buf.getvalue()


def _file_names(n: int, ext: str) -> list[str]:
    width = max(6, len(str(n - 1)))
    return [f"{i:0{width}d}.{ext}" for i in range(n)]


def _write_folder(audio: Audio, folder: Path, fmt: str, subtype: str) -> None:
    folder.mkdir(parents=True)
    names = _file_names(len(audio), fmt)
    sr = audio.sample_rate

    def write_one(i: int) -> None:
        (folder / names[i]).write_bytes(encode_clip(audio.waveforms[i], sr, fmt, subtype))

    for _ in pool_map(write_one, range(len(audio))):
        pass
    if audio.labels is not None or audio.source is not None:
        import pandas as pd

        frame = pd.DataFrame({"file": names})
        if audio.labels is not None:
            frame[audio.spec.label_name] = audio.label_names
        if audio.source is not None:  # augment()'s provenance: "real" / "synthetic"
            frame["source"] = audio.source
        # unlabelled clips keep their provenance beside them, not in a labels file
        csv = "labels.csv" if audio.labels is not None else "provenance.csv"
        frame.to_csv(folder / csv, index=False)
    (folder / "spec.json").write_text(json.dumps(audio.spec.to_dict(), indent=2) + "\n")


def _write_parquet(audio: Audio, path: Path, container: str, subtype: str) -> None:
    import pyarrow as pa

    sr = audio.sample_rate
    blobs = list(pool_map(lambda w: encode_clip(w, sr, container, subtype), audio.waveforms))
    audio_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    column = pa.StructArray.from_arrays(
        [pa.array(blobs, pa.binary()), pa.nulls(len(blobs), pa.string())],
        fields=list(audio_type),
    )
    columns: dict[str, Any] = {"audio": column}
    features: dict[str, Any] = {"audio": {"_type": "Audio", "sampling_rate": sr}}
    label = audio.spec.label_name
    if audio.labels is not None:
        if label in ("audio", "sample_rate"):
            raise DataError(f"the label is called {label!r}, which clashes with a column written")
        columns[label] = pa.array(audio.labels, pa.int64())
        features[label] = {"_type": "ClassLabel", "names": list(audio.spec.classes or [])}
    columns["sample_rate"] = pa.array(np.full(len(audio), sr, np.int32))
    features["sample_rate"] = {"dtype": "int32", "_type": "Value"}
    write_media_parquet(path, columns, features, audio.source, blobs)


__all__ = [
    "AUDIO_SUFFIXES",
    "AudioLengthWarning",
    "audio_files",
    "crop_rows",
    "encode_clip",
    "find_audio_column",
    "is_audio_parquet",
    "read_audio",
    "trim_silence_rows",
    "write_audio",
]
