"""Will a sample fit? Memory and disk estimates, checked before any rows are drawn or written.

A request such as ``sample(10**12)`` would otherwise run until the machine runs out of memory or
disk. The checks compare an estimate of the bytes a sample needs with what the machine has and
refuse with the numbers and the fix (fewer records, streaming to a file, another disk). Free
memory comes from ``/proc/meminfo`` (and the cgroup limit, inside a container) or
``os.sysconf``; where neither is available the memory check is skipped.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any

from synthset.errors import ConfigError

# written files may come out somewhat larger than the estimate from a first batch
DISK_MARGIN = 1.1
# a Python str holding a short text: object header, length, hash, a few characters
_MIN_TEXT_BYTES = 56


def available_memory() -> int | None:
    """Bytes of memory this process can still allocate (None where unknown)."""
    free = _meminfo_available()
    limit = _cgroup_headroom()
    known = [v for v in (free, limit) if v is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _cgroup_headroom() -> int | None:
    """The memory limit of this process's cgroup minus what it uses (None: no limit)."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit == "max" or int(limit) >= 2**60:  # v1 writes "no limit" as a huge number
                return None
            return max(int(limit) - int(Path(usage_file).read_text().strip()), 0)
        except (OSError, ValueError):
            continue
    return None


def free_disk(path: str | os.PathLike) -> tuple[int, Path]:
    """(free bytes, the existing folder they were measured on) for a file to be written at
    ``path``."""
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free, folder


def format_bytes(n: float) -> str:
    """``1.5 GB``, ``830 MB``, ``12 kB`` (powers of 1000, as disk tools print)."""
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def check_memory(
    n: int, bytes_each: float, *, units: str, hint: str, exact: bool = True, basis: str = ""
) -> None:
    """Refuse ``n`` records of ``bytes_each`` bytes when they cannot fit in memory.

    Args:
        n: records asked for.
        bytes_each: estimated bytes per record while sampling (all copies included).
        units: what a record is called (``rows``, ``images``).
        hint: the fix, after "ask for fewer {units}, or ...".
        exact: False when ``bytes_each`` is a lower bound ("at least").
        basis: how ``bytes_each`` was found, for the message ("measured on 16,384 rows").

    Raises:
        ConfigError: the estimate exceeds the memory available.
    """
    free = available_memory()
    need = n * bytes_each
    if free is None or need <= free:
        return
    fit = int(free // bytes_each) if bytes_each > 0 else n
    about = "about" if exact else "at least"
    raise ConfigError(
        f"`n_samples`={n:,} {units} would need {about} {format_bytes(need)} of memory "
        f"({_per(bytes_each)} per {units.rstrip('s')}{' ' + basis if basis else ''}), but "
        f"{format_bytes(free)} is available; "
        f"ask for fewer {units} (about {fit:,} fit), or {hint}"
    )


def check_disk(
    path: str | os.PathLike,
    n: int,
    bytes_each: float,
    *,
    units: str,
    basis: str,
    exact: bool = True,
) -> None:
    """Refuse to write ``n`` records of ``bytes_each`` bytes to ``path`` when the disk it is on
    has not that much free space (with a 10% margin).

    Args:
        basis: how ``bytes_each`` was found, for the message ("from the first 16,384 rows").

    Raises:
        ConfigError: naming the estimate, the free space and the fix.
    """
    need = n * bytes_each * DISK_MARGIN
    free, folder = free_disk(path)
    if need <= free:
        return
    fit = int(free / (bytes_each * DISK_MARGIN)) if bytes_each > 0 else n
    about = "about" if exact else "at least"
    raise ConfigError(
        f"writing {n:,} {units} to {Path(path).name} needs {about} {format_bytes(need)} "
        f"({_per(bytes_each)} per {units.rstrip('s')} {basis}, plus 10%), but only "
        f"{format_bytes(free)} is free on {folder}; ask for fewer {units} (about {fit:,} fit) "
        "or write to another disk"
    )


def _per(bytes_each: float) -> str:
    if bytes_each >= 1000:
        return format_bytes(bytes_each)
    return f"{bytes_each:.3g} bytes"


# --- images, texts and audio: estimated from the spec -----------------------------------------
def item_bytes(model: Any) -> tuple[float, bool] | None:
    """(bytes one generated record holds in memory, whether that is exact rather than a lower
    bound) for image, text and audio synthesizers; None for tables (measured from a batch)."""
    spec = getattr(model, "spec_", None)
    modality = getattr(model, "modality", None)
    if modality == "image" and hasattr(spec, "shape"):
        return float(math.prod(spec.shape)) + 8, True  # uint8 pixels + an int64 label
    if modality == "audio" and hasattr(spec, "length"):
        return float(spec.length) * 4 + 8, True  # float32 samples + a label
    if modality == "text":
        pairs = getattr(spec, "kind", "text") == "dialogue"
        return float(_MIN_TEXT_BYTES * (2 if pairs else 1)), False
    return None


def output_item_bytes(model: Any) -> float | None:
    """A lower bound of the bytes one image, text or clip takes in an output file (PNG and
    FLAC compress; a JSONL line holds at least its braces and key)."""
    spec = getattr(model, "spec_", None)
    modality = getattr(model, "modality", None)
    if modality == "image" and hasattr(spec, "shape"):
        return math.prod(spec.shape) / 8
    if modality == "audio" and hasattr(spec, "length"):
        return spec.length / 4
    if modality == "text":
        return 12.0
    return None


def check_sample_memory(model: Any, n: int) -> None:
    """Refuse ``model.sample(n)`` for an image, text or audio model when ``n`` records cannot
    fit in memory (tables are checked from their first batch instead)."""
    est = item_bytes(model)
    if est is None:
        return
    bytes_each, exact = est
    units = {"image": "images", "audio": "clips"}.get(model.modality, "texts")
    check_memory(
        n,
        bytes_each,
        units=units,
        exact=exact,
        hint="draw them in several calls of sample() and write each part as you go",
    )
