"""``evaluate(real, synthetic, holdout=None, target=None)`` → :class:`Report`.

Tables, images, texts and audio clips take the same call: the modality of ``real`` decides which
registered metrics run (``register_metric(..., modality=...)``) and which context they read.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthset.data.table import Table, as_table
from synthset.errors import ConfigError, DataError, SynthsetError, SynthsetWarning
from synthset.evaluation.base import FAMILIES, EvalContext, MetricResult, get_metric, list_metrics
from synthset.evaluation.report import Report

IMAGE_FILE_SUFFIXES = (".npz", ".npy")
TEXT_FILE_SUFFIXES = (".txt", ".jsonl", ".ndjson")
_MODALITY_WORDS = {"table": "a table", "image": "images", "text": "texts", "audio": "audio clips"}
AUDIO_EXAMPLES_PER_CLASS = 2  # real and synthetic clips per class kept for the report's players
AUDIO_EXAMPLES_UNLABELLED = 6
TEXT_SAMPLES_PER_CLASS = 4  # real and synthetic texts per class kept for the report's samples
TEXT_SAMPLES_UNLABELLED = 10


class MetricFailedWarning(SynthsetWarning):
    """A metric raised an error; the report shows it as not computed."""


def evaluate(
    real: Any,
    synthetic: Any,
    holdout: Any = None,
    *,
    target: str | None = None,
    metrics: Sequence[str] | str | None = None,
    seed: int = 0,
    sensitive: str | None = None,
    linkability_columns: tuple[Sequence[str], Sequence[str]] | None = None,
    sample_rows: int = 5_000,
    device: str | None = None,
    image_resolution: int = 224,
    max_images: int = 2_000,
    cache_dir: str | os.PathLike | bool | None = None,
    privacy: Any = None,
    text_embedder: str = "auto",
    max_texts: int = 2_000,
    reference_model: Any = None,
    max_clips: int = 2_000,
) -> Report:
    """Measure how good synthetic data is: fidelity, utility and privacy.

    Args:
        real: the data the synthesizer was trained on: a table (Table, DataFrame or a
            .csv / .parquet path), images (:class:`~synthset.data.images.Images`, a folder or
            a .npz / .npy path), texts (:class:`~synthset.data.texts.Texts`, or a .txt /
            .jsonl path) or audio clips (:class:`~synthset.data.audio.Audio`, a folder of WAV /
            FLAC files, or a .parquet file of encoded clips).
        synthetic: generated data of the same kind (same columns; same image size and
            channels, labels by class name; texts of the same kind, text or dialogue, labels
            by class name).
        holdout: real data the synthesizer never saw; needed by the privacy baselines and
            used as the test set of the utility metrics.
        target: a column to predict for the table utility metrics (skipped without it);
            images and texts use their labels instead.
        metrics: families (``"fidelity"``) and/or metric names; None runs every metric of the
            data's modality.
        seed: seed of every subsample, fold and model the metrics use.
        sensitive: a column the ``attribute_inference`` attack tries to guess from the others
            (tables; the attack is skipped without it).
        linkability_columns: two disjoint lists of columns the ``linkability`` attack tries to
            join through the synthetic rows (tables; default: the first and second half of the
            non-id columns).
        sample_rows: rows of each input kept in the report for plots (tables).
        device: where image feature extractors and classifiers, the text embedder, and the
            audio spectrograms and classifiers run; None picks CUDA when available, else the
            CPU (images, texts and audio).
        image_resolution: side the images are resized to for the ImageNet feature extractor;
            224 is the network's own. On a CPU, 64 is ~15× faster and ranks small images the
            same way, but FID values are only comparable at one resolution (images only).
        max_images: feature metrics use a seeded subsample of at most this many images of each
            set; the pixel-space memorisation search and the exact-copy count use every
            training image (images only).
        cache_dir: folder of the cached domain classifiers (None: ``$SYNTHSET_CACHE_DIR`` or
            ``~/.cache/synthset``; False: no cache) (images only).
        privacy: the differential-privacy record of the synthesizer that made ``synthetic``:
            the fitted synthesizer, its ``privacy_`` dict, or the path of a saved model. The
            report then states the (ε, δ) guarantee and what the preprocessing paid for; a
            synthesizer trained without DP is stated as such.
        text_embedder: the sentence embedder of the text metrics: ``"auto"`` (the packaged
            all-MiniLM-L6-v2 when sentence-transformers is installed, else ``"lexical"``),
            ``"minilm"`` or ``"lexical"`` (TF-IDF → TruncatedSVD fitted on the real texts;
            fast, but blind to paraphrase) (texts only).
        max_texts: embedding-based text metrics, self-BLEU, distinct-n and the memorisation
            search use a seeded subsample of at most this many texts of each set (texts only).
        reference_model: the model the ``perplexity`` metric scores texts with: None for an
            interpolated Kneser-Ney trigram model fitted on the real texts, or any object with
            ``.perplexity(texts)`` returning a float or one perplexity per text (combined as
            their geometric mean), such as a fitted ``gpt`` synthesizer; texts are passed as
            plain strings. Scoring a synthesizer's samples under that same synthesizer is
            optimistic: use a model fitted on the real texts apart from it (texts only).
        max_clips: embedding metrics and classifiers use a seeded subsample of at most this
            many clips of each set; the exact-copy search uses every clip (audio only).

    Returns:
        A :class:`Report` (``.to_html()``, ``.to_json()``, ``.to_markdown()``).
    """
    dp_record = privacy_record(privacy)
    if _is_audio(real):
        if sensitive is not None or linkability_columns is not None or target is not None:
            raise ConfigError(
                "`target`, `sensitive` and `linkability_columns` name table columns; audio "
                "clips are evaluated on their labels, so leave them out"
            )
        return _evaluate_audio(
            real,
            synthetic,
            holdout,
            metrics=metrics,
            seed=seed,
            device=device,
            max_clips=max_clips,
            dp_record=dp_record,
        )
    if _is_images(real):
        if sensitive is not None or linkability_columns is not None:
            raise ConfigError(
                "`sensitive` and `linkability_columns` name table columns; leave them out for "
                "images"
            )
        return _evaluate_images(
            real,
            synthetic,
            holdout,
            target=target,
            metrics=metrics,
            seed=seed,
            device=device,
            image_resolution=image_resolution,
            max_images=max_images,
            cache_dir=cache_dir,
            dp_record=dp_record,
        )
    if _is_texts(real):
        if sensitive is not None or linkability_columns is not None or target is not None:
            raise ConfigError(
                "`target`, `sensitive` and `linkability_columns` name table columns; texts are "
                "evaluated on their labels, so leave them out"
            )
        return _evaluate_texts(
            real,
            synthetic,
            holdout,
            metrics=metrics,
            seed=seed,
            device=device,
            embedder=text_embedder,
            max_texts=max_texts,
            reference_model=reference_model,
            dp_record=dp_record,
        )
    real_t = as_table(real)
    spec = real_t.spec
    syn = _aligned(synthetic, real_t, "synthetic")
    hold = _aligned(holdout, real_t, "holdout") if holdout is not None else None
    if target is not None and target not in spec:
        raise ConfigError(f"`target` {target!r} is not a column; columns: {', '.join(spec.names)}")
    _check_attack_columns(spec, sensitive, linkability_columns)
    links = (
        None
        if linkability_columns is None
        else (tuple(linkability_columns[0]), tuple(linkability_columns[1]))
    )
    names = _select(metrics, "table")
    ctx = EvalContext(
        real_t.data,
        syn,
        hold,
        spec,
        target=target,
        seed=seed,
        sensitive=sensitive,
        linkability_columns=links,
    )
    results, seconds = _run_metrics(names, ctx)
    from synthset import __version__

    meta = {
        "rows": {
            "real": len(real_t.data),
            "synthetic": len(syn),
            "holdout": None if hold is None else len(hold),
        },
        "columns": spec.names,
        "kinds": {c.name: c.kind for c in spec.columns},
        "datetime_formats": {c.name: c.format for c in spec.columns if c.format},
        "target": target,
        "sensitive": sensitive,
        "linkability_columns": None if links is None else [list(c) for c in links],
        "seed": seed,
        "seconds": seconds,
        "synthset_version": __version__,
    }
    if dp_record is not None:
        meta["differential_privacy"] = dp_record
    return Report(
        metrics=results,
        meta=meta,
        real_sample=real_t.data.sample(min(sample_rows, len(real_t.data)), random_state=seed),
        synthetic_sample=syn.sample(min(sample_rows, len(syn)), random_state=seed),
    )


def _check_attack_columns(
    spec: Any,
    sensitive: str | None,
    linkability_columns: tuple[Sequence[str], Sequence[str]] | None,
) -> None:
    """Raise a ConfigError listing every problem with ``sensitive`` / ``linkability_columns``."""
    usable = [c.name for c in spec.columns if c.kind != "id"]
    problems = []
    if sensitive is not None and sensitive not in usable:
        why = "an id column" if sensitive in spec else "not a column"
        problems.append(f"`sensitive` {sensitive!r} is {why}; columns: {', '.join(usable)}")
    if linkability_columns is not None:
        sets = list(linkability_columns) if not isinstance(linkability_columns, str) else []
        if len(sets) != 2 or any(isinstance(s, str) or not len(s) for s in sets):
            problems.append(
                "`linkability_columns` must be two non-empty lists of column names, e.g. "
                "(['age', 'sex'], ['zip', 'income'])"
            )
        else:
            unknown = [c for s in sets for c in s if c not in usable]
            shared = sorted(set(sets[0]) & set(sets[1]))
            if unknown:
                problems.append(
                    f"`linkability_columns` names {unknown}, which are not (non-id) columns; "
                    f"columns: {', '.join(usable)}"
                )
            if shared:
                problems.append(f"`linkability_columns` must be disjoint; both hold {shared}")
    if problems:
        raise ConfigError("; ".join(problems))


def _run_metrics(
    names: list[str], ctx: Any, *, stacklevel: int = 3
) -> tuple[list[MetricResult], dict[str, float]]:
    """Every metric of ``names`` on ``ctx``, judged, with its seconds (``stacklevel`` points a
    failed metric's warning at the caller of ``evaluate``)."""
    from threadpoolctl import threadpool_limits

    from synthset.utils import default_cpu_threads

    results: list[MetricResult] = []
    seconds: dict[str, float] = {}
    for name in names:
        info = get_metric(name)
        t0 = time.perf_counter()
        try:
            # scikit-learn's OpenMP and BLAS threads as torch's (one unless
            # SYNTHSET_NUM_THREADS says more): with another process on the second core,
            # spin-waiting threads made the detection classifier 50x slower (54 s for 3,000
            # rows, against ~1 s on one thread)
            with threadpool_limits(limits=default_cpu_threads()):
                out = info.fn(ctx)
        except SynthsetError:
            raise
        except Exception as exc:  # a broken metric must not lose the rest of the report
            warnings.warn(
                f"metric {name!r} failed: {exc}", MetricFailedWarning, stacklevel=stacklevel
            )
            out = MetricResult(
                name,
                info.family,
                float("nan"),
                True,
                details={"error": f"{type(exc).__name__}: {exc}"},
            )
        seconds[name] = round(time.perf_counter() - t0, 4)
        for r in [] if out is None else out if isinstance(out, list) else [out]:
            if r.thresholds and "pass" in r.thresholds and "warn" in r.thresholds:
                r.judge(r.thresholds["pass"], r.thresholds["warn"])  # set by the metric itself
            else:
                r.judge(info.pass_at, info.warn_at)
            results.append(r)
    return results, seconds


# --- images ------------------------------------------------------------------------------------
def _is_images(data: Any) -> bool:
    """True for :class:`Images`, a folder, or a .npz / .npy file (what ``read_images`` reads)."""
    if getattr(data, "modality", None) == "image":
        return True
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        return path.is_dir() or path.suffix.lower() in IMAGE_FILE_SUFFIXES
    return False


def _evaluate_images(
    real: Any,
    synthetic: Any,
    holdout: Any,
    *,
    target: str | None,
    metrics: Sequence[str] | str | None,
    seed: int,
    device: str | None,
    image_resolution: int,
    max_images: int,
    cache_dir: str | os.PathLike | bool | None,
    dp_record: dict[str, Any] | None = None,
) -> Report:
    from synthset.data.images import as_images
    from synthset.evaluation.images.context import ImageEvalContext

    if target is not None:
        raise ConfigError(
            "`target` names a table column; images are evaluated on their labels, so leave "
            "`target` out"
        )
    real_i = as_images(real)
    syn = _aligned_images(synthetic, real_i, "synthetic")
    hold = _aligned_images(holdout, real_i, "holdout") if holdout is not None else None
    names = _select(metrics, "image")
    ctx = ImageEvalContext(
        real_i,
        syn,
        hold,
        seed=seed,
        device=device or "auto",
        resolution=image_resolution,
        max_images=max_images,
        cache_dir=cache_dir,
    )
    results, seconds = _run_metrics(names, ctx, stacklevel=4)
    from synthset import __version__

    spec = real_i.spec
    meta = {
        "modality": "image",
        "images": {
            "real": len(real_i),
            "synthetic": len(syn),
            "holdout": None if hold is None else len(hold),
        },
        "image_shape": list(spec.shape),
        "classes": spec.classes,
        "labelled": {
            "real": real_i.labels is not None,
            "synthetic": syn.labels is not None,
            "holdout": None if hold is None else hold.labels is not None,
        },
        "seed": seed,
        "device": str(ctx.device),
        "image_resolution": image_resolution,
        "max_images": max_images,
        "seconds": seconds,
        "synthset_version": __version__,
    }
    if dp_record is not None:
        meta["differential_privacy"] = dp_record
    return Report(metrics=results, meta=meta, real_images=real_i, synthetic_images=syn)


# --- audio -------------------------------------------------------------------------------------
def _is_audio(data: Any) -> bool:
    """True for :class:`Audio`, an audio file (WAV, FLAC, ...), a folder holding audio files
    (directly or in class subfolders), or a Parquet file of encoded clips (what
    ``read_audio`` reads)."""
    if getattr(data, "modality", None) == "audio":
        return True
    if not isinstance(data, (str, os.PathLike)):
        return False
    from synthset.data.audio_io import AUDIO_SUFFIXES, audio_files, is_audio_parquet

    path = Path(data)
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return True
    if path.is_dir():
        return bool(audio_files(path, recursive=True))
    if suffix in (".parquet", ".pq") and path.is_file():
        return is_audio_parquet(path)
    return False


def _evaluate_audio(
    real: Any,
    synthetic: Any,
    holdout: Any,
    *,
    metrics: Sequence[str] | str | None,
    seed: int,
    device: str | None,
    max_clips: int,
    dp_record: dict[str, Any] | None = None,
) -> Report:
    from synthset.data.audio import as_audio
    from synthset.evaluation.audio.context import AudioEvalContext

    names = _select(metrics, "audio")
    ctx = AudioEvalContext(
        as_audio(real),
        synthetic,
        holdout,
        seed=seed,
        device=device or "auto",
        max_clips=max_clips,
    )
    results, seconds = _run_metrics(names, ctx, stacklevel=4)
    from synthset import __version__

    real_a, syn, hold = ctx.real, ctx.synthetic, ctx.holdout
    spec = real_a.spec
    domain = ctx._cache.get("domain")
    meta = {
        "modality": "audio",
        "clips": {
            "real": len(real_a),
            "synthetic": len(syn),
            "holdout": None if hold is None else len(hold),
        },
        "sample_rate": spec.sample_rate,
        "duration": spec.duration,
        "classes": spec.classes,
        "labelled": {
            "real": real_a.labels is not None,
            "synthetic": syn.labels is not None,
            "holdout": None if hold is None else hold.labels is not None,
        },
        "class_counts": {"real": real_a.class_counts(), "synthetic": syn.class_counts()},
        "mel": ctx.mel.to_dict(),
        "domain_classifier": None if domain is None else domain.info_,
        "seed": seed,
        "device": str(ctx.device),
        "max_clips": max_clips,
        "seconds": seconds,
        "synthset_version": __version__,
    }
    if dp_record is not None:
        meta["differential_privacy"] = dp_record
    examples = {"real": _audio_examples(real_a, seed), "synthetic": _audio_examples(syn, seed)}
    return Report(metrics=results, meta=meta, audio_examples=examples)


def _audio_examples(clips: Any, seed: int) -> Any:
    """A few clips per class (or a few clips), seeded, for the report's players."""
    if clips.labels is not None and clips.spec.classes:
        return clips.per_class(AUDIO_EXAMPLES_PER_CLASS, seed=seed)
    n = min(AUDIO_EXAMPLES_UNLABELLED, len(clips))
    return clips[np.sort(np.random.default_rng(seed).choice(len(clips), n, replace=False))]


# --- texts -------------------------------------------------------------------------------------
def _is_texts(data: Any) -> bool:
    """True for :class:`Texts`, or a .txt / .jsonl file (what ``read_texts`` reads as text)."""
    if getattr(data, "modality", None) == "text":
        return True
    if isinstance(data, (str, os.PathLike)):
        return Path(data).suffix.lower() in TEXT_FILE_SUFFIXES
    return False


def _evaluate_texts(
    real: Any,
    synthetic: Any,
    holdout: Any,
    *,
    metrics: Sequence[str] | str | None,
    seed: int,
    device: str | None,
    embedder: str,
    max_texts: int,
    reference_model: Any,
    dp_record: dict[str, Any] | None = None,
) -> Report:
    from synthset.data.texts import as_texts
    from synthset.evaluation.text.context import TextEvalContext

    real_t = as_texts(real)
    syn = _aligned_texts(synthetic, real_t, "synthetic")
    hold = _aligned_texts(holdout, real_t, "holdout") if holdout is not None else None
    names = _select(metrics, "text")
    ctx = TextEvalContext(
        real_t,
        syn,
        hold,
        seed=seed,
        embedder=embedder,
        device=device or "auto",
        max_texts=max_texts,
        reference_model=reference_model,
    )
    results, seconds = _run_metrics(names, ctx, stacklevel=4)
    from synthset import __version__

    spec = real_t.spec
    used = ctx._cache.get("embedder")
    meta = {
        "modality": "text",
        "texts": {
            "real": len(real_t),
            "synthetic": len(syn),
            "holdout": None if hold is None else len(hold),
        },
        "kind": spec.kind,
        "classes": spec.classes,
        "text_columns": {
            "text": spec.text_name,
            "label": spec.label_name if spec.classes else None,
            "context": spec.context_name if spec.kind == "dialogue" else None,
        },
        "labelled": {
            "real": real_t.labels is not None,
            "synthetic": syn.labels is not None,
            "holdout": None if hold is None else hold.labels is not None,
        },
        "mean_words": {
            "real": float(real_t.lengths().mean()) if len(real_t) else None,
            "synthetic": float(syn.lengths().mean()) if len(syn) else None,
        },
        "seed": seed,
        "device": str(ctx.device),
        "text_embedder": None if used is None else used.info()["embedder"],
        "max_texts": max_texts,
        "reference_model": None if reference_model is None else type(reference_model).__name__,
        "seconds": seconds,
        "synthset_version": __version__,
    }
    if dp_record is not None:
        meta["differential_privacy"] = dp_record
    return Report(
        metrics=results,
        meta=meta,
        real_sample=_text_samples(real_t, seed),
        synthetic_sample=_text_samples(syn, seed),
    )


def _text_samples(texts: Any, seed: int) -> Any:
    """A few texts per class (or a few texts), seeded, as a frame for the report's samples."""
    if texts.labels is not None and texts.spec.classes:
        picked = texts.per_class(TEXT_SAMPLES_PER_CLASS, seed=seed)
    else:
        n = min(TEXT_SAMPLES_UNLABELLED, len(texts))
        pos = np.sort(np.random.default_rng(seed).choice(len(texts), n, replace=False))
        picked = texts[pos]
    return picked.to_frame()


def _aligned_texts(data: Any, real: Any, what: str) -> Any:
    """``data`` as Texts of the real texts' kind, its labels recoded to the real classes by
    name (a DataError names a kind mismatch or classes the real texts lack)."""
    from synthset.data.texts import Texts, TextSpec, as_texts

    if isinstance(data, Table) or hasattr(data, "columns"):
        raise DataError(f"the real data are texts but the {what} data is a table")
    if getattr(data, "modality", None) == "image":
        raise DataError(f"the real data are texts but the {what} data are images")
    texts = as_texts(data)
    rs = real.spec
    if texts.spec.kind != rs.kind:
        raise DataError(
            f"the real texts are {rs.kind} data but the {what} texts are {texts.spec.kind} data; "
            "evaluate dialogue pairs against dialogue pairs (with contexts)"
        )
    spec = TextSpec(rs.classes, rs.label_name, rs.kind, rs.text_name, rs.context_name)
    if texts.labels is None or not rs.classes:
        return Texts(texts.texts, None, spec, contexts=texts.contexts, name=texts.name)
    if texts.spec.classes == rs.classes:
        return Texts(texts.texts, texts.labels, spec, contexts=texts.contexts, name=texts.name)
    names = texts.label_names.astype(str)
    unknown = sorted(set(names.tolist()) - set(rs.classes))
    if unknown:
        raise DataError(
            f"the {what} texts have labels the real texts lack: {unknown[:5]}; the real "
            f"classes are {rs.classes}"
        )
    lookup = {c: i for i, c in enumerate(rs.classes)}
    uniq, inv = np.unique(names, return_inverse=True)
    codes = np.array([lookup[u] for u in uniq], dtype=np.int64)[inv.reshape(-1)]
    return Texts(texts.texts, codes, spec, contexts=texts.contexts, name=texts.name)


DP_KEYS = (
    "epsilon",
    "delta",
    "target_epsilon",
    "accountant",
    "noise_multiplier",
    "max_grad_norm",
    "sample_rate",
    "steps",
    "rows",
    "private_networks",
    "guarantee",
    "delta_selection",
)


def privacy_record(privacy: Any) -> dict[str, Any] | None:
    """The report's account of differential privacy: from a synthesizer, its ``privacy_``
    dict, or a saved model's folder. ``{"dp": False}`` for a model trained without DP.

    Raises:
        ConfigError: an object that is none of these, or a dict without ε and δ.
    """
    if privacy is None:
        return None
    if isinstance(privacy, (str, os.PathLike)):
        from synthset.artifacts import read_config

        config = read_config(privacy)
        record = config.get("privacy")
        name = config.get("synthesizer")
    elif isinstance(privacy, dict) and "dp" in privacy:  # already a record
        return privacy
    elif isinstance(privacy, dict):
        record, name = privacy, None
    elif hasattr(privacy, "get_params") and hasattr(privacy, "spec_"):
        record, name = getattr(privacy, "privacy_", None), getattr(privacy, "name", None)
    else:
        raise ConfigError(
            "`privacy` must be a fitted synthesizer, its privacy_ dict or a saved model's "
            f"folder, got {type(privacy).__name__}"
        )
    if not record:
        return {"dp": False, "synthesizer": name}
    if "epsilon" not in record or "delta" not in record:
        raise ConfigError("`privacy` lacks 'epsilon' and 'delta'; pass a synthesizer's privacy_")
    out = {"dp": True, "synthesizer": name, **{k: record[k] for k in DP_KEYS if k in record}}
    pre = record.get("preprocessing") or {}
    out["preprocessing"] = {
        k: pre[k] for k in ("epsilon_alone", "noise_multiplier", "columns", "public") if k in pre
    }
    return out


def _aligned_images(data: Any, real: Any, what: str) -> Any:
    """``data`` as Images of the real images' size, its labels recoded to the real classes by
    name (a DataError names a size mismatch or classes the real images lack)."""
    from synthset.data.images import Images, ImageSpec, as_images

    if isinstance(data, (Table,)) or hasattr(data, "columns"):
        raise DataError(f"the real data are images but the {what} data is a table")
    imgs = as_images(data)
    if imgs.spec.shape != real.spec.shape:
        h, w, c = real.spec.shape
        hh, ww, cc = imgs.spec.shape
        raise DataError(
            f"the {what} images are {hh}×{ww}×{cc} but the real images are {h}×{w}×{c}; "
            "resize them (read_images(..., size=...)) or convert the channels (mode='rgb' / "
            "'grey') first"
        )
    if imgs.labels is None or not real.spec.classes:
        spec = ImageSpec(*real.spec.shape, real.spec.classes, real.spec.label_name)
        return Images(imgs.pixels, None, spec, name=imgs.name)
    if imgs.spec.classes == real.spec.classes:
        return imgs
    names = imgs.label_names.astype(str)
    unknown = sorted(set(names.tolist()) - set(real.spec.classes))
    if unknown:
        raise DataError(
            f"the {what} images have labels the real images lack: {unknown[:5]}; the real "
            f"classes are {real.spec.classes}"
        )
    lookup = {c: i for i, c in enumerate(real.spec.classes)}
    uniq, inv = np.unique(names, return_inverse=True)
    codes = np.array([lookup[u] for u in uniq], dtype=np.int64)[inv]
    return Images(imgs.pixels, codes, real.spec, name=imgs.name)


def _aligned(data: Any, real: Table, what: str):
    """``data`` as a frame with the real data's columns, in its order (a DataError lists any
    missing or extra columns). Only the shape is checked: a synthetic column that came out all
    missing is something to score, not an input error."""
    df = data.data if isinstance(data, Table) else as_table(data, real.spec).data
    missing = [c for c in real.spec.names if c not in df.columns]
    extra = [c for c in df.columns if c not in real.spec]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"the {what} data lacks columns {missing}")
        if extra:
            hint = ""
            if "synthset_source" in extra:
                hint = (
                    " (synthset_source is augment()'s provenance column: evaluate the rows "
                    "where it is 'synthetic', without that column)"
                )
            problems.append(f"the {what} data has columns the real data lacks: {extra}{hint}")
        raise DataError(problems)
    return df[real.spec.names]


def _select(metrics: Sequence[str] | str | None, modality: str = "table") -> list[str]:
    """Metric names from families and / or names, all of ``modality`` (a ConfigError names a
    metric of the other modality)."""
    if metrics is None:
        return list_metrics(modality=modality)
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    names: list[str] = []
    for m in metrics:
        if m in FAMILIES:
            chosen = list_metrics(m, modality=modality)
        else:
            info = get_metric(m)
            if info.modality != modality:
                raise ConfigError(
                    f"metric {m!r} is an {info.modality} metric, but the data given is "
                    f"{_MODALITY_WORDS[modality]}; its metrics: "
                    f"{', '.join(list_metrics(modality=modality))}"
                )
            chosen = [info.name]
        names += [n for n in chosen if n not in names]
    if not names:
        raise ConfigError("`metrics` selects no metric")
    return names
