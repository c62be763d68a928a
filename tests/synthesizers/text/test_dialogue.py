"""The ``dialogue`` synthesizer: learns "ping N" → "pong N", replies in batches, masks the
context out of the loss, cuts long contexts from the left, samples pairs, saves and loads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import synthset.synthesizers.text.dialogue  # noqa: F401  (registers "dialogue")
from synthset import load, make_synthesizer
from synthset.data.text_tokenizer import EOS, SEP
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError, NotFittedError

PARAMS = dict(
    epochs=50,
    batch_size=8,
    d_model=64,
    n_layers=2,
    n_heads=4,
    lr=5e-3,
    dropout=0.0,
    tokenizer="char",
    max_length=24,
    random_state=0,
    device="cpu",
)
CONTEXTS = [f"ping {n}" for n in range(8)]


def ping_pong() -> Texts:
    return Texts.from_lists([f"pong {n}" for n in range(8)] * 6, contexts=CONTEXTS * 6)


@pytest.fixture(scope="module")
def fitted():
    return make_synthesizer("dialogue", **PARAMS).fit(ping_pong())


def test_learns_the_mapping_and_replies_to_seen_contexts(fitted):
    greedy = fitted.set_params(temperature=0.0).reply(CONTEXTS)
    fitted.set_params(temperature=1.0)
    assert greedy == [f"pong {n}" for n in range(8)]
    sampled = fitted.reply(CONTEXTS * 4, seed=0)
    assert np.mean([r == f"pong {n % 8}" for n, r in enumerate(sampled)]) >= 0.8
    losses = [h["loss"] for h in fitted.history_]
    assert losses[-1] < 0.1 * losses[0]


def test_replies_in_one_padded_batch_equal_replies_alone(fitted):
    contexts = ["ping 3", "a longer turn first, then ping 5", "ping 1"]
    try:
        fitted.set_params(temperature=0.0)
        together = fitted.reply(contexts)
        alone = [fitted.reply([c])[0] for c in contexts]
    finally:
        fitted.set_params(temperature=1.0)
    assert together == alone
    assert together[0] == "pong 3" and together[2] == "pong 1"


def test_loss_is_on_the_reply_only_and_context_is_cut_from_the_left(fitted):
    long_context = "x" * 40 + "ping 4"
    ids, lengths, start = fitted._pair_rows([long_context, "ping 1"], ["pong 4", "pong 1"], None)
    row = ids[0, : lengths[0]].tolist()
    assert len(row) == fitted.max_length_ and row[-1] == EOS
    sep = row.index(SEP)
    assert int(start[0]) == sep + 1  # the first learned target is the reply's first token
    tok = fitted.tokenizer_
    # the end of the context is kept, its beginning dropped; the reply is whole
    assert tok.decode(row[1:sep]).endswith("ping 4") and len(tok.decode(row[1:sep])) < 46
    assert tok.decode(row[sep + 1 :]) == "pong 4"
    # contexts are not learned: a context nobody replied to scores like a seen one
    ppl = fitted.reply_perplexity(["ping 2", "qqqq 2"], ["pong 2", "pong 2"])
    assert ppl[0] < 1.5 and ppl[1] < 20
    wrong = fitted.reply_perplexity(["ping 2"], ["pong 6"])
    assert wrong[0] > 1.5 * ppl[0]


def test_sample_draws_training_contexts_with_the_seed(fitted):
    out = fitted.sample(12, seed=0)
    assert out.spec.kind == "dialogue" and len(out) == 12
    assert set(out.contexts.tolist()) <= set(CONTEXTS)
    again = fitted.sample(12, seed=0)
    assert out.contexts.tolist() == again.contexts.tolist()
    assert out.texts.tolist() == again.texts.tolist()
    right = [t == c.replace("ping", "pong") for c, t in zip(out.contexts, out.texts, strict=True)]
    assert np.mean(right) >= 0.8


def test_transform_answers_a_texts(fitted):
    data = Texts.from_lists(["?"] * 3, contexts=["ping 2", "ping 5", "ping 7"])
    out = fitted.set_params(temperature=0.0).transform(data)
    fitted.set_params(temperature=1.0)
    assert out.spec.kind == "dialogue"
    assert out.contexts.tolist() == ["ping 2", "ping 5", "ping 7"]
    assert out.texts.tolist() == ["pong 2", "pong 5", "pong 7"]
    as_plain = fitted.transform(Texts(["ping 2"]), seed=0)
    assert as_plain.contexts.tolist() == ["ping 2"]


def test_save_load_gives_identical_replies_and_samples(fitted, tmp_path):
    fitted.save(tmp_path / "dlg")
    again = load(tmp_path / "dlg")
    assert again.reply(CONTEXTS, seed=3) == fitted.reply(CONTEXTS, seed=3)
    a, b = fitted.sample(9, seed=1), again.sample(9, seed=1)
    assert a.contexts.tolist() == b.contexts.tolist() and a.texts.tolist() == b.texts.tolist()
    np.testing.assert_allclose(
        again.reply_perplexity(["ping 1"], ["pong 1"]),
        fitted.reply_perplexity(["ping 1"], ["pong 1"]),
        rtol=1e-6,
    )


def test_conditional_dialogue_draws_contexts_and_replies_of_the_class():
    # class "up" answers with the next number, class "same" with the same one
    n = np.arange(6)
    contexts = [f"n {k}" for k in n] * 4
    replies = [f"{k + 1}" for k in n] * 2 + [f"{k}" for k in n] * 2
    labels = ["up"] * 12 + ["same"] * 12
    data = Texts.from_lists(replies, labels, contexts=contexts)
    synth = make_synthesizer("dialogue", **{**PARAMS, "epochs": 60, "lr": 3e-3}).fit(data)
    out = synth.sample_per_label({"up": 4, "same": 3}, seed=0)
    assert out.class_counts() == {"same": 3, "up": 4}
    synth.set_params(temperature=0.0)
    up = synth.reply(["n 2", "n 4"], labels=["up", "up"])
    same = synth.reply(["n 2", "n 4"], labels=["same", "same"])
    assert up == ["3", "5"] and same == ["2", "4"]
    # an unlabelled pair is scored under the mixture of the classes
    mix = synth.reply_perplexity(["n 2"], ["3"])
    cond = synth.reply_perplexity(["n 2"], ["3"], labels=["up"])
    assert cond[0] <= mix[0] * 1.0001


def test_errors(fitted):
    with pytest.raises(DataError, match="context"):
        make_synthesizer("dialogue", **PARAMS).fit(Texts(["just", "texts"]))
    with pytest.raises(NotFittedError):
        make_synthesizer("dialogue", **PARAMS).reply(["ping 1"])
    with pytest.raises(ConfigError, match="without labels"):
        fitted.reply(["ping 1"], labels=["a"])
    with pytest.raises(DataError, match="reply_perplexity"):
        fitted.perplexity(["ping 1"])
    with pytest.raises(DataError, match="replies for"):
        fitted.reply_perplexity(["ping 1", "ping 2"], ["pong 1"])
    with pytest.raises(ConfigError, match="seed"):
        fitted.reply(["ping 1"], seed=-1)
    with pytest.raises(ConfigError, match="max_length"):
        make_synthesizer("dialogue", **{**PARAMS, "max_length": 2}).fit(ping_pong())


def test_fine_tunes_from_a_gpt_language_model():
    import synthset.synthesizers.text.gpt  # noqa: F401

    lm = make_synthesizer("gpt", **{**PARAMS, "epochs": 5}).fit(
        Texts([f"ping {n}" for n in range(8)] + [f"pong {n}" for n in range(8)])
    )
    synth = make_synthesizer("dialogue", **{**PARAMS, "epochs": 2}, pretrained=lm)
    synth.fit(ping_pong())
    assert synth.tokenizer_ == lm.tokenizer_
    assert torch.isfinite(torch.tensor(synth.history_[-1]["loss"]))
