"""The bundled audio dataset ``spoken_digits``: the words "zero" … "nine", spoken by espeak-ng.

>>> train = datasets.load("spoken_digits")                 # Audio: 500 × 1.0 s at 16 kHz
>>> test = datasets.load("spoken_digits", split="test")    # 200 clips of held-out voices

Nothing ships as audio: the clips are rendered on first use by Debian's ``espeak-ng`` (``apt-get
install espeak-ng``), made harder to classify, and cached as FLAC files under
``$SYNTHSET_CACHE_DIR/datasets`` (default ``~/.cache/synthset/datasets``);
``synthset datasets build spoken-digits`` builds them explicitly. The recipe of one clip:

1. espeak-ng says the word with a random accent (``en-us``, ``en-gb-scotland``, ``en-029``, …),
   voice variant (``+m3``, ``+f2``, ``+croak``, ``+whisper``, ``+klatt2``, …), speed (120-200
   words a minute) and pitch (20-80); the train and test splits use disjoint voice variants, so
   the test voices are really unheard;
2. resampled from 22,050 Hz to 16 kHz, silence trimmed, placed at a random offset in a 1.0 s clip;
3. a room: convolved with a synthetic impulse response (a direct path plus exponentially decaying
   noise of random RT60 in 0.1-0.6 s, direct-to-reverberant ratio -6…+12 dB);
4. background noise at a random SNR of 0-20 dB (over the speech): pink, brown, or babble made of
   four other clips of the same split;
5. loudness-normalised to -20 dBFS (peaks below -1 dBFS).

Every random choice comes from one seed (``make_rng`` on seeds derived per split and stage), and
espeak-ng renders the same bytes for the same arguments, so a seed gives the same clips; the
manifest records the seed, the espeak-ng version and the settings. Steps 2-5 work on the whole
split at once (one resampling call, one batched FFT convolution, one FFT for the noise).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from synthset.data.audio import Audio, AudioSpec, normalize_loudness
from synthset.data.audio_io import _stack_resampled, crop_rows, read_audio, trim_silence_rows
from synthset.errors import DataError, OutputExistsError
from synthset.utils import atomic_path, derive_seed, make_rng

NAME = "spoken_digits"
RECIPE_VERSION = 1  # bump when the recipe changes: the cache key changes with it
CLASSES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SAMPLE_RATE = 16_000
CLIP_SECONDS = 1.0
SPLITS = ("train", "test")
DEFAULT_PER_CLASS = {"train": 50, "test": 20}
ACCENTS = (
    "en-gb",
    "en-us",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-029",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-us-nyc",
)
# espeak-ng voice variants (``espeak-ng --voices=variant``), disjoint between the splits
VARIANTS = {
    "train": tuple(
        "m1 m2 m3 m4 m5 m6 f1 f2 f3 croak klatt klatt2 klatt3 whisper adam anika belinda "
        "benjamin caleb david ed edward iven john linda max michel norbert pablo quincy rob robert "
        "steph travis zac Alex Andy Annie Gene Jacky Lee Mario Michael Mike Tweaky".split()
    ),
    "test": tuple(
        "m7 m8 f4 f5 klatt4 whisperf grandpa aunty boris gustave iven2 marcelo miguel paul pedro "
        "shelby victor Henrique Hugo Denis".split()
    ),
}
SPEED = (120, 200)  # words per minute (espeak-ng -s)
PITCH = (20, 80)  # espeak-ng -p, 0-99
RT60 = (0.1, 0.6)  # seconds for the reverberation to decay by 60 dB
DRR_DB = (-6.0, 12.0)  # direct-to-reverberant energy ratio
SNR_DB = (0.0, 20.0)  # speech power over noise power, speech measured where the word is
NOISES = ("pink", "brown", "babble")
BABBLE_TALKERS = 4
LOUDNESS_DBFS = -20.0
ESPEAK_ENV = "SYNTHSET_ESPEAK_NG"  # another espeak-ng binary (default: the one on PATH)


# --- espeak-ng ----------------------------------------------------------------------------------
def espeak_binary() -> str:
    """The espeak-ng executable; a DataError says how to install it when it is missing."""
    exe = os.environ.get(ESPEAK_ENV) or shutil.which("espeak-ng")
    if not exe or (not Path(exe).is_file() and shutil.which(exe) is None):
        raise DataError(
            "the spoken_digits dataset is rendered by espeak-ng, which is not installed; "
            "install it with `apt-get install espeak-ng` (Debian / Ubuntu; `brew install "
            f"espeak-ng` on macOS), or point {ESPEAK_ENV} at the binary"
        )
    return exe


def espeak_available() -> bool:
    """True when espeak-ng can be run (tests skip on False)."""
    try:
        espeak_binary()
    except DataError:
        return False
    return True


def espeak_version() -> str:
    """``"1.51"``: the version espeak-ng reports (recorded in the manifest)."""
    out = subprocess.run(
        [espeak_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout
    words = out.split()
    return words[words.index("text-to-speech:") + 1] if "text-to-speech:" in words else out.strip()


def draw_settings(
    split: str, per_class: int, seed: int, accents: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """The voice settings of every clip of ``split``: ``per_class`` clips of each word in class
    order, each with a random accent, variant (from the split's own set), speed and pitch."""
    rng = make_rng(derive_seed(seed, SPLITS.index(split), 0))
    accents = tuple(accents or ACCENTS)
    variants = VARIANTS[split]
    n = per_class * len(CLASSES)
    return {
        "label": np.repeat(np.arange(len(CLASSES)), per_class),
        "accent": np.asarray(accents, dtype=object)[rng.integers(0, len(accents), n)],
        "variant": np.asarray(variants, dtype=object)[rng.integers(0, len(variants), n)],
        "speed": rng.integers(SPEED[0], SPEED[1] + 1, n),
        "pitch": rng.integers(PITCH[0], PITCH[1] + 1, n),
    }


def render_words(
    settings: dict[str, np.ndarray],
    *,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Run espeak-ng once per clip (``--stdout``, in parallel threads) and decode the WAVs.

    One process per clip costs ~10 ms; the processes run concurrently (the threads only wait on
    them), ``workers`` at a time (default: the CPU count, at most 8).

    Returns:
        (1-D float32 clips, their sample rates).
    """
    import io

    import soundfile as sf

    exe = espeak_binary()
    n = len(settings["label"])
    workers = workers or min(8, os.cpu_count() or 1)

    def one(i: int) -> tuple[np.ndarray, int]:
        voice = f"{settings['accent'][i]}+{settings['variant'][i]}"
        cmd = [exe, "-v", voice, "-s", str(settings["speed"][i]), "-p", str(settings["pitch"][i])]
        cmd += ["--stdout", CLASSES[settings["label"][i]]]
        res = subprocess.run(cmd, capture_output=True, check=False)
        if res.returncode != 0 or len(res.stdout) <= 44:
            raise DataError(
                f"espeak-ng failed on {' '.join(cmd[1:])}: "
                f"{res.stderr.decode(errors='replace').strip() or 'no audio'}"
            )
        x, sr = sf.read(io.BytesIO(res.stdout), dtype="float32")
        return x, int(sr)

    clips: list[np.ndarray] = []
    rates: list[int] = []
    with ThreadPoolExecutor(workers) as pool:
        for i, (x, sr) in enumerate(pool.map(one, range(n))):
            clips.append(x)
            rates.append(sr)
            if progress is not None:
                progress(i + 1, n)
    return clips, np.asarray(rates, dtype=np.int64)


# --- the acoustic recipe (whole split at once) ---------------------------------------------------
def place_words(
    clips: list[np.ndarray], rates: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample to 16 kHz, trim silence, place each word at a random offset in a 1.0 s clip.

    Returns:
        (N×16000 float32 clips, the offset of each word, its length in samples).
    """
    width = round(CLIP_SECONDS * SAMPLE_RATE)
    wave, lengths = _stack_resampled(clips, rates, SAMPLE_RATE, None)
    wave, lengths = trim_silence_rows(wave, lengths, SAMPLE_RATE)
    lengths = np.minimum(lengths, width)  # the slowest voices may overrun 1 s: cut
    offset = np.floor(rng.random(len(wave)) * (width - lengths + 1)).astype(np.int64)
    placed = crop_rows(wave, np.zeros(len(wave), np.int64), lengths, width, offset)
    return placed, offset, lengths


def add_room(
    x: np.ndarray, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convolve each clip with its own synthetic room impulse response (one batched FFT call).

    The response is a unit direct path plus Gaussian noise decaying by 60 dB over RT60 seconds,
    scaled to the clip's direct-to-reverberant ratio; the output keeps the input's length.

    Returns:
        (reverberant clips, RT60 of each, DRR in dB of each).
    """
    from scipy.signal import fftconvolve

    n, t = x.shape
    rt60 = rng.uniform(*RT60, n)
    drr_db = rng.uniform(*DRR_DB, n)
    taps = int(np.ceil(RT60[1] * sample_rate))
    time_s = np.arange(taps) / sample_rate
    tail = rng.standard_normal((n, taps)) * np.exp(-3.0 * np.log(10.0) * time_s / rt60[:, None])
    tail[:, 0] = 0.0
    tail *= (10.0 ** (-drr_db / 20.0) / np.sqrt(np.sum(tail**2, axis=1)))[:, None]
    tail[:, 0] = 1.0  # the direct path
    wet = fftconvolve(x.astype(np.float64), tail, mode="full", axes=1)[:, :t]
    return wet, rt60, drr_db


def add_noise(
    x: np.ndarray, offset: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add pink, brown or babble noise to each clip at a random SNR over its speech.

    Coloured noise is white noise shaped by 1/f^α in one batched FFT (α = 1 pink, 2 brown);
    babble sums ``BABBLE_TALKERS`` other clips, each circularly shifted by a random delay.

    Returns:
        (noisy clips, the noise kind of each, its SNR in dB).
    """
    n, t = x.shape
    kind = rng.integers(0, len(NOISES), n)
    snr_db = rng.uniform(*SNR_DB, n)
    freqs = np.fft.rfftfreq(t, 1.0 / SAMPLE_RATE)
    freqs[0] = freqs[1]
    alpha = np.where(kind == NOISES.index("brown"), 2.0, 1.0)
    spectrum = np.fft.rfft(rng.standard_normal((n, t)), axis=1) * freqs ** (-alpha[:, None] / 2)
    noise = np.fft.irfft(spectrum, n=t, axis=1)
    others = rng.integers(0, n, (n, BABBLE_TALKERS))
    shifts = rng.integers(0, t, (n, BABBLE_TALKERS))
    cols = np.arange(t)
    babble = np.zeros((n, t))
    for k in range(BABBLE_TALKERS):  # a handful of talkers, each a gather over all clips
        babble += np.take_along_axis(x[others[:, k]], (cols + shifts[:, k, None]) % t, axis=1)
    is_babble = kind == NOISES.index("babble")
    noise[is_babble] = babble[is_babble]
    inside = (cols >= offset[:, None]) & (cols < (offset + lengths)[:, None])
    speech_power = np.sum(np.where(inside, x, 0.0) ** 2, axis=1) / np.maximum(lengths, 1)
    noise_power = np.maximum(np.mean(noise**2, axis=1), 1e-20)
    gain = np.sqrt(speech_power / noise_power * 10.0 ** (-snr_db / 10.0))
    return x + gain[:, None] * noise, np.asarray(NOISES, dtype=object)[kind], snr_db


def make_split(
    split: str,
    per_class: int,
    *,
    seed: int = 0,
    accents: Sequence[str] | None = None,
    effects: bool = True,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Audio, dict[str, np.ndarray]]:
    """Render one split in memory.

    Args:
        split: ``"train"`` or ``"test"`` (they differ in their voice variants and seeds).
        per_class: clips of each word.
        seed: the seed of every random choice.
        accents: the espeak-ng accents to draw from (default: all eight).
        effects: False skips the room and the noise (the clean words, placed and normalised),
            with the same voices and offsets.
        workers: espeak-ng processes at a time.
        progress: called as ``progress(done, total)`` while espeak-ng renders.

    Returns:
        (the clips, the settings of each clip as columns: label, accent, variant, speed, pitch,
        offset_ms, rt60, drr_db, noise, snr_db).
    """
    if split not in SPLITS:
        raise DataError(f"spoken_digits has no split {split!r}; available: {', '.join(SPLITS)}")
    if not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise DataError(f"`per_class` must be an int ≥ 1, got {per_class!r}")
    settings = draw_settings(split, int(per_class), seed, accents)
    clips, rates = render_words(settings, workers=workers, progress=progress)
    rng = make_rng(derive_seed(seed, SPLITS.index(split), 1))
    wave, offset, lengths = place_words(clips, rates, rng)
    settings["offset_ms"] = np.round(offset * 1000.0 / SAMPLE_RATE, 1)
    if effects:
        wave, settings["rt60"], settings["drr_db"] = add_room(wave, rng)
        wave, settings["noise"], settings["snr_db"] = add_noise(wave, offset, lengths, rng)
    wave = normalize_loudness(wave.astype(np.float32), LOUDNESS_DBFS)
    spec = AudioSpec(SAMPLE_RATE, wave.shape[1], list(CLASSES), "label")
    return Audio(wave, settings["label"].astype(np.int64), spec, name=NAME), settings


# --- building and caching ------------------------------------------------------------------------
def build_spoken_digits(
    out: str | os.PathLike,
    *,
    seed: int = 0,
    per_class: int | dict[str, int] | None = None,
    accents: Sequence[str] | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Render the dataset into ``out``: ``train/`` and ``test/`` folders of FLAC files with
    ``labels.csv``, ``spec.json`` and ``settings.csv`` (every clip's voice, room and noise), and
    ``manifest.json`` (seed, espeak-ng version, recipe, clip counts, build time). Atomic.

    Args:
        out: the output folder.
        seed: the seed of every random choice.
        per_class: clips of each word per split: an int for the train split (the test split
            gets 2/5 of it, at least 1), or ``{"train": 50, "test": 20}`` (the default).
        accents: restrict the accents (default: all eight).
        overwrite: replace an existing ``out``.
        workers: espeak-ng processes at a time.
        progress: called as ``progress(split, done, total)`` while espeak-ng renders.

    Returns:
        ``out``.

    Raises:
        DataError: espeak-ng is missing or fails.
        OutputExistsError: ``out`` exists and ``overwrite`` is false.
    """
    from synthset.data.audio_io import write_audio

    counts = _per_class(per_class)
    version = espeak_version()
    start = time.perf_counter()
    out = Path(out)
    with atomic_path(out, overwrite=overwrite) as tmp:
        tmp.mkdir(parents=True)
        clips = {}
        for split in SPLITS:
            step = None if progress is None else (lambda d, t, s=split: progress(s, d, t))
            audio, settings = make_split(
                split, counts[split], seed=seed, accents=accents, workers=workers, progress=step
            )
            write_audio(audio, tmp / split, format="flac")
            _write_settings(settings, tmp / split / "settings.csv")
            clips[split] = len(audio)
        manifest = {
            "name": NAME,
            "recipe_version": RECIPE_VERSION,
            "seed": seed,
            "per_class": counts,
            "clips": clips,
            "classes": CLASSES,
            "sample_rate": SAMPLE_RATE,
            "clip_seconds": CLIP_SECONDS,
            "espeak_ng_version": version,
            "accents": list(accents or ACCENTS),
            "variants": {s: list(v) for s, v in VARIANTS.items()},
            "speed_wpm": list(SPEED),
            "pitch": list(PITCH),
            "rt60_s": list(RT60),
            "drr_db": list(DRR_DB),
            "snr_db": list(SNR_DB),
            "noises": list(NOISES),
            "loudness_dbfs": LOUDNESS_DBFS,
            "build_seconds": round(time.perf_counter() - start, 2),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def _per_class(per_class: int | dict[str, int] | None) -> dict[str, int]:
    if per_class is None:
        return dict(DEFAULT_PER_CLASS)
    if isinstance(per_class, dict):
        counts = {**DEFAULT_PER_CLASS, **per_class}
    else:
        counts = {"train": per_class, "test": max(1, round(per_class * 2 / 5))}
    for split, k in counts.items():
        if split not in SPLITS or not isinstance(k, (int, np.integer)) or k < 1:
            raise DataError(
                "`per_class` must be an int ≥ 1 or {'train': int, 'test': int}, got "
                f"{per_class!r}"
            )
    return {s: int(counts[s]) for s in SPLITS}


def _write_settings(settings: dict[str, np.ndarray], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(settings)
    frame.insert(0, "file", [f"{i:06d}.flac" for i in range(len(frame))])
    frame["label"] = np.asarray(CLASSES, dtype=object)[settings["label"]]
    frame.round(4).to_csv(path, index=False)


def cache_dir() -> Path:
    """``$SYNTHSET_CACHE_DIR/datasets`` or ``~/.cache/synthset/datasets``."""
    root = os.environ.get("SYNTHSET_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "synthset"
    return base / "datasets"


def default_build_dir(seed: int = 0, per_class: int | dict[str, int] | None = None) -> Path:
    """The cache folder of a build (:func:`read_spoken_digits` reads the one of the defaults)."""
    counts = _per_class(per_class)
    return cache_dir() / f"{NAME}-r{RECIPE_VERSION}-seed{seed}-{counts['train']}x{counts['test']}"


def load_built(folder: str | os.PathLike, split: str) -> Audio:
    """One split of a dataset that :func:`build_spoken_digits` wrote to ``folder``."""
    folder = Path(folder)
    if not (folder / "manifest.json").is_file():
        raise DataError(f"{folder} is not a spoken_digits build (no manifest.json)")
    if split not in SPLITS:
        raise DataError(f"spoken_digits has no split {split!r}; available: {', '.join(SPLITS)}")
    return read_audio(folder / split, name=NAME)


def read_spoken_digits(split: str) -> Audio:
    """The default build (seed 0, 50 / 20 clips per word), rendered into the cache on first use
    (a few seconds; espeak-ng is needed only then)."""
    folder = default_build_dir()
    if not (folder / "manifest.json").is_file():
        try:
            build_spoken_digits(folder)
        except OutputExistsError:
            pass  # another process built it meanwhile
    return load_built(folder, split)


__all__ = [
    "CLASSES",
    "build_spoken_digits",
    "cache_dir",
    "default_build_dir",
    "espeak_available",
    "espeak_version",
    "load_built",
    "make_split",
    "read_spoken_digits",
]
