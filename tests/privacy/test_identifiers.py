"""Direct-identifier detection, removal and fake replacement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset import datasets
from synthset.data import Table
from synthset.errors import ConfigError
from synthset.privacy.identifiers import (
    FIRST_NAMES,
    REPLACEABLE,
    SURNAMES,
    detect_identifiers,
    fake_identifiers,
    identifier_actions,
    luhn_valid,
    strip_identifiers,
)

N = 120
WORDS = np.array(
    "the patient reported mild pain after the procedure and was sent home with advice".split()
)


def _luhn_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random 16-digit numbers with a valid Luhn check digit, grouped by four."""
    body = rng.integers(0, 10, (n, 15))
    body[:, 0] = 4
    rev = body[:, ::-1]
    doubled = rev[:, 0::2] * 2
    total = np.where(doubled > 9, doubled - 9, doubled).sum(1) + rev[:, 1::2].sum(1)
    digits = np.c_[body, (10 - total % 10) % 10]
    return [" ".join("".join(map(str, d[i : i + 4])) for i in range(0, 16, 4)) for d in digits]


def identifier_frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """One column of every identifier kind (some with telling names, some without), next to
    ordinary columns that must not be flagged."""
    rng = np.random.default_rng(seed)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(SURNAMES, n)
    return pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "ref": [f"R{x:07d}" for x in rng.permutation(10**6)[:n]],
            "contact": [f"{a.lower()}.{b.lower()}{i}@mail.org" for i, (a, b) in
                        enumerate(zip(first, last, strict=True))],
            "tel": [f"+1 ({a}) {b}-{c}" for a, b, c in zip(
                rng.integers(200, 999, n), rng.integers(200, 999, n),
                rng.integers(1000, 9999, n), strict=True)],
            "full_name": [f"{a} {b}" for a, b in zip(first, last, strict=True)],
            "who": [f"{b} {a}" for a, b in zip(first, last, strict=True)],
            "notes": [" ".join(rng.choice(WORDS, k)) for k in rng.integers(5, 15, n)],
            "addr": [".".join(map(str, rng.integers(1, 255, 4))) for _ in range(n)],
            "card": _luhn_numbers(rng, n),
            "ssn": [f"{a}-{b}-{c}" for a, b, c in zip(
                rng.integers(100, 899, n), rng.integers(10, 99, n),
                rng.integers(1000, 9999, n), strict=True)],
            # ordinary columns
            "age": rng.integers(18, 90, n),
            "score": rng.normal(size=n),
            "city": rng.choice(["New York", "San Francisco", "Paris", "Austin", "Lyon"], n),
            "income_bracket": rng.choice(["10000-20000", "20000-50000", "50000-75000"], n),
            "product_name": rng.choice(["Widget Pro", "Gadget Max", "Thing"], n),
            "version": rng.choice(["1.2.3", "2.0.1"], n),
            "comment_flag": rng.choice(["yes", "no"], n),
        }
    )  # fmt: skip


EXPECTED = {
    "customer_id": "id",
    "ref": "id",
    "contact": "email",
    "tel": "phone",
    "full_name": "name",
    "who": "name",
    "notes": "free_text",
    "addr": "ip",
    "card": "credit_card",
    "ssn": "national_id",
}


def test_detect_identifiers_finds_every_kind_and_nothing_else():
    found = detect_identifiers(identifier_frame())
    assert {f.column: f.kind for f in found} == EXPECTED
    for f in found:
        assert 0.5 <= f.share <= 1.0 and f.sampled > 0 and f.reason


def test_detect_identifiers_without_name_hints():
    # same values under uninformative column names: the values alone are evidence enough
    df = identifier_frame().rename(
        columns={"contact": "c1", "tel": "c2", "notes": "c3", "addr": "c4", "card": "c5"}
    )
    kinds = {f.column: f.kind for f in detect_identifiers(df)}
    assert kinds["c1"] == "email" and kinds["c2"] == "phone" and kinds["c3"] == "free_text"
    assert kinds["c4"] == "ip" and kinds["c5"] == "credit_card"


@pytest.mark.parametrize("name", ["adult", "penguins", "breast_cancer"])
def test_detect_identifiers_flags_no_column_of_the_bundled_tables(name):
    assert detect_identifiers(datasets.load(name)) == []


def test_detect_identifiers_flags_a_real_id_column_of_a_bundled_table():
    df = datasets.load("penguins").data
    df.insert(0, "penguin_id", np.arange(len(df)))
    found = detect_identifiers(df)
    assert [(f.column, f.kind) for f in found] == [("penguin_id", "id")]


def test_detect_identifiers_ignores_repeating_look_alikes():
    # phone-shaped ranges and few distinct capitalised words are categories, not identifiers
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "range": rng.choice(["555-123-4567", "555-987-6543"], 200),
            "first_name": rng.choice(["Small", "Large"], 200),
            "name": rng.choice(["Adelie", "Gentoo", "Chinstrap"], 200),
            "label": rng.choice(["a", "b"], 200),
            "measure_id": rng.normal(size=200),  # a float measurement, whatever its name
            "when": pd.date_range("2020-01-01", periods=200, freq="D"),
            "flag": rng.random(200) < 0.5,
        }
    )
    assert detect_identifiers(df) == []


def test_detect_identifiers_messages_hold_no_values():
    df = identifier_frame()
    for f in detect_identifiers(df):
        values = set(df[f.column].astype(str).head(20))
        assert not any(v in f.reason for v in values)


def test_detect_identifiers_samples_are_capped_and_seeded():
    df = pd.concat([identifier_frame(n=600, seed=s) for s in range(4)], ignore_index=True)
    df["customer_id"] = np.arange(len(df))
    a = detect_identifiers(df, sample_rows=500, seed=3)
    b = detect_identifiers(df, sample_rows=500, seed=3)
    assert a == b
    assert {f.column: f.kind for f in a} == EXPECTED
    assert all(f.sampled <= 500 for f in a if f.kind != "id")


def test_detect_identifiers_uses_the_spec_id_kind():
    df = pd.DataFrame({"code": np.arange(30) * 7 + 3, "x": np.arange(30) % 3})
    assert detect_identifiers(df) == []  # neither consecutive nor named like an id
    table = Table(df, overrides={"code": "id"})
    assert [(f.column, f.kind) for f in detect_identifiers(table)] == [("code", "id")]


def test_luhn_valid_known_numbers():
    numbers = pd.Series(["4539578763621486", "4539578763621487", "79927398713", "0"])
    assert luhn_valid(numbers).tolist() == [True, False, True, True]


def test_strip_identifiers_drop_removes_exactly_the_flagged_columns():
    df = identifier_frame()
    found = detect_identifiers(df)
    out = strip_identifiers(df, found, "drop")
    assert list(out.columns) == [c for c in df.columns if c not in EXPECTED]
    pd.testing.assert_frame_equal(out, df.drop(columns=list(EXPECTED)))
    assert list(df.columns) == list(identifier_frame().columns)  # input untouched


def test_strip_identifiers_replace_fakes_values_well_formed_and_unrelated():
    df = identifier_frame()
    found = detect_identifiers(df)
    out = strip_identifiers(df, found, "replace", seed=0)
    # free text cannot be faked: dropped; the rest keep their place
    assert list(out.columns) == [c for c in df.columns if c != "notes"]
    for f in found:
        if f.kind == "free_text":
            continue
        fake = out[f.column]
        assert len(fake) == len(df) and fake.notna().all()
        assert not fake.astype(str).isin(df[f.column].astype(str)).any(), f.column
    # well-formed: each fake column is detected as the kind it replaced
    again = {f.column: f.kind for f in detect_identifiers(out)}
    assert again == {k: v for k, v in EXPECTED.items() if k != "notes"}
    assert out["customer_id"].tolist() == list(range(1, N + 1))
    assert out["contact"].str.endswith("@example.com").all()
    assert out["tel"].str.contains("555-01").all()
    assert out["full_name"].str.split().str.len().eq(2).all()
    assert luhn_valid(out["card"].str.replace(" ", "")).all()
    pd.testing.assert_frame_equal(out[["age", "score"]], df[["age", "score"]])


def test_strip_identifiers_replace_depends_on_the_seed_alone():
    df = identifier_frame()
    found = detect_identifiers(df)
    other = identifier_frame(seed=9)  # different real values, same columns
    a = strip_identifiers(df, found, "replace", seed=4)
    b = strip_identifiers(other, found, "replace", seed=4)
    cols = [f.column for f in found if f.kind != "free_text"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    c = strip_identifiers(df, found, "replace", seed=5)
    assert not a["tel"].equals(c["tel"])


@pytest.mark.parametrize("kind", sorted(REPLACEABLE))
def test_fake_identifiers_lengths_and_determinism(kind):
    a = fake_identifiers(kind, 50, seed=1, tokens=2.0)
    assert len(a) == 50 and a.notna().all()
    pd.testing.assert_series_equal(a, fake_identifiers(kind, 50, seed=1, tokens=2.0))
    assert len(fake_identifiers(kind, 0, seed=1)) == 0


def test_fake_identifiers_refuses_free_text_and_bad_actions():
    with pytest.raises(ConfigError, match="free text is dropped"):
        fake_identifiers("free_text", 3)
    with pytest.raises(ConfigError, match="identifiers"):
        identifier_actions([], "mask")


def test_identifier_actions_drop_free_text_even_when_replacing():
    found = detect_identifiers(identifier_frame())
    actions = identifier_actions(found, "replace")
    assert actions["notes"] == "drop"
    assert {a for c, a in actions.items() if c != "notes"} == {"replace"}
