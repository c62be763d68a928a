"""augment() on texts: balance and expand classes, provenance, filtering with make-up rounds."""

from __future__ import annotations

import numpy as np
import pytest

import synthset.synthesizers.text.eda  # noqa: F401  (registers "eda")
from synthset import augment
from synthset.data.texts import Texts
from synthset.errors import ConfigError, SynthsetWarning
from synthset.sampling.augment_texts import augment_texts, is_texts
from synthset.synthesizers.text.eda import EDA
from tests.conftest import make_tiny_frame

POS = [
    "a good and moving film with great actors",
    "the story is warm and the music is lovely",
    "funny clever and honest from start to finish",
    "one of the best films of the year",
    "a beautiful film about family and hope",
    "the cast is superb and the script is sharp",
    "a joyful ride with a big heart",
    "smart writing and a wonderful lead",
]
NEG = [
    "a dull film with a silly plot",
    "the jokes fall flat and the pace drags",
    "boring long and badly acted",
]


@pytest.fixture(scope="module")
def reviews() -> Texts:
    return Texts.from_lists(POS + NEG, ["pos"] * len(POS) + ["neg"] * len(NEG))


class Parrot(EDA):
    """EDA that returns every other source text unchanged: half its samples are copies."""

    def _edit(self, texts, ops, rng):
        edited = super()._edit(texts, ops, rng)
        return [t if i % 2 == 0 else e for i, (t, e) in enumerate(zip(texts, edited, strict=True))]


def test_balance_fills_the_minority_class(reviews):
    out = augment(reviews, EDA(), balance_on="label", seed=0)
    assert isinstance(out, Texts)
    assert out.class_counts() == {"neg": 8, "pos": 8}
    n = len(reviews)
    assert out.source[:n].tolist() == ["real"] * n and out.source[n:].tolist() == ["synthetic"] * 5
    assert out.texts[:n].tolist() == reviews.texts.tolist()  # real rows first, unchanged
    assert (out.label_names[n:] == "neg").all()
    assert not set(out.texts[n:]) & set(reviews.texts)  # no copies of real texts
    report = out.augment_report
    assert report.requested == {"neg": 5, "pos": 0} and report.shortfall == 0
    assert report.filter.near_duplicate_threshold is None  # eda edits real rows by design
    assert report.filter.label_check == "on"
    again = augment(reviews, EDA(), balance_on="label", seed=0)
    assert again.texts.tolist() == out.texts.tolist()
    frame = out.to_frame()
    assert list(frame.columns) == ["text", "label", "source"]


def test_n_per_class_n_new_and_ratio(reviews):
    synth = EDA().fit(reviews)
    out = augment(reviews, synth, n_per_class=3, seed=1)
    assert out.class_counts() == {"neg": 6, "pos": 11}
    assert len(augment(reviews, synth, n_new=7, seed=0)) == len(reviews) + 7
    assert len(augment(reviews, synth, ratio=0.5, seed=0)) == len(reviews) + 6


def test_filtered_copies_are_made_up_in_more_rounds(reviews):
    out = augment(reviews, Parrot(), n_per_class=6, seed=0)
    synthetic = out[out.source == "synthetic"]
    assert synthetic.class_counts() == {"neg": 6, "pos": 6}
    assert not set(synthetic.texts) & set(reviews.texts)
    report = out.augment_report
    assert report.filter.exact_copy > 0 and report.rounds >= 2 and report.shortfall == 0
    assert report.generated > 12
    unfiltered = augment(reviews, Parrot(), n_per_class=6, seed=0, filter=False)
    fake = unfiltered.texts[unfiltered.source == "synthetic"]
    assert set(fake) & set(reviews.texts)  # without the filter, copies stay
    assert unfiltered.augment_report.filter is None


def test_shortfall_after_bounded_rounds_warns(reviews):
    class Copier(EDA):
        def _edit(self, texts, ops, rng):
            return list(texts)

    with pytest.warns(SynthsetWarning, match="missing"):
        out = augment_texts(reviews, Copier(), n_new=4, seed=0, max_rounds=2)
    assert len(out) == len(reviews) and out.augment_report.rounds == 2
    assert out.augment_report.shortfall == 4


def test_filter_options_pass_through(reviews):
    with pytest.warns(SynthsetWarning, match="20 of the 20 requested texts are missing"):
        out = augment(reviews, EDA(), n_new=20, seed=0, filter={"min_words": 100})
    assert len(out) == len(reviews)  # nothing is that long: every round is filtered out
    report = out.augment_report
    assert report.rounds == 4 and report.filter.too_short == report.generated
    assert report.generated <= 22 + 3 * 200  # later rounds ask for at most 10× the missing


def test_unlabelled_texts_from_a_file(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(POS) + "\n")
    assert is_texts(path) and is_texts(POS) and not is_texts(make_tiny_frame())
    out = augment(path, "eda", n_new=5, seed=0)
    assert len(out) == len(POS) + 5 and out.labels is None
    assert (out.source == "synthetic").sum() == 5


def test_errors_name_the_fix(reviews):
    with pytest.raises(ConfigError, match="label"):
        augment(reviews, EDA(), balance_on="colour")
    with pytest.raises(ConfigError, match="label-conditional"):
        augment(Texts(reviews.texts), EDA(), balance_on="label")
    with pytest.raises(ConfigError, match="exactly one"):
        augment(reviews, EDA(), n_new=3, n_per_class=2)
    with pytest.raises(ConfigError, match="filter"):
        augment(reviews, EDA(), n_new=3, filter={"bogus": 1})
    with pytest.raises(ConfigError, match="filter"):
        augment(make_tiny_frame(), "gaussian_copula", n_new=3, filter=False)
    with pytest.raises(ConfigError, match="texts"):
        augment(reviews, "gaussian_copula", n_new=3)
    synth = EDA().fit(Texts.from_lists(NEG, ["a", "b", "c"]))
    with pytest.raises(ConfigError, match="classes"):
        augment(reviews, synth, n_new=3, fit=False)
    np.testing.assert_array_equal(reviews.labels[:2], [1, 1])  # the input was not modified
