"""A table sample as a sequence of batches: joined into one frame, or re-cut to any size.

A table synthesizer draws its rows in its own batches (their size fixes how its random
generators are consumed, so it never changes with what the caller asks for). ``sample`` joins
them with :func:`collect`, after checking from the first batch that the whole frame fits in
memory; ``iter_sample`` hands them out re-cut by :func:`recut`. Both read the same batches, so
the same seed gives the same rows either way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from synthset.sampling.budget import check_memory

# while ``collect`` concatenates, the batches and the joined frame are in memory together
CONCAT_COPIES = 2
STREAM_HINT = (
    "stream them in batches: `for part in model.iter_sample(n, batch_rows=100_000): ...`, or "
    "`synthset.sampling.stream.write_sample(model, n, path)` / `synthset sample`, which write a "
    "file batch by batch"
)


def collect(frames: Iterator[pd.DataFrame], n: int) -> pd.DataFrame:
    """The ``n`` rows of ``frames`` as one frame (index 0 … n-1).

    Raises:
        ConfigError: the first batch says the whole frame would not fit in memory (nothing
            more is drawn).
    """
    first = next(frames)
    if len(first) < n:
        per_row = first.memory_usage(index=False, deep=True).sum() / max(len(first), 1)
        check_memory(
            n,
            per_row * CONCAT_COPIES,
            units="rows",
            hint=STREAM_HINT,
            basis=f"as measured on the first {len(first):,}, twice over while they are joined",
        )
    parts = [first, *frames]
    if len(parts) == 1:
        return first.reset_index(drop=True)
    return pd.concat(parts, ignore_index=True)


def recut(frames: Iterator[pd.DataFrame], batch_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of ``frames`` in consecutive frames of ``batch_rows`` rows (the last may be
    shorter), each indexed from the row it starts at."""
    parts: list[pd.DataFrame] = []
    have = done = 0
    for frame in frames:
        start = 0
        while start < len(frame):
            take = min(batch_rows - have, len(frame) - start)
            parts.append(frame.iloc[start : start + take])
            have += take
            start += take
            if have == batch_rows:
                yield _join(parts, done)
                done += have
                parts, have = [], 0
    if parts:
        yield _join(parts, done)


def _join(parts: list[pd.DataFrame], offset: int) -> pd.DataFrame:
    out = parts[0] if len(parts) == 1 else pd.concat(parts)
    out.index = pd.RangeIndex(offset, offset + len(out))
    return out
