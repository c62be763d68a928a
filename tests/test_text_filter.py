"""filter_texts: each reason is detected and counted once; options and errors."""

from __future__ import annotations

import numpy as np
import pytest

from synthset.data.texts import Texts
from synthset.errors import ConfigError
from synthset.sampling.text_filter import TextFilter, filter_texts

GOOD = ["great", "wonderful", "superb", "lovely", "brilliant", "delightful"]
BAD = ["awful", "terrible", "dreadful", "boring", "dull", "tedious"]
NOUNS = ["film", "movie", "story", "cast", "script", "plot", "ending"]


def _reviews(n: int, seed: int) -> Texts:
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        pos = i % 2 == 0
        words = rng.choice(GOOD if pos else BAD, 2, replace=False)
        noun = rng.choice(NOUNS)
        texts.append(f"the {noun} {i} was {words[0]} and {words[1]} overall")
        labels.append("pos" if pos else "neg")
    return Texts.from_lists(texts, labels)


@pytest.fixture(scope="module")
def real() -> Texts:
    return _reviews(40, seed=0)


def test_each_reason_is_counted(real):
    long_real = real.texts[0]
    near = long_real + " ."  # a full stop added
    fake = Texts.from_lists(
        [
            "   ",  # empty
            "ok",  # too short (min_words=2)
            "?! ... !!",  # degenerate: no letter or digit
            "so good so good so good so good",  # degenerate: a loop
            long_real.upper(),  # exact copy (case folded)
            "  " + real.texts[1].replace(" ", "  "),  # exact copy (whitespace folded)
            near,  # near duplicate
            "a brand new sentence about a lovely brilliant cast",  # kept
            "a brand new sentence about a lovely  brilliant cast",  # duplicate of the above
            "an awful terrible dreadful boring film",  # label mismatch (labelled pos)
            "a superb delightful wonderful story",  # kept
        ],
        ["pos", "pos", "pos", "pos", "pos", "neg", "pos", "pos", "pos", "pos", "pos"],
        classes=["neg", "pos"],
    )
    kept, report = filter_texts(fake, real, min_words=2, label_consistency=True)
    assert kept.texts.tolist() == [fake.texts[7], fake.texts[10]]
    assert kept.labels.tolist() == [1, 1]
    counts = {k: v for k, v in report.to_dict().items() if isinstance(v, int)}
    assert counts == {
        "rows_in": 11,
        "rows_out": 2,
        "empty": 1,
        "too_short": 1,
        "degenerate": 2,
        "unknown_words": 0,
        "exact_copy": 2,
        "duplicate": 1,
        "near_duplicate": 1,
        "label_mismatch": 1,
    }
    assert report.label_check == "on" and report.dropped == 9
    assert "1 near duplicate" in str(report) and "11 → 2 texts" in str(report)
    assert report.max_similarity[6] >= 0.9 and report.max_similarity[7] < 0.9


def test_threshold_and_switches(real):
    edited = Texts.from_lists(
        [t.replace("was", "is") for t in real.texts[:10]], real.label_names[:10].tolist()
    )
    _, strict = filter_texts(edited, real, near_duplicate=0.5)
    _, loose = filter_texts(edited, real, near_duplicate=None)
    assert strict.near_duplicate == 10 and loose.near_duplicate == 0 and loose.rows_out == 10
    assert loose.label_check == "off"


def test_auto_label_check_skips_unlabelled(real):
    unlabelled = Texts.from_lists(["a new and lovely story about a film", "another one here"])
    kept, report = filter_texts(unlabelled, real, label_consistency="auto")
    assert len(kept) == 2 and report.label_check.startswith("skipped")
    _, report = filter_texts(unlabelled, Texts(real.texts), label_consistency="auto")
    assert report.label_check == "skipped: the real texts are unlabelled"
    with pytest.raises(ConfigError, match="labelled"):
        filter_texts(unlabelled, Texts(real.texts), label_consistency=True)


def test_custom_classifier_and_fit_once(real):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    clf = make_pipeline(CountVectorizer(), MultinomialNB())
    filt = TextFilter(label_consistency=True, classifier=clf, min_confidence=0.6).fit(real)
    wrong = Texts.from_lists(["dull boring tedious plot", "lovely superb cast"], ["pos", "neg"])
    right = Texts.from_lists(["dull boring tedious plot", "lovely superb cast"], ["neg", "pos"])
    assert len(filt.filter(wrong)[0]) == 0 and len(filt.filter(right)[0]) == 2
    assert not hasattr(clf, "classes_")  # the given estimator was cloned, not fitted


def test_bad_options_raise():
    with pytest.raises(ConfigError, match="near_duplicate"):
        TextFilter(near_duplicate=1.5)
    with pytest.raises(ConfigError, match="label_consistency"):
        TextFilter(label_consistency="yes")
    with pytest.raises(ConfigError, match="classifier"):
        TextFilter(classifier=object())
    with pytest.raises(ConfigError, match="min_words"):
        TextFilter(min_words=-1)


def test_dialogue_copies_need_the_same_context():
    real = Texts.from_lists(["yes", "no"], contexts=["is it good?", "is it bad?"])
    fake = Texts.from_lists(["yes", "yes"], contexts=["is it good?", "is it late?"])
    kept, report = filter_texts(fake, real, near_duplicate=None)
    assert report.exact_copy == 1 and kept.contexts.tolist() == ["is it late?"]


def test_larger_sets_are_vectorised():
    real, fake = _reviews(1_500, seed=1), _reviews(1_500, seed=2)
    kept, report = filter_texts(fake, real)
    assert report.rows_in == 1_500 and report.seconds < 10


def test_known_word_share_handles_inflections_and_word_salad():
    from synthset.sampling.text_filter import _lexicon, known_word_share

    lexicon = _lexicon(Texts.from_lists(["a zorblax story"]))
    share = known_word_share(
        [
            "The movies were surprisingly charming.",  # inflected: movie+s, charm+ing
            "the zorblax came back",  # a real-corpus word counts as known
            "Ahicle lney in your wath yng",  # word salad
            "",
        ],
        lexicon,
    )
    assert share[0] == pytest.approx(1.0)
    assert share[1] == pytest.approx(1.0)
    assert share[2] < 0.5
    assert share[3] == 0.0


def test_min_known_words_drops_word_salad_only(real):
    fake = Texts.from_lists(
        [
            "the story was charming and very well acted",
            "Ahicle lney in your wath yng that mancaves surprisly",
            "tedious movie with a dreadful ending",
        ],
        ["pos", "neg", "neg"],
        classes=["neg", "pos"],
    )
    kept, report = filter_texts(fake, real, min_known_words=0.8)
    assert report.unknown_words == 1
    assert "Ahicle" not in " ".join(kept.texts)
    with pytest.raises(ConfigError, match="min_known_words"):
        filter_texts(fake, real, min_known_words=1.5)
