"""The ``gpt`` synthesizer and its network: fit / sample on tiny texts, seeds, save / load,
conditioning, decoding options, errors, perplexity, fine-tuning, and a toy grammar learned."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthset.synthesizers.text.gpt  # noqa: F401  (registers "gpt")
from synthset import load, make_synthesizer
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError, NotFittedError
from synthset.models.text.gpt import GPT as GPTModel
from synthset.models.text.gpt import GPTConfig
from synthset.training.callbacks import Callback

TINY = dict(
    epochs=4,
    batch_size=8,
    d_model=16,
    n_layers=1,
    n_heads=2,
    lr=1e-2,
    tokenizer="char",
    max_length=24,
    random_state=0,
    device="cpu",
)


def tiny_texts(n: int = 32) -> Texts:
    """``n`` short labelled reviews: "fresh" ones praise, "rotten" ones pan."""
    good = ["a fine film", "great fun", "a warm story", "so good"]
    bad = ["a dull film", "boring mess", "a flat story", "so bad"]
    texts = [(good if i % 2 else bad)[(i // 2) % 4] for i in range(n)]
    labels = ["fresh" if i % 2 else "rotten" for i in range(n)]
    return Texts.from_lists(texts, labels)


@pytest.fixture(scope="module")
def fitted():
    return make_synthesizer("gpt", **TINY).fit(tiny_texts())


# ---------------------------------------------------------------------------- the network
def test_model_kv_cache_matches_full_forward_greedy():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=20, d_model=32, n_layers=2, n_heads=4, max_len=24, dropout=0.0)
    model = GPTModel(cfg).eval()
    prompt = torch.randint(4, 20, (3, 5))
    x = prompt.clone()
    for _ in range(8):  # no cache: the whole sequence every step
        x = torch.cat([x, model(x)[:, -1].argmax(-1, keepdim=True)], dim=1)
    cached = model.generate(prompt, max_new_tokens=8, temperature=0.0, eos_id=-1)
    assert torch.equal(cached, x[:, 5:])


def test_model_left_padded_batch_equals_each_row_alone():
    torch.manual_seed(1)
    cfg = GPTConfig(vocab_size=20, d_model=32, n_layers=2, n_heads=4, max_len=24, dropout=0.0)
    model = GPTModel(cfg).eval()
    rows = [torch.randint(4, 20, (1, k)) for k in (2, 5, 3)]
    batch = torch.zeros(3, 5, dtype=torch.long)
    for i, r in enumerate(rows):
        batch[i, 5 - r.shape[1] :] = r
    together = model.generate(batch, max_new_tokens=6, temperature=0.0, eos_id=-1)
    for i, r in enumerate(rows):
        alone = model.generate(r, max_new_tokens=6, temperature=0.0, eos_id=-1)
        assert torch.equal(together[i : i + 1], alone)


def test_model_stops_rows_at_eos_and_pads_after():
    torch.manual_seed(2)
    model = GPTModel(GPTConfig(vocab_size=8, d_model=16, n_layers=1, n_heads=2, max_len=40))
    model.eval()
    gen = torch.Generator().manual_seed(0)
    out = model.generate(torch.ones(16, 1, dtype=torch.long), max_new_tokens=39, generator=gen)
    eos = out == 2
    first = torch.where(eos.any(1), eos.float().argmax(1), out.shape[1])
    after = torch.arange(out.shape[1])[None] > first[:, None]
    assert (out[after] == 0).all()
    if eos.any(1).all():  # every row ended: decoding stopped at the last <eos>
        assert out.shape[1] == int(first.max()) + 1


def test_model_config_rejects_heads_not_dividing_width():
    with pytest.raises(ConfigError, match="divisible"):
        GPTConfig(vocab_size=10, d_model=10, n_heads=4)


# ---------------------------------------------------------------------------- fit / sample
def test_fit_returns_self_and_samples_texts(fitted):
    out = fitted.sample(10, seed=0)
    assert isinstance(out, Texts) and len(out) == 10
    assert out.spec.classes == ["fresh", "rotten"]
    assert set(out.label_names) <= {"fresh", "rotten"}
    assert all(isinstance(t, str) and len(t) <= TINY["max_length"] for t in out.texts)
    assert len(fitted.history_) == TINY["epochs"]


def test_bpe_tokenizer_and_unlabelled_texts():
    data = Texts(tiny_texts().texts)
    synth = make_synthesizer("gpt", **{**TINY, "tokenizer": "bpe", "vocab_size": 300})
    out = synth.fit(data).sample(5, seed=0)
    assert len(out) == 5 and out.labels is None
    with pytest.raises(ConfigError, match="without labels"):
        synth.sample(2, conditions={"label": "fresh"})


def test_same_seed_same_samples_and_same_fit(fitted):
    a, b = fitted.sample(12, seed=3), fitted.sample(12, seed=3)
    assert a.texts.tolist() == b.texts.tolist()
    assert a.labels.tolist() == b.labels.tolist()
    assert fitted.sample(12, seed=4).texts.tolist() != a.texts.tolist()
    again = make_synthesizer("gpt", **TINY).fit(tiny_texts())
    assert again.sample(12, seed=3).texts.tolist() == a.texts.tolist()


def test_save_load_round_trip_gives_identical_samples(fitted, tmp_path):
    fitted.save(tmp_path / "gpt")
    again = load(tmp_path / "gpt")
    assert type(again) is type(fitted)
    a, b = fitted.sample(20, seed=7), again.sample(20, seed=7)
    assert a.texts.tolist() == b.texts.tolist() and a.labels.tolist() == b.labels.tolist()
    np.testing.assert_allclose(
        fitted.perplexity(["a fine film"]), again.perplexity(["a fine film"]), rtol=1e-6
    )
    assert again.history_ == fitted.history_


def test_per_label_counts(fitted):
    out = fitted.sample_per_label({"fresh": 3, "rotten": 5}, seed=0)
    assert out.class_counts() == {"fresh": 3, "rotten": 5}
    assert fitted.sample_per_label(2, seed=0).class_counts() == {"fresh": 2, "rotten": 2}


def test_top_k_one_equals_greedy(fitted):
    fresh = {"label": "fresh"}
    try:
        greedy = fitted.set_params(temperature=0.0).sample(8, seed=0, conditions=fresh)
        top1 = fitted.set_params(temperature=1.0, top_k=1).sample(8, seed=5, conditions=fresh)
    finally:
        fitted.set_params(temperature=1.0, top_k=None)
    assert greedy.texts.tolist() == top1.texts.tolist()
    assert len(set(greedy.texts.tolist())) == 1  # greedy: one text per class, whatever the seed


def test_conditioning_draws_the_asked_class():
    texts = ["aaaa", "aaa", "aaaaa", "aa"] * 8 + ["bbbb", "bbb", "bbbbb", "bb"] * 8
    labels = ["a"] * 32 + ["b"] * 32
    params = {**TINY, "epochs": 20, "d_model": 32, "dropout": 0.0}
    synth = make_synthesizer("gpt", **params).fit(Texts.from_lists(texts, labels))
    for cls in ("a", "b"):
        out = synth.sample(40, seed=0, conditions={"label": cls})
        assert set(out.label_names) == {cls}
        chars = "".join(out.texts)
        assert len(chars) > 0 and chars.count(cls) / len(chars) > 0.9


def test_training_lowers_the_loss_and_records_held_out_loss():
    modes: list[bool] = []

    class TrainMode(Callback):
        def on_step_end(self, trainer, logs):
            modes.append(synth.model_.training)

    params = {**TINY, "epochs": 15, "validation_fraction": 0.25, "callbacks": [TrainMode()]}
    synth = make_synthesizer("gpt", **params)
    synth.fit(tiny_texts())
    assert all(modes)  # the held-out loss does not leave dropout off
    losses = [h["loss"] for h in synth.history_]
    assert losses[-1] < 0.8 * losses[0]
    assert all("val_loss" in h and np.isfinite(h["val_loss"]) for h in synth.history_)
    assert synth.history_[-1]["val_loss"] < synth.history_[0]["val_loss"]


# ---------------------------------------------------------------------------- perplexity
def test_perplexity_prefers_texts_like_the_training_data():
    params = {**TINY, "epochs": 25, "d_model": 32, "dropout": 0.0}
    synth = make_synthesizer("gpt", **params).fit(tiny_texts())
    seen = synth.perplexity(["a fine film", "so bad"])
    scrambled = synth.perplexity(["mfli nife a", "ab so d"])
    assert seen.shape == (2,) and np.all(seen >= 1.0)
    assert np.all(seen * 2 < scrambled)
    # given the right class, a text is likelier than given the wrong one
    right = synth.perplexity(["a fine film", "so bad"], labels=["fresh", "rotten"])
    wrong = synth.perplexity(["a fine film", "so bad"], labels=["rotten", "fresh"])
    assert np.all(right < wrong)
    # the marginal lies between (a mixture of the two)
    assert np.all(seen <= wrong) and np.all(seen >= right * 0.999)
    # a Texts brings its own labels
    np.testing.assert_allclose(synth.perplexity(tiny_texts(4)), synth.perplexity(
        tiny_texts(4).texts.tolist(), labels=tiny_texts(4).label_names.tolist()))  # fmt: skip


# ---------------------------------------------------------------------------- fine-tuning
def test_fine_tuning_reuses_tokenizer_and_label_rows_by_name(fitted, tmp_path):
    fitted.save(tmp_path / "base")
    texts = tiny_texts()
    names = np.where(texts.label_names == "fresh", "fresh", "meh")  # "fresh" kept, "meh" new
    data = Texts.from_lists(texts.texts.tolist(), names.tolist(), classes=["meh", "fresh"])
    params = {**TINY, "epochs": 1, "lr": 1e-12, "d_model": 64}
    tuned = make_synthesizer("gpt", **params, pretrained=str(tmp_path / "base")).fit(data)
    assert tuned.tokenizer_ == fitted.tokenizer_
    assert tuned.config_.d_model == fitted.config_.d_model  # the pretrained shape, not 64
    v = fitted.tokenizer_.vocab_size
    old_w, new_w = fitted.model_.tok_emb.weight, tuned.model_.tok_emb.weight
    assert new_w.shape[0] == v + 2
    # "fresh" was class 0 of the source and is class 1 now: the same row, moved
    torch.testing.assert_close(new_w[v + 1], old_w[v + 0], atol=1e-6, rtol=0)
    torch.testing.assert_close(new_w[:v], old_w[:v], atol=1e-6, rtol=0)
    assert tuned.sample(4, seed=0, conditions={"label": "meh"}).class_counts()["meh"] == 4
    # and a fitted object works as well as a path
    again = make_synthesizer("gpt", **{**TINY, "epochs": 1, "pretrained": fitted}).fit(data)
    assert again.pretrained_from_ == "a fitted gpt"


def test_fine_tuning_starts_from_a_lower_loss():
    base = make_synthesizer("gpt", **{**TINY, "epochs": 10}).fit(tiny_texts())
    params = {**TINY, "epochs": 1}
    scratch = make_synthesizer("gpt", **params).fit(tiny_texts())
    tuned = make_synthesizer("gpt", **params, pretrained=base).fit(tiny_texts())
    assert tuned.history_[0]["loss"] < scratch.history_[0]["loss"]


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "bad, match",
    [
        ({"d_model": 10, "n_heads": 4}, "divisible"),
        ({"dropout": 1.0}, "dropout"),
        ({"tokenizer": "word"}, "tokenizer"),
        ({"epochs": 0}, "epochs"),
        ({"top_p": 0.0}, "top_p"),
        ({"pretrained": 5}, "pretrained"),
        ({"validation_fraction": 0.9}, "validation_fraction"),
    ],
)
def test_bad_params_raise_config_error(bad, match):
    with pytest.raises(ConfigError, match=match):
        make_synthesizer("gpt", **{**TINY, **bad}).fit(tiny_texts())


def test_errors_for_conditions_data_and_state(fitted, tmp_path):
    with pytest.raises(NotFittedError):
        make_synthesizer("gpt", **TINY).sample(3)
    with pytest.raises(DataError, match="not a class"):
        fitted.sample(3, conditions={"label": "sour"})
    with pytest.raises(ConfigError, match="conditioned"):
        fitted.sample(3, conditions={"genre": "drama"})
    with pytest.raises(DataError, match="dialogue"):
        make_synthesizer("gpt", **TINY).fit(Texts.from_lists(["hi", "yo"], contexts=["a", "b"]))
    with pytest.raises(ConfigError, match="unfitted"):
        make_synthesizer("gpt", **TINY, pretrained=make_synthesizer("gpt")).fit(tiny_texts())
    with pytest.raises(Exception, match="no artifact"):
        make_synthesizer("gpt", **TINY, pretrained=str(tmp_path / "none")).fit(tiny_texts())
    with pytest.raises(DataError, match="labels for"):
        fitted.perplexity(["a", "b"], labels=["fresh"])


# ---------------------------------------------------------------------------- learning
def _dyck(rng: np.random.Generator, pairs: int, o: str, c: str) -> str:
    """A random balanced bracket word of ``pairs`` pairs (rejection-sampled walk)."""
    while True:
        steps = rng.permutation([1] * pairs + [-1] * pairs)
        if (np.cumsum(steps) >= 0).all():
            return "".join(o if s > 0 else c for s in steps)


def _balanced(s: str, o: str, c: str) -> bool:
    depth = np.cumsum([1 if ch == o else -1 if ch == c else 10**6 for ch in s])
    return len(s) > 0 and depth.min() >= 0 and depth[-1] == 0


def test_gpt_learns_class_dependent_bracket_grammar():
    """Class "round" strings are balanced words over "()", class "square" over "[]" (1–6 pairs).
    Generated strings are valid for their class far above chance (random strings of the same
    lengths over the four brackets: ~1-2 %)."""
    rng = np.random.default_rng(0)
    kinds = {"round": "()", "square": "[]"}
    labels = ["round", "square"] * 128
    texts = [_dyck(rng, int(rng.integers(1, 7)), *kinds[lab]) for lab in labels]
    params = dict(
        epochs=20, batch_size=32, d_model=64, n_layers=2, n_heads=4, lr=1e-2, dropout=0.0,
        tokenizer="char", max_length=20, random_state=0, device="cpu",
    )  # fmt: skip
    synth = make_synthesizer("gpt", **params).fit(Texts.from_lists(texts, labels))
    seen = set(texts)
    for cls, (o, c) in kinds.items():
        out = synth.sample(200, seed=1, conditions={"label": cls}).texts.tolist()
        valid = np.mean([_balanced(s, o, c) for s in out])
        novel_valid = np.mean([_balanced(s, o, c) and s not in seen for s in out])
        assert valid >= 0.8, f"{cls}: {valid:.0%} valid"
        assert novel_valid > 0.05, f"{cls}: only memorised strings"
        chance = np.mean(
            [_balanced("".join(rng.choice(list("()[]"), len(s))), o, c) for s in texts]
        )
        assert chance < 0.05
