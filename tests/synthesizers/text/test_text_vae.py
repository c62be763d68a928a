"""text_vae: a sentence VAE on 32 tiny labelled texts (each fit takes about a second)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthset.synthesizers.text.text_vae  # noqa: F401  (registers "text_vae")
from synthset import load, make_synthesizer
from synthset.data.texts import Texts
from synthset.errors import ConfigError, NotFittedError
from synthset.synthesizers.text.text_vae import kl_weight

POSITIVE = ["a fine film", "a great movie", "a lovely story", "a great film"]
NEGATIVE = ["a dull film", "a bad movie", "a boring story", "a bad film"]
POS_WORDS, NEG_WORDS = ("fine", "great", "lovely"), ("dull", "bad", "boring")


def make_texts(n: int = 32) -> Texts:
    texts = [POSITIVE[i % 4] if i % 2 == 0 else NEGATIVE[i % 4] for i in range(n)]
    labels = ["fresh" if i % 2 == 0 else "rotten" for i in range(n)]
    return Texts.from_lists(texts, labels)


TINY = dict(
    epochs=30,
    batch_size=8,
    lr=1e-2,
    embedding_dim=16,
    hidden_dim=32,
    latent_dim=8,
    tokenizer="char",
    kl_anneal_epochs=10,
    word_dropout=0.5,
    random_state=0,
    device="cpu",
)


@pytest.fixture(scope="module")
def fitted():
    data = make_texts()
    synth = make_synthesizer("text_vae", **TINY)
    return synth, synth.fit(data), data


def test_text_vae_fit_returns_self_and_samples_texts(fitted):
    synth, returned, _ = fitted
    assert returned is synth
    out = synth.sample(12, seed=1)
    assert isinstance(out, Texts) and len(out) == 12
    assert all(isinstance(t, str) for t in out.texts)
    assert set(out.label_names) <= {"fresh", "rotten"}
    # texts are no longer than the longest training row
    assert max(len(t) for t in out.texts) <= max(len(t) for t in POSITIVE + NEGATIVE) + 1


def test_text_vae_history_records_reconstruction_kl_and_beta(fitted):
    synth, _, _ = fitted
    h = synth.history_
    assert len(h) == TINY["epochs"]
    assert {"loss", "reconstruction", "kl", "beta"} <= set(h[0])
    assert all(np.isfinite(v) for row in h for v in row.values())
    assert all(row["kl"] >= 0 for row in h)
    # linear annealing: the KL weight rises from near 0 to 1 over 10 epochs, then stays
    betas = [row["beta"] for row in h]
    assert betas[0] < 0.1 and np.all(np.diff(betas[:10]) > 0) and betas[-1] == pytest.approx(1.0)
    # training lowers the reconstruction term a lot (nats per sentence)
    assert h[-1]["reconstruction"] < 0.25 * h[0]["reconstruction"]


def test_text_vae_same_seed_same_texts(fitted):
    synth, _, data = fitted
    a, b, c = (synth.sample(8, seed=s) for s in (3, 3, 4))
    assert list(a.texts) == list(b.texts) and np.array_equal(a.labels, b.labels)
    assert list(a.texts) != list(c.texts)
    # two fits with one random_state: the same weights, losses and samples
    one, two = (make_synthesizer("text_vae", **dict(TINY, epochs=2)).fit(data) for _ in "12")
    assert [r["loss"] for r in one.history_] == [r["loss"] for r in two.history_]
    assert list(one.sample(8, seed=3).texts) == list(two.sample(8, seed=3).texts)


def test_text_vae_save_load_identical(fitted, tmp_path):
    synth, _, data = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth)
    a, b = synth.sample(10, seed=5), again.sample(10, seed=5)
    assert list(a.texts) == list(b.texts) and np.array_equal(a.labels, b.labels)
    assert torch.equal(synth.encode(data[:6]), again.encode(data[:6]))
    assert again.interpolate("a fine film", "a bad movie", 4, label="fresh") == synth.interpolate(
        "a fine film", "a bad movie", 4, label="fresh"
    )


def test_text_vae_conditions_on_the_label(fitted):
    synth, _, _ = fitted
    fresh = synth.sample(40, seed=2, conditions={"label": "fresh"})
    rotten = synth.sample(40, seed=2, conditions={"label": "rotten"})
    assert set(fresh.label_names) == {"fresh"} and set(rotten.label_names) == {"rotten"}

    def share(texts, words):
        return np.mean([any(w in t for w in words) for t in texts])

    # the class embedding steers the decoder: each class writes its own words
    assert share(fresh.texts, POS_WORDS) > share(fresh.texts, NEG_WORDS) + 0.3
    assert share(rotten.texts, NEG_WORDS) > share(rotten.texts, POS_WORDS) + 0.3
    per = synth.sample_per_label({"fresh": 3, "rotten": 2}, seed=0)
    assert sorted(per.label_names) == ["fresh"] * 3 + ["rotten"] * 2


def test_text_vae_encode_reconstruct_interpolate(fitted):
    synth, _, data = fitted
    z = synth.encode(data[:5])
    assert z.shape == (5, TINY["latent_dim"]) and z.dtype == torch.float32
    rec = synth.reconstruct(data[:8])
    assert len(rec) == 8
    # the model reconstructs most of its tiny training set exactly (greedy decoding)
    assert np.mean([r == t for r, t in zip(rec, data.texts[:8], strict=True)]) >= 0.5
    path = synth.interpolate("a fine film", "a lovely story", 5, label="fresh")
    assert len(path) == 5 and all(isinstance(t, str) for t in path)
    ends = synth.reconstruct(["a fine film", "a lovely story"], labels="fresh")
    assert [path[0], path[-1]] == ends  # the ends are decoded from the two texts' latent means
    sampled = synth.interpolate("a fine film", "a lovely story", 3, label="fresh", temperature=1.0)
    assert len(sampled) == 3


def test_text_vae_conditional_latent_methods_need_labels(fitted):
    synth, _, _ = fitted
    with pytest.raises(ConfigError, match="labels="):
        synth.encode(["a fine film"])
    with pytest.raises(ConfigError, match="steps"):
        synth.interpolate("a", "b", 1, label="fresh")


def test_text_vae_word_dropout_prevents_posterior_collapse():
    """Without word dropout or annealing the decoder ignores z (KL → 0); with both, z is used."""
    data = make_texts()
    plain = dict(TINY, label_conditional=False)
    collapsed = make_synthesizer(
        "text_vae", **dict(plain, word_dropout=0.0, kl_anneal=None, free_bits=None)
    ).fit(data)
    used = make_synthesizer("text_vae", **plain).fit(data)
    assert collapsed.history_[-1]["kl"] < 0.1
    assert used.history_[-1]["kl"] > 0.2
    # the collapsed model writes (nearly) the same text whatever the input
    assert len(set(used.reconstruct(data[:8]))) > len(set(collapsed.reconstruct(data[:8])))


def test_text_vae_unlabelled_texts_and_free_bits():
    data = Texts.from_lists(make_texts().texts.tolist())
    synth = make_synthesizer(
        "text_vae", **dict(TINY, epochs=3, free_bits=0.5, kl_anneal="cyclical", kl_anneal_epochs=2)
    )
    synth.fit(data)
    assert synth.sample(4, seed=0).labels is None
    assert synth.encode(["a fine film"]).shape == (1, TINY["latent_dim"])
    with pytest.raises(ConfigError):
        synth.sample(2, conditions={"label": "fresh"})


def test_kl_weight_schedules():
    assert [kl_weight(s, beta=2.0, anneal=None, period=4) for s in range(3)] == [2.0] * 3
    assert [kl_weight(s, beta=1.0, anneal="linear", period=4) for s in range(6)] == [
        0.25,
        0.5,
        0.75,
        1.0,
        1.0,
        1.0,
    ]
    cyc = [kl_weight(s, beta=1.0, anneal="cyclical", period=4) for s in range(8)]
    assert cyc == [0.5, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "bad",
    [
        {"word_dropout": 1.5},
        {"kl_anneal": "sigmoid"},
        {"kl_anneal_epochs": 0},
        {"latent_dim": 0},
        {"free_bits": -1.0},
    ],
)
def test_text_vae_bad_params_raise(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        make_synthesizer("text_vae", **dict(TINY, **bad)).fit(make_texts())


def test_text_vae_not_fitted():
    synth = make_synthesizer("text_vae", **TINY)
    with pytest.raises(NotFittedError):
        synth.sample(2)
    with pytest.raises(NotFittedError):
        synth.encode(["a"])
