"""Image I/O: read folders, .npz/.npy and Parquet into :class:`Images`, clean them, write them back.

>>> imgs = read_images("photos/", size=64, crop="center", mode="rgb")   # class subfolders
>>> write_images(imgs, "out/")                 # 000000.png … + labels.csv + spec.json
>>> write_images(imgs, "out.parquet")          # Hugging Face `Image` + `ClassLabel` columns

Cleaning happens at load time: files that cannot be decoded are skipped and counted in one
:class:`ImageLoadWarning`; exact duplicates (same pixels after conversion) are dropped and
counted in a :class:`DuplicateImageWarning`. Decoding is per file by nature (on a thread pool when
SYNTHSET_NUM_THREADS > 1) and assembled into one preallocated uint8 array. PNGs are written,
and simple 8-bit ones read, by the small codec in :mod:`synthset.data._png` (Pillow's per-image
overhead dominates on small images); everything else goes through Pillow
(:mod:`synthset.data._image_decode` holds the decoding and cleaning).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from synthset.data._image_decode import (
    N_EXAMPLES,
    Decoder,
    Loaded,
    conflicting_duplicates,
    decode_all,
    first_unique,
    pool_map,
)
from synthset.data._parquet import write_media_parquet
from synthset.data._png import encode_png
from synthset.data._split import read_labels_file
from synthset.data.images import Images, ImageSpec, _natural_sort
from synthset.errors import ConfigError, DataError, SynthsetWarning
from synthset.utils import atomic_path

IMAGE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".ppm",
    ".pgm",
    ".pbm",
    ".pnm",
)
LABEL_FILES = ("labels.csv", "metadata.csv")  # ours, and Hugging Face's imagefolder convention
FILE_COLUMNS = ("file", "path", "filename", "file_name", "filepath", "image")
NPZ_IMAGE_KEYS = ("x", "images", "pixels", "arr_0", "X", "data")
NPZ_LABEL_KEYS = ("y", "labels", "targets", "label", "target", "arr_1", "Y")
WRITE_FORMATS = ("folder", "parquet", "npz")
_MODES = {"grey": 1, "gray": 1, "l": 1, "rgb": 3}


class ImageLoadWarning(SynthsetWarning):
    """Some files could not be read as images and were skipped (the message counts them)."""


class DuplicateImageWarning(ImageLoadWarning):
    """Exact duplicate images (identical pixels) were removed (the message counts them)."""


# --- reading ----------------------------------------------------------------------------------
def read_images(
    path: str | os.PathLike,
    *,
    size: int | tuple[int, int] | None = None,
    crop: str | None = None,
    mode: str | None = None,
    dedup: bool = True,
    labels_file: str | os.PathLike | None = None,
    label_column: str = "label",
    name: str | None = None,
) -> Images:
    """Read images from a folder, an image file, .npz / .npy, or Parquet, cleaning them on the way.

    Sources:
        - a folder of class subfolders (the label is the subfolder name);
        - a folder with ``labels.csv`` (or ``metadata.csv``, or ``labels_file``): a file column
          (``file``, ``path``, ``filename``, ``file_name``…) with paths relative to the folder,
          and ``label_column``;
        - a flat folder of images (unlabelled), or a single image file;
        - ``.npz`` (images under ``x``/``images``/``pixels``/``arr_0``, labels under
          ``y``/``labels``/``targets``, class names under ``classes``) or ``.npy`` (unlabelled);
        - ``.parquet`` written by :func:`write_images` or by Hugging Face ``datasets`` (an image
          column that is a struct ``{bytes, path}`` or plain bytes, and ``label_column`` when
          present; ``ClassLabel`` codes are turned back into names).

    Args:
        path: where the images are.
        size: resize every image to ``size`` × ``size`` or ``(height, width)`` (Lanczos).
        crop: ``"center"`` crops each image to a centred square before resizing; None keeps it.
        mode: ``"grey"`` (or ``"L"``), ``"rgb"``, or None to keep: grey when every image is
            grey, else RGB. Alpha channels are dropped.
        dedup: drop exact duplicates (SHA-256 of the pixels after conversion), keeping the first.
        labels_file: a CSV of file names and labels for a folder (default: ``labels.csv``).
        label_column: the label column of the labels file or the Parquet file.
        name: the name of the result (default: the folder or file name).

    Returns:
        Uint8 :class:`Images`, labelled when the source has labels.

    Raises:
        DataError: nothing readable, images of different sizes without ``size=``, a labels file
            without the columns needed, or an unknown file type.
        ConfigError: an invalid ``size``, ``crop`` or ``mode``.

    Warns:
        ImageLoadWarning: files that could not be decoded were skipped (counted, a few named).
        DuplicateImageWarning: duplicates were removed (counted).
    """
    path = Path(path)
    target_hw = _check_size(size)
    channels = _check_mode(mode)
    if crop not in (None, "center"):
        raise ConfigError(f"`crop` must be 'center' or None, got {crop!r}")
    if not path.exists():
        raise DataError(f"no such file or folder: {path}")
    if labels_file is not None and not path.is_dir():
        raise ConfigError("`labels_file` applies to a folder of images; `path` is a file")
    decode = Decoder(target_hw, crop, channels)
    suffix = path.suffix.lower()
    if path.is_dir():
        loaded = _read_folder(path, decode, labels_file, label_column)
    elif suffix in (".npz", ".npy"):
        loaded = _read_numpy(path, decode)
    elif suffix in (".parquet", ".pq"):
        loaded = _read_parquet(path, decode, label_column)
    elif suffix in IMAGE_SUFFIXES:
        loaded = decode_all([path], decode, str(path.parent))
    else:
        raise DataError(
            f"cannot read images from {path.name}: unknown extension {suffix!r}; pass a folder, "
            f"an image file ({', '.join(IMAGE_SUFFIXES)}), .npz, .npy or .parquet"
        )
    if loaded.skipped:
        examples = ", ".join(f"{f} ({why})" for f, why in loaded.skipped[:N_EXAMPLES])
        more = ", …" if len(loaded.skipped) > N_EXAMPLES else ""
        warnings.warn(
            f"skipped {len(loaded.skipped)} of {loaded.total} images in {path} that could not be "
            f"read: {examples}{more}",
            ImageLoadWarning,
            stacklevel=2,
        )
    pixels, labels = loaded.pixels, loaded.labels
    if dedup:
        keep = first_unique(pixels)
        if len(keep) < len(pixels):
            msg = f"removed {len(pixels) - len(keep)} exact duplicate images of {len(pixels)}"
            if labels is not None:
                conflicts = conflicting_duplicates(pixels, labels, keep)
                if conflicts:
                    msg += f" ({conflicts} of them had another label than the copy kept)"
            warnings.warn(f"{msg} in {path}", DuplicateImageWarning, stacklevel=2)
            pixels = pixels[keep]
            labels = None if labels is None else labels[keep]
    classes = loaded.classes
    if labels is not None and classes is not None:
        # keep a given class order, adding any class the labels have beyond it
        extra = _natural_sort(sorted(set(np.unique(labels).tolist()) - set(classes)))
        classes = list(classes) + extra
    return Images.from_arrays(
        pixels,
        labels,
        classes=classes if labels is not None else None,
        label_name=loaded.label_name,
        name=name if name is not None else (path.stem or path.name),
    )


def _check_size(size: Any) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        hw = (int(size), int(size))
    elif (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)
    ):
        hw = (int(size[0]), int(size[1]))
    else:
        raise ConfigError(f"`size` must be an int or (height, width), got {size!r}")
    if min(hw) < 1:
        raise ConfigError(f"`size` must be at least 1 pixel, got {size!r}")
    return hw


def _check_mode(mode: str | None) -> int | None:
    """The channel count ``mode`` asks for (None: keep what the images have)."""
    if mode is None:
        return None
    key = str(mode).lower()
    if key not in _MODES:
        raise ConfigError(f"`mode` must be 'grey', 'rgb' or None (keep), got {mode!r}")
    return _MODES[key]


# --- folders ----------------------------------------------------------------------------------
def _read_folder(
    folder: Path, decode: Decoder, labels_file: str | os.PathLike | None, label_column: str
) -> Loaded:
    if labels_file is not None:
        csv = Path(labels_file)
        csv = csv if csv.is_absolute() or csv.exists() else folder / csv
        if not csv.is_file():
            raise DataError(f"labels file {labels_file} not found (looked in {folder})")
        return _read_labelled_folder(folder, csv, decode, label_column)
    for candidate in LABEL_FILES:
        if (folder / candidate).is_file():
            return _read_labelled_folder(folder, folder / candidate, decode, label_column)

    top = _image_files(folder, recursive=False)
    subdirs = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")]
    per_class = {d.name: files for d in subdirs if (files := _image_files(d, recursive=True))}
    if per_class and top:
        raise DataError(
            f"{folder} holds {len(top)} image file(s) beside the class folders "
            f"{', '.join(list(per_class)[:3])}; move them into a class folder, or list "
            "every file with its label in a labels.csv"
        )
    if per_class:
        files: list[Path] = []
        names: list[str] = []
        for label, inside in per_class.items():
            files += inside
            names += [label] * len(inside)
        loaded = decode_all(files, decode, str(folder), np.asarray(names, dtype=object))
        loaded.classes = _spec_classes(folder)
        return loaded
    if not top:
        raise DataError(
            f"no image files in {folder} (looked for {', '.join(IMAGE_SUFFIXES)} at the top level "
            "and in class subfolders)"
        )
    return decode_all(top, decode, str(folder))


def _image_files(folder: Path, *, recursive: bool) -> list[Path]:
    it = folder.rglob("*") if recursive else folder.iterdir()
    files = [
        p
        for p in it
        if p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.is_file()
    ]
    return sorted(files)


def _read_labelled_folder(folder: Path, csv: Path, decode: Decoder, label_column: str) -> Loaded:
    df, file_col, label_name = read_labels_file(csv, label_column, FILE_COLUMNS, "images")
    rel = df[file_col].to_numpy(dtype=object)
    names = df[label_name].to_numpy(dtype=object)
    missing_label = names == ""
    files = [Path(r) if Path(r).is_absolute() else folder / r for r in rel]
    kept = [f for f, m in zip(files, missing_label, strict=True) if not m]
    loaded = decode_all(kept, decode, str(folder), names[~missing_label])
    loaded.skipped = [(str(r), "no label") for r in rel[missing_label]] + loaded.skipped
    loaded.total = len(files)
    loaded.label_name = label_name
    loaded.classes = _spec_classes(folder)
    return loaded


def _spec_classes(folder: Path) -> list[str] | None:
    """The class order that :func:`write_images` recorded in ``spec.json``, if any."""
    spec_file = folder / "spec.json"
    if not spec_file.is_file():
        return None
    try:
        spec = ImageSpec.from_dict(json.loads(spec_file.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None  # not ours: the class order falls back to sorted names
    return spec.classes


# --- numpy and parquet ------------------------------------------------------------------------
def _read_numpy(path: Path, decode: Decoder) -> Loaded:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"cannot read {path.name} ({exc}); object arrays are refused (no pickle)"
        ) from None
    if path.suffix.lower() == ".npy":
        return _from_array(data, None, None, decode, path.name)
    with data:
        keys = list(data.keys())
        x_key = next((k for k in NPZ_IMAGE_KEYS if k in keys), None)
        if x_key is None:
            raise DataError(
                f"{path.name} has no image array; name it one of {', '.join(NPZ_IMAGE_KEYS)} "
                f"(it has {', '.join(keys)})"
            )
        y_key = next((k for k in NPZ_LABEL_KEYS if k in keys and k != x_key), None)
        x = data[x_key]
        y = None if y_key is None else data[y_key]
        classes = [str(c) for c in data["classes"].tolist()] if "classes" in keys else None
        label_name = str(data["label_name"]) if "label_name" in keys else "label"
    loaded = _from_array(x, y, classes, decode, path.name)
    loaded.label_name = label_name
    return loaded


def _from_array(
    x: np.ndarray, y: np.ndarray | None, classes: list[str] | None, decode: Decoder, what: str
) -> Loaded:
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3, 4):
        x = x.transpose(0, 2, 3, 1)  # N×C×H×W (torch layout) → N×H×W×C
    if x.ndim == 4 and x.shape[-1] == 4:
        x = x[..., :3]  # RGBA: drop alpha, as for files
    if x.ndim not in (3, 4):
        raise DataError(
            f"the images in {what} must be N×H×W or N×H×W×C, got shape {x.shape}; reshape "
            "flattened rows first, e.g. x.reshape(-1, 28, 28)"
        )
    pixels = Images.from_arrays(x).pixels  # uint8, floats in [0, 1] scaled; range checked
    pixels = decode.conform(pixels)
    names = None
    if y is not None:
        y = np.asarray(y).reshape(-1)
        if len(y) != len(pixels):
            raise DataError(f"{what} has {len(y)} labels for {len(pixels)} images")
        if classes is not None and np.issubdtype(y.dtype, np.integer):
            if y.size and (y.min() < 0 or y.max() >= len(classes)):
                raise DataError(f"label codes in {what} fall outside its {len(classes)} classes")
            names = np.asarray(classes, dtype=object)[y]
        else:
            names = y.astype(str).astype(object)
    return Loaded(pixels, names, classes if names is not None else None, total=len(pixels))


def _read_parquet(path: Path, decode: Decoder, label_column: str) -> Loaded:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"cannot read {path.name} as Parquet: {exc}") from None
    features = _hf_features(schema)
    image_col = _find_image_column(schema, features)
    if image_col is None:
        raise DataError(
            f"{path.name} has no image column (a struct {{bytes, path}} or a binary column); "
            f"its columns: {', '.join(schema.names)}"
        )
    has_label = label_column in schema.names
    if not has_label and label_column != "label":
        raise DataError(
            f"{path.name} has no column {label_column!r}; its columns: {', '.join(schema.names)}"
        )
    columns = [image_col] + ([label_column] if has_label else [])
    table = pq.read_table(path, columns=columns)
    col = table.column(image_col).combine_chunks()
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
    names = classes = None
    if has_label:
        lab = table.column(label_column).combine_chunks()
        if pa.types.is_dictionary(lab.type):
            lab = lab.cast(lab.type.value_type)
        if lab.null_count:
            raise DataError(
                f"{path.name}: {lab.null_count} rows have no {label_column!r}; drop them, or read "
                "the images unlabelled (label_column= a name that is not a column)"
            )
        feat = features.get(label_column, {})
        is_class_label = feat.get("_type") == "ClassLabel" and feat.get("names")
        if is_class_label and pa.types.is_integer(lab.type):
            classes = [str(c) for c in feat["names"]]
            codes = lab.to_numpy(zero_copy_only=False)
            if codes.size and (codes.min() < 0 or codes.max() >= len(classes)):
                raise DataError(
                    f"{path.name}: label codes fall outside the {len(classes)} classes "
                    "(-1, Hugging Face's 'no label', is not supported)"
                )
            names = np.asarray(classes, dtype=object)[codes]
        else:
            names = lab.cast(pa.string()).to_numpy(zero_copy_only=False).astype(object)
    loaded = decode_all(sources, decode, path.name, names)
    loaded.classes = classes
    loaded.label_name = label_column
    return loaded


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


def _find_image_column(schema: Any, features: dict[str, Any]) -> str | None:
    import pyarrow as pa

    for name, feat in features.items():
        if isinstance(feat, dict) and feat.get("_type") == "Image" and name in schema.names:
            return name
    candidates = []
    for f in schema:
        if pa.types.is_struct(f.type) and f.type.get_field_index("bytes") >= 0:
            candidates.append(f.name)
        elif pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            candidates.append(f.name)
    for preferred in ("image", "img", "images"):
        if preferred in candidates:
            return preferred
    return candidates[0] if candidates else None


# --- writing ----------------------------------------------------------------------------------
def write_images(
    images: Images | Any,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    format: str | None = None,
) -> Path:
    """Write images atomically; refuse to replace ``path`` unless ``overwrite``.

    Formats (by ``format``, else by the suffix of ``path``):
        - ``"folder"`` (no suffix): ``000000.png``, ``000001.png``, …, plus ``labels.csv``
          (columns ``file`` and the label name) when labelled, and ``spec.json`` (shape and class
          order, so that :func:`read_images` gives back the same codes);
        - ``"parquet"`` (``.parquet``): an ``image`` column, struct ``{bytes: PNG, path}``, and
          the label as int64 codes, with Hugging Face features (``Image``, ``ClassLabel`` with the
          class names) in the schema metadata, so ``datasets.load_dataset("parquet", …)``
          decodes them;
        - ``"npz"`` (``.npz``, uncompressed): ``x`` (uint8 N×H×W×C), and when labelled ``y``
          (int64 codes), ``classes`` and ``label_name``.

    Args:
        images: :class:`Images` (or anything :func:`~synthset.data.images.as_images` takes).
        path: the output folder or file.
        overwrite: replace an existing ``path``.
        format: ``"folder"``, ``"parquet"`` or ``"npz"``; None picks it from the suffix.

    Returns:
        ``path``.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
        ConfigError: an unknown format or suffix.
    """
    from synthset.data.images import as_images

    images = as_images(images)
    path = Path(path)
    fmt = _write_format(path, format)
    with atomic_path(path, overwrite=overwrite) as tmp:
        if fmt == "folder":
            _write_folder(images, tmp)
        elif fmt == "parquet":
            _write_parquet(images, tmp)
        else:
            arrays = {"x": images.pixels}
            if images.labels is not None:
                arrays["y"] = images.labels
                arrays["classes"] = np.asarray(images.spec.classes, dtype=str)
                arrays["label_name"] = np.asarray(images.spec.label_name)
            with open(tmp, "wb") as f:  # a file object: np.savez would append ".npz" to a name
                np.savez(f, **arrays)
    return path


def _write_format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = {"png": "folder", "pq": "parquet"}.get(format.lower(), format.lower())
        if fmt not in WRITE_FORMATS:
            raise ConfigError(f"`format` must be one of {', '.join(WRITE_FORMATS)}, got {format!r}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".npz":
        return "npz"
    if suffix == "" or path.is_dir():
        return "folder"
    raise ConfigError(
        f"cannot write images to {path.name}: unknown extension {suffix!r}; use a folder path "
        "(no extension), .parquet or .npz, or pass format="
    )


def _file_names(n: int) -> list[str]:
    width = max(6, len(str(n - 1)))
    return [f"{i:0{width}d}.png" for i in range(n)]


def _write_folder(images: Images, folder: Path) -> None:
    folder.mkdir(parents=True)
    names = _file_names(len(images))

    def write_one(i: int) -> None:
        (folder / names[i]).write_bytes(encode_png(images.pixels[i]))

    for _ in pool_map(write_one, range(len(images))):
        pass
    if images.labels is not None or images.source is not None:
        import pandas as pd

        frame = pd.DataFrame({"file": names})
        if images.labels is not None:
            frame[images.spec.label_name] = images.label_names
        if images.source is not None:  # augment()'s provenance: "real" / "synthetic"
            frame["source"] = images.source
        # unlabelled images keep their provenance beside them, not in a labels file
        csv = "labels.csv" if images.labels is not None else "provenance.csv"
        frame.to_csv(folder / csv, index=False)
    (folder / "spec.json").write_text(json.dumps(images.spec.to_dict(), indent=2) + "\n")


def _write_parquet(images: Images, path: Path) -> None:
    import pyarrow as pa

    blobs = list(pool_map(encode_png, images.pixels))
    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    image = pa.StructArray.from_arrays(
        [pa.array(blobs, pa.binary()), pa.nulls(len(blobs), pa.string())],
        fields=list(image_type),
    )
    columns = {"image": image}
    features: dict[str, Any] = {"image": {"_type": "Image"}}
    label = images.spec.label_name
    if images.labels is not None:
        if label == "image":
            raise DataError("the label is called 'image', which clashes with the image column")
        # int64 codes: Hugging Face reads the ClassLabel feature only over an int64 column
        columns[label] = pa.array(images.labels, pa.int64())
        features[label] = {"_type": "ClassLabel", "names": list(images.spec.classes or [])}
    write_media_parquet(path, columns, features, images.source, blobs)


__all__ = [
    "DuplicateImageWarning",
    "IMAGE_SUFFIXES",
    "ImageLoadWarning",
    "read_images",
    "write_images",
]
