"""Datetime columns read from strings keep their text format (and day/month order) on the way out.

Issue 14: ``01/01/2020`` in, ``2020-02-01`` out. The spec records each string column's format and
its day-first reading; samples are written back as text in that format.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthset.cli.main import app
from synthset.data import Table, TableSpec, read_table, write_table
from synthset.data import datetimes as dt
from synthset.data.transforms.columns import datetime_bounds, from_numeric, to_numeric
from synthset.errors import DataError
from synthset.registry import make_synthesizer
from tests.conftest import TINY_PARAMS

# 40 dates over ~4 years: days above 12, single-digit days and months, times of day.
DATES = pd.Series(pd.date_range("2019-01-01 03:04", periods=40, freq="37D 5h 7min"))


def _column(values) -> pd.DataFrame:
    return pd.DataFrame({"when": values, "x": np.arange(len(values), dtype=float)})


# --- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fmt, dayfirst",
    [
        ("%Y-%m-%d", False),
        ("%Y/%m/%d", False),
        ("%Y/%m/%d %H:%M", False),
        ("%Y-%m-%d %H:%M:%S", False),
        ("%Y-%m-%dT%H:%M:%S", False),
        ("%Y-%m-%dT%H:%M", False),
        ("%m/%d/%Y", False),
        ("%d/%m/%Y", True),
        ("%d.%m.%Y", True),
        ("%m-%d-%Y", False),
        ("%d-%m-%Y", True),
        ("%m/%d/%y", False),
        ("%d/%m/%y", True),
        ("%m/%d/%Y %H:%M", False),
        ("%m/%d/%Y %I:%M %p", False),
        ("%d/%m/%Y %H:%M:%S", True),
        ("%b %-d %Y", None),  # Jan 1 2000 (vega_datasets stocks.csv)
        ("%d %b %Y", None),
        ("%B %-d, %Y", None),
        ("%-m/%-d/%Y", False),  # no leading zeros
    ],
)
def test_detect_common_formats(fmt, dayfirst):
    # Setup
    df = _column(DATES.dt.strftime(fmt))

    # Run
    col = TableSpec.detect(df)["when"]

    # Assert
    assert col.kind == "datetime"
    assert col.format == fmt
    assert col.dayfirst is dayfirst
    assert col.dtype == str(df["when"].dtype)  # the source column's string dtype is kept
    assert pd.Timestamp(col.min) == pd.to_datetime(df["when"], format=dt.parse_format(fmt)).min()


def test_detect_vega_examples():
    stocks = _column(["Jan 1 2000", "Feb 1 2000", "Mar 1 2000", "Dec 12 2009"])
    temps = _column(["2010/01/01 00:00", "2010/01/01 01:00", "2010/12/31 23:00"])

    assert TableSpec.detect(stocks)["when"].format == "%b %-d %Y"
    col = TableSpec.detect(temps)["when"]
    assert (col.format, col.resolution) == ("%Y/%m/%d %H:%M", "h")


def test_one_day_above_12_makes_the_column_day_first():
    values = [f"{d:02d}/{m:02d}/2020" for d in range(1, 13) for m in (1, 6)] + ["31/01/2020"]

    col = TableSpec.detect(_column(values))["when"]

    assert (col.format, col.dayfirst) == ("%d/%m/%Y", True)
    assert col.max == "2020-06-12T00:00:00"  # 12/06/2020 read as 12 June


def test_a_day_above_12_outside_the_sample_still_counts(monkeypatch):
    # Setup: the sampled values are all ambiguous; the one day-first witness is not sampled
    monkeypatch.setattr(dt, "SAMPLE_CAP", 8)
    values = ["01/02/2020"] * 50 + ["25/12/2020"] + ["03/04/2020"] * 50

    # Run
    col = TableSpec.detect(_column(values))["when"]

    # Assert
    assert (col.format, col.dayfirst) == ("%d/%m/%Y", True)


def test_ambiguous_column_reads_month_first_and_says_so():
    values = ["01/02/2020", "03/04/2020", "12/11/2021", "05/06/2022"] * 5

    col = TableSpec.detect(_column(values))["when"]

    assert (col.format, col.dayfirst) == ("%m/%d/%Y", False)
    assert col.min == "2020-01-02T00:00:00"  # January 2nd


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-31", "Feb 1 2020", "2020-03-01"],  # two formats in one column
        ["2020-01-31T10:00:00+01:00", "2020-02-01T11:30:00+01:00"],  # time zones
        ["2020-01-31 10:00:00.123", "2020-02-01 11:30:00.5"],  # fractions of a second
    ],
)
def test_no_single_format_keeps_mixed_parsing(values):
    col = TableSpec.detect(_column(values * 4), overrides={"when": "datetime"})["when"]

    assert col.format is None and col.dayfirst is None
    assert col.dtype == "datetime64[ns]"  # sampled as datetime64, as before


def test_datetime64_column_has_no_format():
    col = TableSpec.detect(_column(DATES))["when"]

    assert col.format is None and col.dayfirst is None
    assert col.dtype.startswith("datetime64")


# --- spec JSON --------------------------------------------------------------------------------
def test_spec_json_round_trip_keeps_format():
    spec = TableSpec.detect(_column(DATES.dt.strftime("%d/%m/%Y")))

    again = TableSpec.from_json(spec.to_json())

    assert again == spec
    assert (again["when"].format, again["when"].dayfirst) == ("%d/%m/%Y", True)


def test_old_spec_without_format_keys_loads():
    # Setup: a spec.json written before the keys existed
    old = {
        "modality": "table",
        "format": 1,
        "columns": [
            {
                "name": "when",
                "kind": "datetime",
                "dtype": "datetime64[ns]",
                "min": "2020-01-01T00:00:00",
                "max": "2020-12-31T00:00:00",
                "resolution": "D",
            }
        ],
    }

    # Run
    col = TableSpec.from_dict(old)["when"]
    out = from_numeric(np.array([pd.Timestamp("2020-06-01").value / 1e9, np.nan]), col)

    # Assert
    assert col.format is None and col.dayfirst is None
    assert pd.api.types.is_datetime64_any_dtype(out) and out.isna().tolist() == [False, True]


def test_dayfirst_contradicting_the_format_names_the_fix():
    d = TableSpec.detect(_column(DATES.dt.strftime("%m/%d/%Y"))).to_dict()
    d["columns"][0]["dayfirst"] = True  # the user wants day-first but forgot the format

    with pytest.raises(DataError, match=r"'when'.*set format to '%d/%m/%Y'"):
        TableSpec.from_dict(d)


def test_unusable_format_is_a_data_error():
    d = TableSpec.detect(_column(DATES.dt.strftime("%m/%d/%Y"))).to_dict()
    d["columns"][0]["format"] = "%m/%Q/%Y"

    with pytest.raises(DataError, match="'when' has datetime format '%m/%Q/%Y'"):
        TableSpec.from_dict(d)


def test_edited_format_reads_an_ambiguous_column_day_first():
    # Setup: detected month-first; the user knows better and edits the spec
    df = _column(["01/02/2020", "03/04/2020", "05/06/2020"])
    spec = TableSpec.detect(df)
    spec["when"].format, spec["when"].dayfirst = "%d/%m/%Y", True

    # Run
    seconds = to_numeric(df["when"], spec["when"])

    # Assert
    assert pd.Timestamp(seconds[0] * 1e9) == pd.Timestamp("2020-02-01")


# --- conversions ------------------------------------------------------------------------------
def test_to_numeric_uses_the_format_and_misses_what_does_not_fit():
    col = TableSpec.detect(_column(DATES.dt.strftime("%m/%d/%Y")))["when"]

    x = to_numeric(pd.Series(["01/02/2020", "2020-01-02", "junk", None]), col)

    assert pd.Timestamp(x[0] * 1e9) == pd.Timestamp("2020-01-02")
    assert np.isnan(x[1:]).all()


def test_from_numeric_writes_text_in_the_format_with_missing_values():
    col = TableSpec.detect(_column(DATES.dt.strftime("%b %-d %Y")))["when"]
    x = np.array([pd.Timestamp("2020-03-05").value / 1e9, np.nan])

    out = from_numeric(x, col)

    assert out.iloc[0] == "Mar 5 2020" and pd.isna(out.iloc[1])
    assert str(out.dtype) == col.dtype


def test_public_bounds_may_be_written_in_the_column_format():
    col = TableSpec.detect(_column(DATES.dt.strftime("%d/%m/%Y")))["when"]
    col.min, col.max = "31/01/2019", "2022-12-31"

    lo, hi = datetime_bounds(col)

    assert pd.Timestamp(lo * 1e9) == pd.Timestamp("2019-01-31")
    assert pd.Timestamp(hi * 1e9) == pd.Timestamp("2022-12-31")
    col.min = "not a date"
    with pytest.raises(DataError, match="write it as ISO text"):
        datetime_bounds(col)


# --- fit / sample / write ---------------------------------------------------------------------
def _us_frame(n: int = 64, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 366, n), "D")
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(2),
            "color": rng.choice(["red", "blue"], n),
            "day": pd.Series(days).dt.strftime("%m/%d/%Y"),
        }
    )
    df.loc[5, "day"] = None
    return df


@pytest.fixture(scope="module")
def us_frame() -> pd.DataFrame:
    return _us_frame()


@pytest.mark.parametrize("name", ["gaussian_copula", "ctgan"])
def test_sample_returns_text_in_the_training_format(name, us_frame):
    # Setup
    synth = make_synthesizer(name, **TINY_PARAMS.get(name, {"random_state": 0}))

    # Run
    fake = synth.fit(us_frame).sample(200, seed=1).data

    # Assert
    day = fake["day"]
    assert day.dtype == us_frame["day"].dtype
    text = day.dropna()
    assert len(text) and text.str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    parsed = pd.to_datetime(text, format="%m/%d/%Y")
    assert parsed.between(pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31")).all()


def test_datetime64_input_still_samples_datetime64(us_frame):
    df = us_frame.assign(day=pd.to_datetime(us_frame["day"], format="%m/%d/%Y"))

    fake = make_synthesizer("gaussian_copula", random_state=0).fit(df).sample(50, seed=0).data

    assert pd.api.types.is_datetime64_any_dtype(fake["day"])


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_written_samples_keep_the_format_text(ext, us_frame, tmp_path):
    # Setup
    synth = make_synthesizer("gaussian_copula", random_state=0).fit(us_frame)
    fake = synth.sample(30, seed=2)

    # Run
    path = write_table(fake, tmp_path / f"fake.{ext}")
    back = read_table(path)

    # Assert
    raw = pd.read_csv(path, dtype=str)["day"] if ext == "csv" else back.data["day"]
    assert raw.dropna().tolist() == fake.data["day"].dropna().tolist()
    assert back.spec["day"].format == "%m/%d/%Y"


def test_evaluate_and_plots_read_formatted_text(us_frame):
    from synthset import evaluate
    from synthset.reporting import plots

    synth = make_synthesizer("gaussian_copula", random_state=0).fit(us_frame)
    fake = synth.sample(64, seed=0)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no per-value parsing fallback warnings
        report = evaluate(Table(us_frame, synth.spec_), fake, metrics=["column_shapes"])
        png = plots.column_plot(
            us_frame["day"], fake.data["day"], "datetime", date_format="%m/%d/%Y"
        )

    score = report.metrics[0].details["columns"]["day"]
    assert 0.0 <= (score["score"] if isinstance(score, dict) else score) <= 1.0
    assert report.meta["datetime_formats"] == {"day": "%m/%d/%Y"}
    assert png is not None and png.startswith(b"\x89PNG")


def test_dp_preprocessing_takes_public_bounds_in_the_column_format(us_frame):
    from synthset.privacy.dp import DPConfig, PrivacyLedger
    from synthset.privacy.preprocess import private_preprocess, privatise_rows, surrogate_frame

    # Setup
    public = {
        "x": {"min": -4, "max": 4},
        "color": {"categories": ["blue", "red"]},
        "day": {"min": "01/01/2020", "max": "12/31/2020"},  # as the column writes dates
    }
    spec = TableSpec.detect(us_frame)
    cfg = DPConfig(epsilon=5.0, public_metadata=public)

    # Run
    prep = private_preprocess(us_frame, spec, cfg, PrivacyLedger(), 1e-5, seed=0)
    surrogate = surrogate_frame(prep, 50, seed=0)
    rows = privatise_rows(us_frame, prep)

    # Assert
    day = prep.spec["day"]
    assert (day.min, day.max) == ("2020-01-01T00:00:00", "2020-12-31T00:00:00")  # stored as ISO
    assert day.format == "%m/%d/%Y"
    for frame in (surrogate, rows):
        text = frame["day"].dropna()
        assert len(text) and text.str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    real = us_frame["day"].notna()
    assert rows["day"][real].tolist() == us_frame["day"][real].tolist()  # in bounds: unchanged


def test_cli_fit_sample_keeps_the_format(us_frame, tmp_path):
    # Setup
    data, run, out = tmp_path / "x.csv", tmp_path / "run", tmp_path / "out.csv"
    us_frame.to_csv(data, index=False)
    runner = CliRunner()

    # Run
    fitted = runner.invoke(app, ["fit", str(data), "--synth", "gaussian_copula", "--out", str(run)])
    sampled = runner.invoke(app, ["sample", str(run), "-n", "20", "-o", str(out)])

    # Assert
    assert fitted.exit_code == 0, fitted.output
    assert sampled.exit_code == 0, sampled.output
    text = pd.read_csv(out, dtype=str)["day"].dropna()
    assert len(text) and text.str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()


def test_monthly_and_yearly_series_keep_their_calendar_step():
    from synthset import make_synthesizer
    from synthset.data.spec import TableSpec

    months = pd.date_range("2000-01-01", periods=120, freq="MS")
    df = pd.DataFrame(
        {
            "month": months.strftime("%b %-d %Y"),
            "year": pd.to_datetime(months.year.astype(str) + "-01-01"),
            "price": np.linspace(10.0, 50.0, 120),
        }
    )
    spec = TableSpec.detect(df)
    assert spec["month"].resolution == "MS" and spec["year"].resolution == "YS"
    fake = make_synthesizer("gaussian_copula", random_state=0).fit(df).sample(500, seed=0).data
    parsed = pd.to_datetime(fake["month"], format="%b %d %Y")
    assert (parsed.dt.day == 1).all() and parsed.between(months[0], months[-1]).all()
    assert ((fake["year"].dt.month == 1) & (fake["year"].dt.day == 1)).all()


def test_calendar_rounding_stays_inside_bounds_that_are_not_calendar_starts():
    from synthset.data.spec import ColumnSpec
    from synthset.data.transforms.columns import from_numeric

    col = ColumnSpec(
        "m", "datetime", "datetime64[ns]", min="2020-01-01", max="2020-03-20", resolution="MS"
    )
    x = (
        pd.to_datetime(["2020-03-19", "2020-02-20", "2019-12-01"]) - pd.Timestamp(0)
    ).total_seconds()
    out = from_numeric(np.asarray(x, dtype=float), col)
    assert out.tolist() == [pd.Timestamp("2020-03-01"), pd.Timestamp("2020-03-01"),
                            pd.Timestamp("2020-01-01")]  # fmt: skip


def test_time_zone_aware_columns_come_back_in_their_zone():
    from synthset import make_synthesizer

    when = pd.date_range("2020-01-01", periods=60, freq="h", tz="Europe/Berlin")
    df = pd.DataFrame({"t": when, "x": np.arange(60.0)})
    fake = make_synthesizer("gaussian_copula", random_state=0).fit(df).sample(40, seed=0).data
    assert str(fake["t"].dt.tz) == "Europe/Berlin"
    assert fake["t"].between(when[0], when[-1]).all()
