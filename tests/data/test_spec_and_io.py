"""Spec detection, its JSON round trip, and table I/O with clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis.extra.pandas import column, data_frames

from synthset.data import Table, TableSpec, read_table, write_table
from synthset.errors import DataError, SynthsetError


def test_detect_kinds(tiny_frame):
    df = tiny_frame.assign(
        id=np.arange(64),
        code=[f"k{i:03d}" for i in range(64)],
        binary=np.arange(64) % 2,
        day=pd.Series(pd.date_range("2024-01-01", periods=64)).dt.strftime("%Y-%m-%d"),
    )
    spec = TableSpec.detect(df)
    kinds = {c.name: c.kind for c in spec.columns}
    assert kinds == {
        "x": "continuous",
        "count": "discrete",
        "color": "categorical",
        "flag": "boolean",
        "when": "datetime",
        "const": "categorical",
        "id": "id",
        "code": "id",
        "binary": "categorical",
        "day": "datetime",
    }
    assert spec["x"].nullable and spec["x"].decimals == 2
    assert spec["const"].is_constant
    assert spec["when"].resolution == "D"


def test_override_and_json_round_trip(tiny_frame):
    spec = TableSpec.detect(tiny_frame, overrides={"count": "categorical"})
    assert spec["count"].kind == "categorical" and spec["count"].categories == sorted(
        tiny_frame["count"].unique().tolist()
    )
    again = TableSpec.from_json(spec.to_json())
    assert again == spec


@settings(max_examples=30, deadline=None)
@given(
    data_frames(
        [
            column("a", dtype=float),
            column("b", elements=__import__("hypothesis").strategies.sampled_from(["u", "v", "w"])),
        ]
    )
)
def test_detection_is_stable(df):
    try:
        spec = TableSpec.detect(df)
    except DataError:  # empty, all-missing or infinite columns are rejected, not mis-detected
        return
    assert TableSpec.from_json(spec.to_json()) == spec
    assert TableSpec.detect(df) == spec


def test_bad_frames_list_every_problem():
    df = pd.DataFrame({"a": [np.nan, np.nan], "b": [None, None], "c": [1, 2]})
    with pytest.raises(DataError) as e:
        TableSpec.detect(df)
    assert "'a'" in str(e.value) and "'b'" in str(e.value)
    with pytest.raises(DataError, match="no rows"):
        TableSpec.detect(pd.DataFrame({"a": []}))
    with pytest.raises(DataError, match="unknown kind"):
        TableSpec.detect(pd.DataFrame({"a": [1, 2]}), overrides={"a": "weird"})


def test_read_write_round_trip(tmp_path, tiny_frame):
    for ext in ("csv", "parquet"):
        p = write_table(Table(tiny_frame), tmp_path / f"t.{ext}")
        back = read_table(p)
        assert back.shape == tiny_frame.shape
        with pytest.raises(SynthsetError, match="overwrite"):
            write_table(Table(tiny_frame), p)
    back = read_table(tmp_path / "t.parquet").data
    pd.testing.assert_frame_equal(back, tiny_frame, check_dtype=False)


def test_read_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "latin.csv").write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_table(tmp_path / "latin.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no rows"):
        read_table(tmp_path / "header.csv")
    (tmp_path / "x.xlsx").write_text("?")
    with pytest.raises(DataError, match="extension"):
        read_table(tmp_path / "x.xlsx")


def test_split_keeps_spec_and_stratifies(tiny_frame):
    t = Table(tiny_frame)
    a, b = t.split(0.75, seed=0, stratify="color")
    assert len(a) + len(b) == 64 and a.spec is t.spec
    share = lambda x: (x.data["color"] == "red").mean()  # noqa: E731
    assert abs(share(a) - share(t)) < 0.05
