"""Parquet of encoded media (PNG images, FLAC clips) in the Hugging Face datasets layout,
shared by the image and audio writers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def write_media_parquet(
    path: Path,
    columns: dict[str, Any],
    features: dict[str, Any],
    source: np.ndarray | None,
    blobs: list[bytes],
) -> None:
    """Write ``columns`` (pyarrow arrays) with their Hugging Face ``features`` as schema
    metadata, plus augment()'s ``source`` provenance when given, in row groups of about 64 MB
    of encoded media (at most 10,000 rows), so that readers can stream them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns, features = dict(columns), dict(features)
    if source is not None:  # augment()'s provenance: "real" / "synthetic"
        columns["source"] = pa.array(source.astype(str)).dictionary_encode()
        features["source"] = {"dtype": "string", "_type": "Value"}
    table = pa.table(columns)
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode("utf-8")}
    table = table.replace_schema_metadata(meta)
    mean_bytes = max(1, sum(map(len, blobs)) // max(1, len(blobs)))
    pq.write_table(table, path, row_group_size=int(np.clip(64 * 2**20 // mean_bytes, 1, 10_000)))
