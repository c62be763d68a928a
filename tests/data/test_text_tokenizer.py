"""Corpus-trained tokenisers: lossless round trips, padding, state, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthset.data.text_tokenizer import (
    BOS,
    EOS,
    PAD,
    TextTokenizer,
    _ragged_arange,
    pad_sequences,
)
from synthset.errors import ConfigError

CORPUS = [
    "a fine film, really good",
    "a dull film",
    "the best movie ever made",
    "café crème — naïve",
    "emoji 🎬 too",
] * 10


@pytest.mark.parametrize("kind", ["bpe", "char"])
def test_round_trip_is_lossless(kind):
    tok = TextTokenizer.train(CORPUS, kind=kind, vocab_size=300)
    ids, lengths = tok.encode_batch(CORPUS[:5], max_length=200)
    assert ids.dtype == torch.int64 and ids.shape[0] == 5
    assert (ids[:, 0] == BOS).all()
    assert ids[torch.arange(5), lengths - 1].eq(EOS).all()
    assert tok.decode_batch(ids) == CORPUS[:5]


def test_bpe_compresses_and_handles_unseen_bytes():
    tok = TextTokenizer.train(CORPUS, kind="bpe", vocab_size=320)
    seqs = tok.encode(["a fine film"])
    assert len(seqs[0]) < len("a fine film")  # merges learned
    assert tok.decode(tok.encode(["漢字 unseen"])[0]) == "漢字 unseen"  # bytes: no unknowns


def test_char_tokenizer_maps_unseen_characters_to_unk():
    tok = TextTokenizer.train(["abc"], kind="char")
    assert tok.decode(tok.encode(["abz"])[0]) == "ab\ufffd"


def test_state_round_trip_and_determinism():
    a = TextTokenizer.train(CORPUS, kind="bpe", vocab_size=300)
    b = TextTokenizer.train(CORPUS, kind="bpe", vocab_size=300)
    assert a == b
    c = TextTokenizer.from_state(a.to_state())
    assert c == a and c.encode(CORPUS[:3])[1].tolist() == a.encode(CORPUS[:3])[1].tolist()


def test_truncation_drops_eos_and_padding_is_zero():
    tok = TextTokenizer.train(CORPUS, kind="char")
    ids, lengths = tok.encode_batch(["a fine film, really good", "a"], max_length=6)
    assert ids.shape == (2, 6)
    assert lengths.tolist() == [6, 3]
    assert ids[0, -1] != EOS
    assert ids[1, 3:].eq(PAD).all()


def test_pad_sequences_with_prefix_matches_a_loop():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(5, 50, size=k) for k in [0, 3, 7, 1]]
    prefix = np.array([[100], [101], [100], [102]])
    ids, lengths = pad_sequences(seqs, max_length=8, prefix=prefix)
    for row, s, p, n in zip(ids.numpy(), seqs, prefix, lengths.numpy(), strict=True):
        full = [int(p[0]), BOS, *s.tolist(), EOS][:8]
        assert row[: len(full)].tolist() == full and n == len(full)
        assert (row[len(full) :] == PAD).all()


def test_ragged_arange():
    assert _ragged_arange(np.array([2, 0, 3])).tolist() == [0, 1, 0, 1, 2]


def test_bad_parameters_are_named():
    with pytest.raises(ConfigError, match="vocab_size"):
        TextTokenizer.train(CORPUS, kind="bpe", vocab_size=10)
    with pytest.raises(ConfigError, match="tokenizer"):
        TextTokenizer.train(CORPUS, kind="word")
