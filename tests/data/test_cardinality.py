"""High-cardinality columns: the frequent values are modelled, rare ones are not copied."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthset import load, make_synthesizer
from synthset.data.spec import TableSpec
from synthset.data.transforms.cardinality import OTHER, CardinalityPlan, NGramModel
from tests.conftest import TINY_PARAMS

TABLE_SYNTHS = ["gaussian_copula", "tvae", "ctgan"]


def wide_frame(n: int = 1_200, seed: int = 0) -> pd.DataFrame:
    """``shop``: 40 frequent shops (10+ rows each) and 300 shops seen once, each with a unique
    made-up word; ``region`` follows the shop for the frequent ones."""
    rng = np.random.default_rng(seed)
    frequent = [f"shop {w} market" for w in ("north", "south", "east", "west")] + [
        f"shop {i} store" for i in range(36)
    ]
    rare = [f"qz{i:03d}x vault" for i in range(300)]
    k = n - len(rare)
    shops = np.r_[rng.choice(frequent, k), rare]
    region = np.array([("a" if s.endswith("market") else "b") for s in shops], dtype=object)
    df = pd.DataFrame({"shop": shops, "region": region, "x": rng.normal(0.0, 1.0, n).round(3)})
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


# --- the n-gram model -------------------------------------------------------------------------
def test_ngram_model_only_uses_common_ngrams():
    values = np.array(["river side", "riverbank", "side street", "zqxv"], dtype=object)
    counts = np.array([10, 7, 6, 1])
    model = NGramModel().fit(values, counts, min_count=5)
    out = model.sample(2_000, np.random.default_rng(0))
    assert len(out) == 2_000 and all(isinstance(v, str) for v in out)
    assert not any("zq" in v or "qx" in v for v in out)  # the rare value's n-grams never appear
    assert "zqxv" not in set(out)
    assert {"river side", "side street"} & set(out)  # common values come back whole


def test_every_generated_trigram_is_held_by_enough_rows():
    rng = np.random.default_rng(0)
    words = np.array(["river", "side", "north", "park", "lake", "view"])
    values = np.array(
        [" ".join(rng.choice(words, 2)) + f" {i}" for i in range(400)], dtype=object
    )  # the numbers make every value rare; the words are common (a value made only of common
    # trigrams, such as "lake view 39", can still come back: the guarantee is on trigrams)
    model = NGramModel().fit(values, np.ones(400, dtype=int), min_count=5)
    out = model.sample(3_000, np.random.default_rng(1))
    held = {}
    for v in values:
        for g in {v[i : i + 3] for i in range(len(v) - 2)}:
            held[g] = held.get(g, 0) + 1
    grams = {v[i : i + 3] for v in out for i in range(len(v) - 2)}
    assert grams and all(held.get(g, 0) >= 5 for g in grams)


def test_ngram_model_is_seeded_and_round_trips():
    values = np.array([f"name {i % 7} town" for i in range(50)], dtype=object)
    model = NGramModel().fit(values, np.ones(50, dtype=int), min_count=2)
    a = model.sample(100, np.random.default_rng(3))
    b = model.sample(100, np.random.default_rng(3))
    assert (a == b).all()
    state, tensors = model.get_state("m")
    again = NGramModel.from_state(state, tensors, "m")
    assert (again.sample(100, np.random.default_rng(3)) == a).all()


def test_ngram_model_with_nothing_common_cannot_generate():
    values = np.array(["abc", "def", "ghi"], dtype=object)
    model = NGramModel().fit(values, np.ones(3, dtype=int), min_count=5)
    assert not model.can_generate


# --- the plan ---------------------------------------------------------------------------------
def test_plan_caps_only_wide_columns_and_keeps_frequent_values():
    df = wide_frame()
    spec = TableSpec.detect(df)
    plan = CardinalityPlan(max_categories=100, min_count=5).fit(df, spec, seed=0)
    assert list(plan.columns_) == ["shop"]  # region has two values
    capped = plan.columns_["shop"]
    assert len(capped.head) == 40 and capped.rare_distinct == 300 and capped.rare_rows == 300
    model_spec = plan.model_spec(spec)
    assert model_spec["shop"].categories == sorted(capped.head) + [OTHER]
    encoded = plan.encode(df)
    assert set(encoded["shop"]) <= set(capped.head) | {OTHER}
    assert (encoded["shop"] == OTHER).sum() == 300


def test_plan_draws_common_tail_values_by_frequency():
    rng = np.random.default_rng(1)
    values = np.repeat([f"v{i}" for i in range(150)], np.r_[np.full(50, 40), np.full(100, 10)])
    df = pd.DataFrame({"c": rng.permutation(values)})
    spec = TableSpec.detect(df)
    plan = CardinalityPlan(max_categories=20, min_count=5).fit(df, spec, seed=0)
    capped = plan.columns_["c"]
    assert len(capped.head) == 19 and len(capped.common) == 131 and capped.rare_rows == 0
    out = capped.fill(200_000, np.random.default_rng(0))
    share = pd.Series(out).value_counts(normalize=True)
    expected = capped.common_counts / capped.common_counts.sum()
    got = share.reindex(capped.common).fillna(0.0).to_numpy()
    assert np.abs(got - expected).max() < 0.004


def test_plan_describes_what_it_did():
    df = wide_frame()
    plan = CardinalityPlan().fit(df, TableSpec.detect(df), seed=0)
    (line,) = plan.describe()
    assert line.startswith("shop: 340 distinct values in 1,200 rows")
    assert "not copied" in line and "character model" in line


# --- every table synthesizer ------------------------------------------------------------------
@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_synthesizers_never_copy_rare_values(name, tmp_path):
    df = wide_frame()
    synth = make_synthesizer(name, **TINY_PARAMS[name]).fit(df)
    assert synth.spec_["shop"].categories[-1] == OTHER  # what the model saw and the artifact keeps
    fake = synth.sample(3_000, seed=0).data
    rare = {s for s in df["shop"] if s.startswith("qz")}
    assert not set(fake["shop"]) & rare  # their common pattern (qz…x vault) may come back
    assert (fake["shop"] != OTHER).all()
    frequent = set(df["shop"]) - rare
    assert fake["shop"].isin(frequent).mean() > 0.5
    synth.save(tmp_path / "run")
    spec_text = (tmp_path / "run" / "spec.json").read_text()
    assert "qz0" not in spec_text and "qz0" not in (tmp_path / "run" / "encoders.json").read_text()
    again = load(tmp_path / "run")
    pd.testing.assert_frame_equal(again.sample(500, seed=4).data, synth.sample(500, seed=4).data)


@pytest.mark.parametrize("name", TABLE_SYNTHS)
def test_conditions_on_capped_columns(name):
    df = wide_frame()
    synth = make_synthesizer(name, **TINY_PARAMS[name]).fit(df)
    head = synth.sample(50, seed=1, conditions={"shop": "shop north market"}).data
    assert (head["shop"] == "shop north market").all()
    tail = synth.sample(50, seed=1, conditions={"shop": "a shop nobody saw"}).data
    assert (tail["shop"] == "a shop nobody saw").all()


def test_frequent_values_keep_their_link_to_other_columns():
    df = wide_frame(3_000)
    synth = make_synthesizer("gaussian_copula", random_state=0).fit(df)
    fake = synth.sample(5_000, seed=0).data
    markets = fake[fake["shop"].str.endswith("market")]
    # shop → region survives the cap: 85% where independent columns would give 10%
    assert (fake["region"] == "a").mean() < 0.2
    assert (markets["region"] == "a").mean() > 0.7


def test_max_categories_parameter_is_validated():
    from synthset.errors import ConfigError

    with pytest.raises(ConfigError, match="max_categories"):
        make_synthesizer("gaussian_copula", max_categories=1).fit(wide_frame())


def test_dp_fits_skip_the_plan():
    pytest.importorskip("opacus")
    df = wide_frame(6_000)  # ~150 rows per frequent shop: enough to clear the DP threshold
    params = {**TINY_PARAMS["tvae"], "dp": {"epsilon": 5.0, "delta": 1e-5}}
    synth = make_synthesizer("tvae", **params).fit(df)
    assert synth.cardinality_.is_identity  # private partition selection decides the categories
    fake = synth.sample(500, seed=0).data
    assert not fake["shop"].isin({s for s in df["shop"] if s.startswith("qz")}).any()


# --- evaluation ---------------------------------------------------------------------------------
def test_hashed_one_hot_distances():
    from synthset.evaluation.base import _hashed_one_hot

    head = pd.Index(["a", "b"])
    s = pd.Series(["a", "b", "rare1", "rare1", "rare2", None], dtype=object)
    x = _hashed_one_hot(s, head)
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    assert d[0, 1] == pytest.approx(1.0)  # two frequent values
    assert d[0, 2] == pytest.approx(1.0)  # a frequent and a rare value
    assert d[2, 3] == 0.0  # the same rare value: a copy is found
    assert 0.5 < d[2, 4] < 1.5  # two different rare values, about 1
    assert d[0, 5] == pytest.approx(1.0)  # missing is a value of its own


def test_evaluate_compares_wide_columns_on_the_modelled_values():
    from synthset import evaluate

    df = wide_frame(2_000)
    train, hold = df.iloc[:1_500], df.iloc[1_500:]
    synth = make_synthesizer("gaussian_copula", random_state=0).fit(train)
    fake = synth.sample(1_500, seed=0)
    report = evaluate(train, fake, hold, seed=0)
    shapes = report["column_shapes"].details["columns"]
    assert shapes["shop"]["score"] > 0.9  # frequent shops + one "other" level
    assert report["category_coverage"].details["columns"]["shop"]["categories"] == 40
    assert report["membership_inference_density"].value < 0.6
