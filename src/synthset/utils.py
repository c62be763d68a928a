"""Small helpers shared across the package: random generators, devices, CPU threads."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from synthset.errors import ConfigError


def make_rng(seed: int | None) -> np.random.Generator:
    """A NumPy generator for ``seed`` (fresh entropy when None). Never touches global state."""
    return np.random.default_rng(seed)


def make_torch_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded from ``seed`` (fresh entropy when None)."""
    g = torch.Generator(device=device)
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**63 - 1))
    g.manual_seed(int(seed))
    return g


def derive_seed(seed: int | None, *keys: int) -> int | None:
    """A deterministic child seed of ``seed`` for the given integer keys (None stays None)."""
    if seed is None:
        return None
    ss = np.random.SeedSequence([int(seed), *[int(k) for k in keys]])
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> 1)


def resolve_device(device: str | None) -> torch.device:
    """``"auto"``/None → CUDA when available, else CPU; anything else must be a valid device."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"`device` must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("`device` is 'cuda' but no CUDA device is available; use device='cpu'")
    return dev


def default_cpu_threads() -> int:
    """Threads torch should use on the CPU unless the user set ``SYNTHSET_NUM_THREADS``.

    Measured on the 2-core CI machines: the small matrices of tabular GANs run no faster on two
    OpenMP threads than on one, and when another process holds a core, spin-waiting OpenMP
    threads make a step 10-20x slower. One thread is the safe default; users with idle cores
    raise it with ``SYNTHSET_NUM_THREADS``.
    """
    env = os.environ.get("SYNTHSET_NUM_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError as exc:
            raise ConfigError(f"SYNTHSET_NUM_THREADS must be an int >= 1, got {env!r}") from exc
        if n < 1:
            raise ConfigError(f"SYNTHSET_NUM_THREADS must be an int >= 1, got {env!r}")
        return n
    return 1


@contextmanager
def cpu_threads(n: int | None):
    """Temporarily set torch's intra-op threads (restored afterwards)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False):
    """Yield a temporary sibling path; on success rename it onto ``path``.

    Refuses to replace an existing ``path`` unless ``overwrite`` is true, so nothing is lost.
    """
    from synthset.errors import OutputExistsError

    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; pass overwrite=True (CLI: --overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        _remove(tmp)
    try:
        yield tmp
        if path.exists():
            _remove(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            _remove(tmp)


def _remove(p: Path) -> None:
    import shutil

    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    else:
        p.unlink()
