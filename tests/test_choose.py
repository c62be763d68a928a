"""``--synth auto``: the chooser's rules, and the CLI saying what it chose and did."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthset.data import Table
from synthset.data.texts import Texts
from synthset.errors import ConfigError
from synthset.synthesizers import choose
from synthset.synthesizers.choose import choose_synthesizer
from tests.conftest import make_tiny_audio, make_tiny_frame, make_tiny_images
from tests.test_cli import assert_one_line_error, invoke


def test_tables_get_the_copula_and_dp_tables_ctgan():
    table = Table(make_tiny_frame())
    choice = choose_synthesizer(table)
    assert choice.name == "gaussian_copula" and "64 rows" in choice.reason
    private = choose_synthesizer(table, dp=True, max_seconds=30)
    assert private.name == "ctgan" and private.params == {"max_seconds": 30.0}


def test_images_by_labels():
    labelled = make_tiny_images()
    assert choose_synthesizer(labelled).name == "cgan"
    unlabelled = type(labelled).from_arrays(labelled.pixels)
    choice = choose_synthesizer(unlabelled, max_seconds=20)
    assert choice.name == "dcgan" and choice.params == {"max_seconds": 20.0}


@pytest.mark.parametrize(("n", "pretrained", "expected"), [
    (100, True, "smollm2"), (100, False, "eda"), (3_000, False, "gpt"),
])  # fmt: skip
def test_texts_by_size_and_backend(monkeypatch, n, pretrained, expected):
    monkeypatch.setattr(choose, "_smollm2_installed", lambda: pretrained)
    texts = Texts([f"text number {i}" for i in range(n)])
    assert choose_synthesizer(texts).name == expected


def test_dialogue_pairs(monkeypatch):
    pairs = Texts(["hello", "fine"], contexts=["hi", "how are you"])
    monkeypatch.setattr(choose, "_smollm2_installed", lambda: True)
    assert choose_synthesizer(pairs).params == {"shots": "nearest"}
    monkeypatch.setattr(choose, "_smollm2_installed", lambda: False)
    assert choose_synthesizer(pairs).name == "dialogue"


def test_audio_by_clips_per_class():
    assert choose_synthesizer(make_tiny_audio()).name == "audio_augment"


def test_dp_is_for_tables_only():
    with pytest.raises(ConfigError, match="tables only"):
        choose_synthesizer(make_tiny_images(), dp=True)


# --- the CLI --------------------------------------------------------------------------------
def test_fit_defaults_to_auto_and_says_what_it_did(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "code": [f"k{i:04d}" for i in range(n)],  # unique: an id
            "shop": np.r_[rng.choice(["north", "south"], n - 150), [f"q{i}" for i in range(150)]],
            "day": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%m/%d/%Y"),
            "x": rng.normal(size=n),
        }
    )
    df["shop"] = df["shop"].astype(str)
    # 152 shop values (> 100): capped; the 150 seen once are not copied
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)

    result = invoke("fit", path, "--out", tmp_path / "run", "--seed", "0")

    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    assert "--synth auto chose gaussian_copula" in err
    assert "fitted gaussian_copula on 400 rows" in err
    assert "shop: 152 distinct values in 400 rows" in err and "not copied" in err
    assert "code: unique keys, not modelled" in err
    assert "day: dates read as %m/%d/%Y, month first" in err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["synthesizer"] == "gaussian_copula"


def test_time_budget_needs_auto(tmp_path):
    path = tmp_path / "t.csv"
    make_tiny_frame().to_csv(path, index=False)
    result = invoke("fit", path, "--out", tmp_path / "r", "--synth", "tvae", "--time-budget", "10")
    assert_one_line_error(result, "--time-budget")


def test_the_api_points_auto_to_the_chooser():
    import synthset

    with pytest.raises(ConfigError, match="choose_synthesizer"):
        synthset.make_synthesizer("auto")
    choice = synthset.choose_synthesizer(Table(make_tiny_frame()))
    fake = synthset.make_synthesizer(choice.name, **choice.params).fit(make_tiny_frame())
    assert len(fake.sample(5, seed=0)) == 5
