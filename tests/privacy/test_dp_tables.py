"""DP training of the table synthesizers: the budget is met, recorded and saved; a tiny ε gives
noise-dominated output and a large ε approaches the non-private model; nothing private leaks
through the preprocessing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("opacus")

from synthset.datasets import load  # noqa: E402
from synthset.errors import ConfigError  # noqa: E402
from synthset.registry import make_synthesizer  # noqa: E402

SMALL = {
    "tvae": {"embedding_dim": 8, "compress_dims": (32,), "decompress_dims": (32,)},
    "ctgan": {"embedding_dim": 8, "generator_dim": (32,), "discriminator_dim": (32,)},
}


def _signal(n: int = 1_500, seed: int = 0) -> pd.DataFrame:
    """A clear dependency: x sits near 20 when ``band`` is "lo" and near 80 when "hi"."""
    rng = np.random.default_rng(seed)
    hi = rng.random(n) < 0.5
    x = np.where(hi, rng.normal(80, 3, n), rng.normal(20, 3, n)).round(1)
    return pd.DataFrame({"x": x, "band": np.where(hi, "hi", "lo")})


PUBLIC = {"x": {"min": 0, "max": 100}, "band": {"categories": ["hi", "lo"]}}


def _agreement(df: pd.DataFrame) -> float:
    """Share of rows whose band matches their x (0.5 = no dependency learned)."""
    return float(((df["x"] > 50) == (df["band"] == "hi")).mean())


def _fit(name: str, dp, epochs: int, data=None, **kw):
    data = _signal() if data is None else data
    params = {"epochs": epochs, "batch_size": 150, "random_state": 0, **SMALL[name], **kw}
    return make_synthesizer(name, dp=dp, **params).fit(data)


@pytest.mark.parametrize("name", ["tvae", "ctgan"])
def test_budget_is_met_recorded_and_saved(name, tmp_path):
    s = _fit(name, {"epsilon": 2.0, "delta": 1e-5}, epochs=2)
    p = s.privacy_
    assert 1.9 <= p["epsilon"] <= 2.0  # the noise is solved to spend the target, not more
    assert p["delta"] == 1e-5
    assert p["steps"] == p["planned_steps"] == 2 * (1_500 // 150)
    assert p["noise_multiplier"] > 0 and p["sample_rate"] == pytest.approx(0.1)
    assert 0 < p["preprocessing"]["epsilon_alone"] < p["epsilon"]
    assert p["preprocessing"]["columns"]["band"]["categories"].startswith("private")
    eps = [h["epsilon"] for h in s.history_]
    assert eps == sorted(eps) and eps[-1] == pytest.approx(p["epsilon"])
    out = s.save(tmp_path / "run")
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["privacy"]["epsilon"] == pytest.approx(p["epsilon"])
    back = type(s).load(out)
    assert back.privacy_["epsilon"] == pytest.approx(p["epsilon"])
    pd.testing.assert_frame_equal(back.sample(50, seed=3).data, s.sample(50, seed=3).data)


def test_tiny_epsilon_is_noise_and_large_epsilon_approaches_non_private():
    def agreement(dp) -> float:
        if dp is not None:  # at ε = 0.01 only public bounds and categories can be released
            dp["public_metadata"] = PUBLIC
        s = _fit("tvae", dp, epochs=20, learning_rate=1e-2)
        return _agreement(s.sample(2_000, seed=1).data)

    plain, big, tiny = agreement(None), agreement({"epsilon": 1e4}), agreement({"epsilon": 0.01})
    assert plain > 0.8  # measured 0.87; the DP fits: 0.86 at ε = 10⁴, 0.56 at ε = 0.01
    assert big > plain - 0.1  # large ε: close to the non-private model
    assert tiny < 0.7  # tiny ε: the dependency drowns in noise


def test_private_spec_reveals_no_extreme_or_rare_value():
    df = _signal(2_000)
    df.loc[0, "x"] = 9_999.0  # one person's extreme value
    df["city"] = np.where(np.arange(len(df)) % 2 == 0, "Lyon", "Paris")
    df.loc[1, "city"] = "Tiny-Village"  # one person's rare category
    s = _fit("tvae", {"epsilon": 1.0}, epochs=1, data=df)
    assert s.spec_["x"].max < 1_000  # the outlier is not the released maximum
    assert "Tiny-Village" not in s.spec_["city"].categories
    assert set(s.spec_["city"].categories) == {"Lyon", "Paris"}
    out = s.sample(500, seed=0).data
    assert out["x"].max() < 1_000 and "Tiny-Village" not in set(out["city"].dropna())


def test_public_metadata_costs_nothing_for_what_it_declares():
    meta = {"x": {"min": 0, "max": 100}, "band": {"categories": ["hi", "lo"]}}
    s = _fit("tvae", {"epsilon": 1.0, "public_metadata": meta}, epochs=1)
    cols = s.privacy_["preprocessing"]["columns"]
    assert cols["x"]["bounds"] == "public" and cols["band"]["categories"] == "public"
    assert (s.spec_["x"].min, s.spec_["x"].max) == (0.0, 100.0)
    assert s.privacy_["delta_selection"] == 0.0  # no category discovery to pay for


@pytest.mark.filterwarnings("ignore::synthset.synthesizers._neural.FewStepsWarning")
def test_bad_dp_settings_are_named():
    with pytest.raises(ConfigError, match="delta"):
        _fit("tvae", {"epsilon": 1.0, "delta": 0.01}, epochs=1)
    with pytest.raises(ConfigError, match="batch_size"):
        _fit("tvae", {"epsilon": 1.0, "public_metadata": PUBLIC}, epochs=1, data=_signal(100))
    with pytest.raises(ConfigError, match="unknown keys"):
        _fit("ctgan", {"epsilon": 1.0, "clip": 1.0}, epochs=1)


def test_too_few_rows_for_a_private_range_is_a_clear_error():
    with pytest.raises(ConfigError, match="all noise.*public metadata.*--public-metadata"):
        _fit("tvae", {"epsilon": 0.01}, epochs=1)


def test_dp_on_a_bundled_table_with_its_schema_declared_public():
    table = load("penguins")  # 344 rows: at ε = 3 its ranges must be public to be usable
    s = make_synthesizer(
        "ctgan",
        dp={"epsilon": 3.0, "public_metadata": table.spec},
        epochs=2,
        batch_size=50,
        random_state=0,
        **SMALL["ctgan"],
    ).fit(table.data)
    df = table.data
    out = s.sample(100, seed=0).data
    assert list(out.columns) == list(df.columns) and len(out) == 100
    assert s.privacy_["epsilon"] <= 3.0
