"""Helpers shared by the image benchmarks (error records, atomic writes, grids, load)."""

from __future__ import annotations

import os
import platform
import traceback
from pathlib import Path

import numpy as np


def error_record(exc: BaseException) -> dict[str, str]:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": "".join(tb)}


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def save_png(grid: np.ndarray, path: Path, scale: int = 2) -> None:
    from PIL import Image

    img = grid[..., 0] if grid.shape[-1] == 1 else grid
    img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.png")
    Image.fromarray(img).save(tmp)
    tmp.replace(path)


def load_avg() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (or what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
