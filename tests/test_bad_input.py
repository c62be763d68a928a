"""Bad input gets a named error, not a traceback; huge samples stream or are refused (issue 14).

Column types a table cannot hold, malformed JSONL lines, and sample requests too large for
memory or disk: each gives one ``error: …`` line and exit code 1 on the command line, naming the
problem and the fix. Table samples stream batch by batch with the rows of a one-shot sample.
"""

from __future__ import annotations

import datetime
import decimal
import errno
import json
from collections import namedtuple

import numpy as np
import pandas as pd
import pytest

from synthset import make_synthesizer
from synthset.data import Table, read_table, write_table
from synthset.data.texts import read_texts
from synthset.errors import ConfigError, DataError, OutputExistsError
from synthset.sampling import budget, stream
from synthset.sampling.stream import write_sample
from tests.conftest import IMAGE_TINY_PARAMS, TINY_PARAMS, make_tiny_frame, make_tiny_images
from tests.test_cli import assert_one_line_error, invoke

TABLE_SYNTHS = sorted(TINY_PARAMS)
TINY_CLI_PARAMS = {
    "gaussian_copula": [],
    "ctgan": ["-p", "epochs=1", "-p", "batch_size=16", "-p", "pac=2", "-p", "embedding_dim=8"],
    "tvae": ["-p", "epochs=1", "-p", "batch_size=16", "-p", "embedding_dim=8"],
}




def frame_with(column) -> pd.DataFrame:
    n = len(column)
    return pd.DataFrame({"bad": column, "x": np.arange(n) % 5, "city": ["Lyon", "Oslo"] * (n // 2)})


def table_for_streaming(n: int = 64) -> pd.DataFrame:
    """The tiny frame plus an id column (ids must continue across batches)."""
    df = make_tiny_frame(n)
    df["row_id"] = np.arange(1000, 1000 + n)
    return df


@pytest.fixture(scope="module")
def fitted():
    """Every table synthesizer, fitted once on the tiny frame."""
    df = table_for_streaming()
    return {name: make_synthesizer(name, **TINY_PARAMS[name]).fit(df) for name in TABLE_SYNTHS}


# --- 1. column types a table cannot hold -----------------------------------------------------
BAD_COLUMNS = {
    "lists": ([[1, 2], [3]] * 10, "lists (e.g. [1, 2])"),
    "dicts": ([{"a": 1}, {"a": 2}] * 10, "dicts (e.g. {'a': 1})"),
    "bytes": ([b"ab", b"cd"] * 10, "bytes (e.g. b'ab')"),
    "mixed": ([1, "a", 2.5, "b"] * 5, "mixed types (e.g. str 'a', int 1, float 2.5)"),
    "dates": ([datetime.date(2024, 1, 1 + i % 28) for i in range(20)], "dates"),
    "decimals": ([decimal.Decimal(i) / 4 for i in range(20)], "Decimals"),
    "durations": (pd.to_timedelta(np.arange(20), unit="h"), "durations"),
    "arrays": ([np.arange(2), np.arange(3)] * 10, "lists (e.g. [0, 1])"),
}


@pytest.mark.parametrize("kind", sorted(BAD_COLUMNS))
def test_table_rejects_a_column_it_cannot_hold_naming_it_and_the_fix(kind):
    values, described = BAD_COLUMNS[kind]

    with pytest.raises(DataError) as info:
        Table(frame_with(values))

    message = str(info.value)
    assert f"column 'bad' holds {described}" in message
    assert "df = df.drop(columns=['bad'])" in message
    assert "'x'" not in message and "'city'" not in message


def test_every_bad_column_is_named_in_one_error():
    df = frame_with([[1], [2]] * 10)
    df["blob"] = [b"x"] * 20
    df["note"] = pd.Series([1, "one"] * 10, dtype=object)

    with pytest.raises(DataError) as info:
        Table(df)

    assert [p.split(" holds")[0] for p in info.value.problems] == [
        "column 'bad'",
        "column 'blob'",
        "column 'note'",
    ]
    assert "df['note'] = df['note'].astype(str)" in str(info.value)


def test_object_columns_of_one_scalar_type_still_pass():
    df = frame_with(pd.Series([1, None, 3, 4] * 5, dtype=object))
    df["word"] = pd.Series(["a", None, "b", np.nan] * 5, dtype=object)
    df["flag"] = pd.Series([True, False, None, True] * 5, dtype=object)

    table = Table(df)

    assert table.spec["flag"].kind == "boolean"


def test_a_list_hidden_after_many_strings_is_found():
    values = ["plain"] * 50_000 + [["nested"]]

    with pytest.raises(DataError, match=r"column 'bad' holds lists \(e\.g\. \['nested'\]\)"):
        Table(pd.DataFrame({"bad": values}))


def test_spec_given_tables_are_checked_too():
    spec = Table(frame_with(["a", "b"] * 10)).spec

    with pytest.raises(DataError, match="column 'bad' holds lists"):
        Table(frame_with([["a"], ["b"]] * 10), spec)


def write_parquet_with(tmp_path, kind: str):
    n = 20
    column = {
        "list": [[1, 2], [3]] * (n // 2),
        "struct": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}] * (n // 2),
        "bytes": [b"ab", b"cd"] * (n // 2),
    }[kind]
    path = tmp_path / f"{kind}.parquet"
    pd.DataFrame({"a": column, "b": np.arange(n)}).to_parquet(path)
    return path


@pytest.mark.parametrize("synth", TABLE_SYNTHS)
@pytest.mark.parametrize(
    ("kind", "described"), [("list", "lists"), ("struct", "dicts"), ("bytes", "bytes")]
)
def test_cli_fit_on_an_unsupported_parquet_column_is_one_named_error(
    tmp_path, synth, kind, described
):
    path = write_parquet_with(tmp_path, kind)

    result = invoke("fit", path, "--synth", synth, *TINY_CLI_PARAMS[synth], "--out", tmp_path / "r")

    assert_one_line_error(result, f"column 'a' holds {described}", "drop(columns=['a'])")
    assert not (tmp_path / "r").exists()


def test_cli_evaluate_on_an_unsupported_column_is_one_named_error(tmp_path):
    good = tmp_path / "good.parquet"
    pd.DataFrame({"a": ["x", "y"] * 10, "b": np.arange(20)}).to_parquet(good)
    bad = write_parquet_with(tmp_path, "list")

    as_real = invoke("evaluate", "--real", bad, "--synthetic", good)
    as_synthetic = invoke("evaluate", "--real", good, "--synthetic", bad)

    assert_one_line_error(as_real, "column 'a' holds lists")
    assert_one_line_error(as_synthetic, "column 'a' holds lists")


def test_parquet_dates_are_read_as_datetimes(tmp_path):
    path = tmp_path / "dates.parquet"
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(20)]
    pd.DataFrame({"day": days, "b": np.arange(20)}).to_parquet(path)

    table = read_table(path)

    assert table.spec["day"].kind == "datetime"
    assert table.data["day"].iloc[3] == pd.Timestamp("2024-01-04")


def test_a_csv_column_typed_differently_in_different_chunks_is_read_as_strings(tmp_path):
    # pandas' chunked CSV parser types a column per chunk: ints in the first, strings after
    n = 300_000
    path = tmp_path / "chunks.csv"
    codes = np.arange(n).astype(str)
    codes[-5:] = "x"
    path.write_text("code,n\n" + "\n".join(f"{c},{i}" for i, c in enumerate(codes)) + "\n")

    table = read_table(path)

    assert table.data["code"].iloc[0] == "0" and table.data["code"].iloc[-1] == "x"


# --- 2. JSONL with a malformed line ----------------------------------------------------------
def write_lines(tmp_path, *lines, name="reviews.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_malformed_jsonl_line_is_named_with_its_number_and_excerpt(tmp_path):
    path = write_lines(
        tmp_path,
        '{"text": "good", "label": 1}',
        '{"text": "fine", "label": 0}',
        '{"text": "ok" "label": 1}',
    )

    with pytest.raises(DataError) as info:
        read_texts(path)

    assert str(info.value) == (
        f"{path} line 3 is not valid JSON (Expecting ',' delimiter: column 15): "
        """'{"text": "ok" "label": 1}'; fix or remove that line"""
    )


def test_jsonl_blank_lines_are_skipped_and_counted(tmp_path):
    path = write_lines(tmp_path, '{"text": "good"}', "", "   ", '{"text": "fine"}', "{bad")

    with pytest.raises(DataError, match="line 5 is not valid JSON"):
        read_texts(path)
    assert list(read_texts(write_lines(tmp_path, '{"text": "a"}', "", '{"text": "b"}')).texts) == [
        "a",
        "b",
    ]


@pytest.mark.parametrize(
    ("line", "kind"), [("[1, 2]", "a list"), ('"just text"', "a string"), ("7", "a number")]
)
def test_a_jsonl_line_that_is_not_an_object_is_named(tmp_path, line, kind):
    path = write_lines(tmp_path, '{"text": "good"}', line, '{"text": "fine"}')

    with pytest.raises(DataError, match=f"line 2 is {kind}, not a JSON object"):
        read_texts(path)


def test_jsonl_of_only_lists_names_the_first_line(tmp_path):
    path = write_lines(tmp_path, "[1, 2]", "[3, 4]", name="lists.ndjson")

    with pytest.raises(DataError, match="lists.ndjson line 1 is a list"):
        read_texts(path)


def test_a_long_bad_line_is_cut_around_the_error(tmp_path):
    line = json.dumps({"text": "y" * 300})[:-1] + ' "label": 1}'
    path = write_lines(tmp_path, line)

    with pytest.raises(DataError) as info:
        read_texts(path)

    excerpt = str(info.value).split("): ", 1)[1]
    assert len(excerpt) < 90 and '"label"' in excerpt and excerpt.startswith("…")


def test_cli_fit_on_a_malformed_jsonl_is_one_named_error(tmp_path):
    path = write_lines(tmp_path, '{"text": "a fine film"}', '{"text": "dull" "label": 1}')

    result = invoke("fit", path, "--synth", "gpt", "--out", tmp_path / "run")

    assert_one_line_error(result, "reviews.jsonl line 2 is not valid JSON", "Expecting ','")


# --- 3. huge samples: streaming ---------------------------------------------------------------
@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_streamed_batches_are_the_one_shot_sample(fitted, monkeypatch, name):
    # the copula draws 65,536 rows per batch: use smaller ones so batches are crossed
    monkeypatch.setattr("synthset.synthesizers.gaussian_copula._BATCH_ROWS", 10_000)
    model = fitted[name]

    one_shot = model.sample(25_000, seed=7).data
    parts = list(model.iter_sample(25_000, seed=7, batch_rows=4_000))

    assert [len(p) for p in parts] == [4_000] * 6 + [1_000]
    streamed = pd.concat([p.data for p in parts])
    pd.testing.assert_frame_equal(streamed, one_shot)
    assert streamed["row_id"].is_unique


@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_conditional_streams_match_too(fitted, name):
    model = fitted[name]

    one_shot = model.sample(3_000, seed=2, conditions={"color": "blue"}).data
    streamed = pd.concat(
        [
            p.data
            for p in model.iter_sample(3_000, seed=2, conditions={"color": "blue"}, batch_rows=700)
        ]
    )

    pd.testing.assert_frame_equal(streamed, one_shot)
    assert (streamed["color"] == "blue").all()


@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_streams_of_capped_high_cardinality_columns_match_too(monkeypatch, name):
    monkeypatch.setattr("synthset.synthesizers.gaussian_copula._BATCH_ROWS", 6_000)
    rng = np.random.default_rng(0)
    df = make_tiny_frame(400)
    df["shop"] = [f"shop {int(k)}" for k in rng.zipf(1.5, 400) % 300]
    model = make_synthesizer(name, **TINY_PARAMS[name], max_categories=8, min_category_count=2)
    model.fit(df)

    one_shot = model.sample(20_000, seed=5).data
    streamed = pd.concat([p.data for p in model.iter_sample(20_000, seed=5, batch_rows=3_000)])

    assert not model.cardinality_.is_identity
    pd.testing.assert_frame_equal(streamed, one_shot)
    assert one_shot["shop"].nunique() > 8


def test_iter_sample_checks_its_arguments_before_drawing(fitted):
    model = fitted["gaussian_copula"]

    with pytest.raises(ConfigError, match="`batch_rows` must be an int ≥ 1"):
        model.iter_sample(10, batch_rows=0)
    with pytest.raises(ConfigError, match="`n_samples` must be an int ≥ 1"):
        model.iter_sample(0)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".tsv.gz"])
@pytest.mark.parametrize("name", ["gaussian_copula", "ctgan"])
def test_written_stream_reads_back_as_the_one_shot_file(fitted, tmp_path, suffix, name):
    model = fitted[name]
    streamed, one_shot = tmp_path / f"streamed{suffix}", tmp_path / f"one_shot{suffix}"
    seen = []

    write_sample(model, 9_000, streamed, seed=4, batch_rows=2_000, on_batch=seen.append)
    write_table(model.sample(9_000, seed=4), one_shot)

    assert seen == [2_000, 4_000, 6_000, 8_000, 9_000]
    pd.testing.assert_frame_equal(read_table(streamed).data, read_table(one_shot).data)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([streamed.name, one_shot.name])


def test_streamed_parquet_has_a_row_group_per_batch_with_dictionary_strings(fitted, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = write_sample(fitted["tvae"], 5_000, tmp_path / "s.parquet", seed=0, batch_rows=1_000)

    meta = pq.ParquetFile(path)
    assert meta.metadata.num_row_groups == 5
    assert pa.types.is_dictionary(meta.schema_arrow.field("color").type)
    assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
    assert b"pandas" in meta.schema_arrow.metadata


Usage = namedtuple("Usage", "total used free")


def test_disk_check_refuses_before_writing_anything(fitted, tmp_path, monkeypatch):
    monkeypatch.setattr(budget.shutil, "disk_usage", lambda p: Usage(10**9, 10**9 - 10**6, 10**6))
    out = tmp_path / "big.parquet"

    with pytest.raises(ConfigError) as info:
        write_sample(fitted["gaussian_copula"], 10_000_000, out, seed=0)

    message = str(info.value)
    assert "writing 10,000,000 rows to big.parquet needs about" in message
    assert "but only 1 MB is free on" in message and "ask for fewer rows (about" in message
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_a_sample_larger_than_the_disk_in_one_line(fitted, tmp_path, monkeypatch):
    run = tmp_path / "run"
    fitted["gaussian_copula"].save(run)
    monkeypatch.setattr(budget.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**9))

    result = invoke("sample", run, "-n", 10**12, "-o", tmp_path / "out.parquet")

    assert_one_line_error(result, "1,000,000,000,000 rows", "is free on", "another disk")
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left")])
def test_an_interrupted_stream_leaves_no_file(fitted, tmp_path, monkeypatch, error):
    real_write = stream._ParquetSink.write
    calls = []

    def write_then_fail(self, df):
        calls.append(len(df))
        if len(calls) == 2:
            raise error
        return real_write(self, df)

    monkeypatch.setattr(stream._ParquetSink, "write", write_then_fail)

    with pytest.raises(type(error) if isinstance(error, OSError) else error):
        write_sample(fitted["ctgan"], 5_000, tmp_path / "s.parquet", seed=0, batch_rows=1_000)

    assert calls == [1_000, 1_000]
    assert list(tmp_path.iterdir()) == []


def test_cli_stream_failing_midway_is_one_line_and_no_file(fitted, tmp_path, monkeypatch):
    run = tmp_path / "run"
    fitted["gaussian_copula"].save(run)

    def disk_full(self, df):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(stream._CsvSink, "write", disk_full)

    result = invoke("sample", run, "-n", 500, "-o", tmp_path / "out.csv")

    assert_one_line_error(result, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_cli_sample_refuses_to_overwrite_without_the_flag(fitted, tmp_path):
    run, out = tmp_path / "run", tmp_path / "out.parquet"
    fitted["gaussian_copula"].save(run)
    out.write_bytes(b"precious")

    refused = invoke("sample", run, "-n", 50, "-o", out)

    assert_one_line_error(refused, "already exists", "--overwrite")
    assert out.read_bytes() == b"precious"
    replaced = invoke("sample", run, "-n", 50, "-o", out, "--overwrite", "--quiet")
    assert replaced.exit_code == 0, replaced.output
    assert len(pd.read_parquet(out)) == 50
    with pytest.raises(OutputExistsError):
        write_sample(fitted["gaussian_copula"], 10, out)


def test_cli_sample_streams_with_a_summary_line(fitted, tmp_path):
    run, out = tmp_path / "run", tmp_path / "out.csv"
    fitted["tvae"].save(run)

    result = invoke("sample", run, "-n", 20_000, "-o", out, "--seed", 1)

    assert result.exit_code == 0, result.output
    assert "sampled 20,000 rows in" in result.stderr
    assert len(pd.read_csv(out)) == 20_000


# --- 3. huge samples: memory checks -----------------------------------------------------------
@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_sample_refuses_a_frame_larger_than_memory_and_points_to_streaming(
    fitted, monkeypatch, name
):
    monkeypatch.setattr(budget, "available_memory", lambda: 50_000_000)

    with pytest.raises(ConfigError) as info:
        fitted[name].sample(1_000_000, seed=0)

    message = str(info.value)
    assert "`n_samples`=1,000,000 rows would need about" in message
    assert "but 50 MB is available" in message and "iter_sample" in message
    assert sum(len(p) for p in fitted[name].iter_sample(30_000, batch_rows=10_000)) == 30_000


def test_an_absurd_image_sample_is_refused_from_the_spec():
    model = make_synthesizer("dcgan", **IMAGE_TINY_PARAMS["dcgan"]).fit(make_tiny_images())

    with pytest.raises(ConfigError, match=r"`n_samples`=1,000,000,000,000 images would need about"):
        model.sample(10**12)


def test_memory_is_read_where_the_platform_says(monkeypatch):
    free = budget.available_memory()

    assert free is None or free > 0
    monkeypatch.setattr(budget, "_meminfo_available", lambda: None)
    monkeypatch.setattr(budget, "_cgroup_headroom", lambda: None)
    assert budget.available_memory() is None
    budget.check_memory(10**15, 100.0, units="rows", hint="")  # unknown memory: no refusal


def test_cli_refuses_images_that_cannot_fit_on_the_disk(tmp_path):
    run = tmp_path / "run"
    make_synthesizer("dcgan", **IMAGE_TINY_PARAMS["dcgan"]).fit(make_tiny_images()).save(run)

    result = invoke("sample", run, "-n", 10**13, "-o", tmp_path / "out")

    assert_one_line_error(result, "10,000,000,000,000 images", "needs at least", "another disk")
    assert not (tmp_path / "out").exists()
