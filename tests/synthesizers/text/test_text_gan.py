"""text_gan (SeqGAN) on 32 tiny labelled texts, and its rollout rewards checked by hand."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import synthset.synthesizers.text.text_gan  # noqa: F401  (registers "text_gan")
from synthset import load, make_synthesizer
from synthset.data.text_tokenizer import BOS, EOS, PAD
from synthset.data.texts import Texts
from synthset.errors import ConfigError, NotFittedError
from synthset.models.text.seqgan import (
    CNNDiscriminator,
    DiscriminatorConfig,
    GRUGenerator,
    SeqGANConfig,
    pad_after_eos,
    policy_gradient_loss,
    rollout_rewards,
)

POSITIVE = ["a fine film", "a great movie", "a lovely story", "a great film"]
NEGATIVE = ["a dull film", "a bad movie", "a boring story", "a bad film"]
POS_WORDS, NEG_WORDS = ("fine", "great", "lovely"), ("dull", "bad", "boring")


def make_texts(n: int = 32) -> Texts:
    texts = [POSITIVE[i % 4] if i % 2 == 0 else NEGATIVE[i % 4] for i in range(n)]
    labels = ["fresh" if i % 2 == 0 else "rotten" for i in range(n)]
    return Texts.from_lists(texts, labels)


TINY = dict(
    pretrain_epochs=20,
    d_pretrain_epochs=2,
    adversarial_epochs=4,
    d_steps=2,
    n_rollouts=2,
    batch_size=8,
    lr=1e-2,
    embedding_dim=16,
    hidden_dim=32,
    d_filters=8,
    tokenizer="char",
    random_state=0,
    device="cpu",
)


@pytest.fixture(scope="module")
def fitted():
    data = make_texts()
    synth = make_synthesizer("text_gan", **TINY)
    return synth, synth.fit(data), data


def test_text_gan_fit_returns_self_and_samples_texts(fitted):
    synth, returned, _ = fitted
    assert returned is synth
    out = synth.sample(12, seed=1)
    assert isinstance(out, Texts) and len(out) == 12
    assert set(out.label_names) <= {"fresh", "rotten"}
    # the pre-trained generator has learned the tiny corpus: most samples are training texts
    assert np.mean([t in POSITIVE + NEGATIVE for t in out.texts]) >= 0.5


def test_text_gan_history_has_every_phase(fitted):
    synth, _, _ = fitted
    h = synth.history_
    phases = [row["phase"] for row in h]
    assert phases == [1] * 20 + [2] * 2 + [3] * 4
    assert [row["epoch"] for row in h] == list(range(1, 27))
    assert all(np.isfinite(v) for row in h for v in row.values())
    mle = [row["mle_loss"] for row in h if row["phase"] == 1]
    assert mle[-1] < 0.3 * mle[0]  # maximum likelihood training lowers the loss
    adv = [row for row in h if row["phase"] == 3]
    assert all(0.0 <= row["mean_reward"] <= 1.0 for row in adv)
    assert all(0.0 <= row["d_accuracy"] <= 1.0 for row in adv)
    assert all("pg_loss" in row and "mle_loss" in row for row in adv)


def test_text_gan_same_seed_same_texts(fitted):
    synth, _, data = fitted
    a, b, c = (synth.sample(8, seed=s) for s in (3, 3, 4))
    assert list(a.texts) == list(b.texts) and np.array_equal(a.labels, b.labels)
    assert list(a.texts) != list(c.texts)
    small = dict(TINY, pretrain_epochs=2, d_pretrain_epochs=1, adversarial_epochs=2)
    one, two = (make_synthesizer("text_gan", **small).fit(data) for _ in "12")

    def losses(h):
        return [{k: v for k, v in row.items() if k != "seconds"} for row in h]

    assert losses(one.history_) == losses(two.history_)
    assert list(one.sample(8, seed=3).texts) == list(two.sample(8, seed=3).texts)


def test_text_gan_save_load_identical(fitted, tmp_path):
    synth, _, _ = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth)
    a, b = synth.sample(10, seed=5), again.sample(10, seed=5)
    assert list(a.texts) == list(b.texts) and np.array_equal(a.labels, b.labels)


def test_text_gan_conditions_on_the_label(fitted):
    synth, _, _ = fitted
    fresh = synth.sample(30, seed=2, conditions={"label": "fresh"})
    rotten = synth.sample(30, seed=2, conditions={"label": "rotten"})
    assert set(fresh.label_names) == {"fresh"} and set(rotten.label_names) == {"rotten"}

    def share(texts, words):
        return np.mean([any(w in t for w in words) for t in texts])

    assert share(fresh.texts, POS_WORDS) > share(fresh.texts, NEG_WORDS) + 0.3
    assert share(rotten.texts, NEG_WORDS) > share(rotten.texts, POS_WORDS) + 0.3


def test_text_gan_discriminator_separates_real_from_untrained_generator():
    data = make_texts()
    synth = make_synthesizer(
        "text_gan", **dict(TINY, pretrain_epochs=0, d_pretrain_epochs=8, adversarial_epochs=0)
    ).fit(data)
    assert [row["phase"] for row in synth.history_] == [2] * 8
    assert synth.history_[-1]["d_accuracy"] > 0.9
    fake = synth.sample(32, seed=0)  # the untrained generator: random characters
    p_real = synth.discriminate(data)
    p_fake = synth.discriminate(fake)
    assert p_real.shape == (32,) and p_fake.shape == (32,)
    assert p_real.min() > p_fake.max()


def test_text_gan_time_budget_is_shared_by_the_phases():
    many = dict(pretrain_epochs=10_000, d_pretrain_epochs=10_000, adversarial_epochs=10_000)
    synth = make_synthesizer("text_gan", **dict(TINY, **many, max_seconds=1.0))
    t0 = time.perf_counter()
    synth.fit(make_texts())
    assert time.perf_counter() - t0 < 3.0
    phases = [row["phase"] for row in synth.history_]
    # every phase ran, each cut short by its share of the budget
    assert set(phases) == {1, 2, 3} and phases == sorted(phases)
    assert all(phases.count(k) < 10_000 for k in (1, 2, 3))


# ---------------------------------------------------------------- the model pieces
def _tiny_nets(seq_len: int = 7, prefix_len: int = 1, vocab: int = 12):
    torch.manual_seed(0)
    cfg = SeqGANConfig(vocab, seq_len, prefix_len, embedding_dim=8, hidden_dim=8)
    d = CNNDiscriminator(DiscriminatorConfig(vocab, seq_len, 8, (2, 3), 4, dropout=0.0))
    return GRUGenerator(cfg), d.eval()


def test_rollout_rewards_match_a_per_prefix_reference():
    """Batched rollouts equal completing every prefix one at a time, when the policy is fixed."""
    gen, disc = _tiny_nets()
    with torch.no_grad():  # a deterministic policy: always token 7
        gen.out.weight.zero_()
        gen.out.bias.fill_(-1e4)
        gen.out.bias[7] = 1e4
    seqs = torch.tensor([[BOS, 5, 6, 8, 9, 10, 11], [BOS, 5, EOS, PAD, PAD, PAD, PAD]])
    rewards = rollout_rewards(gen, disc, seqs, n_rollouts=3, generator=torch.Generator())
    B, T = 2, 6
    expected = torch.empty(B, T)
    for b in range(B):
        for t in range(T):
            done = seqs[b, 1:].clone()
            done[t + 1 :] = 7
            row = torch.cat([seqs[b, :1], pad_after_eos(done[None])[0]])
            expected[b, t] = torch.sigmoid(disc(row[None]))[0]
    assert torch.allclose(rewards, expected, atol=1e-6)


def test_rollout_rewards_after_eos_equal_the_sequence_score():
    gen, disc = _tiny_nets(prefix_len=2)
    seqs = torch.tensor([[9, BOS, 5, EOS, PAD, PAD, PAD], [10, BOS, 5, 6, 7, 8, EOS]])
    rewards = rollout_rewards(gen, disc, seqs, n_rollouts=4, generator=torch.Generator())
    assert rewards.shape == (2, 5)
    with torch.no_grad():
        whole = torch.sigmoid(disc(seqs))
    # once <eos> is written, every completion is the sequence itself
    assert torch.allclose(rewards[0, 1:], whole[0].expand(4))
    assert rewards[1, -1] == pytest.approx(float(whole[1]))
    assert ((rewards >= 0) & (rewards <= 1)).all()


def test_policy_gradient_raises_the_probability_of_rewarded_text():
    gen, _ = _tiny_nets()
    seqs = torch.tensor([[BOS, 5, 6, 8, EOS, PAD, PAD], [BOS, 9, 10, 11, EOS, PAD, PAD]])
    rewards = torch.tensor([[1.0] * 6, [0.0] * 6])  # the first text is "real", the second not
    opt = torch.optim.SGD(gen.parameters(), lr=0.5)

    def logp(row: torch.Tensor) -> float:
        logits, _ = gen(row[None, :-1])
        lp = torch.log_softmax(logits, -1)[0].gather(1, row[1:, None])[:4]
        return float(lp.sum().detach())

    before = [logp(s) for s in seqs]
    for _ in range(5):
        opt.zero_grad()
        policy_gradient_loss(gen, seqs, rewards).backward()
        opt.step()
    after = [logp(s) for s in seqs]
    assert after[0] > before[0] and after[1] < before[1]


@pytest.mark.parametrize(
    "bad", [{"n_rollouts": 0}, {"d_steps": 0}, {"d_kernel_sizes": ()}, {"adversarial_epochs": -1}]
)
def test_text_gan_bad_params_raise(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        make_synthesizer("text_gan", **dict(TINY, **bad)).fit(make_texts())


def test_text_gan_not_fitted():
    with pytest.raises(NotFittedError):
        make_synthesizer("text_gan", **TINY).sample(2)
