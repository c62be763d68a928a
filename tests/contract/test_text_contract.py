"""One suite over every registered text synthesizer, on 32 tiny labelled texts (seconds in all).

``smollm2`` wraps a 135M-parameter pretrained model: its own tests run the same contract on a
tiny stand-in network (tests/synthesizers/text/test_smollm.py), so it is left out here.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthset import list_synthesizers, load, make_synthesizer
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError, NotFittedError

_NEURAL = {"epochs": 2, "batch_size": 8, "tokenizer": "char", "max_length": 24, "random_state": 0}
TEXT_TINY_PARAMS: dict[str, dict] = {
    "gpt": {**_NEURAL, "d_model": 16, "n_layers": 1, "n_heads": 2},
    "dialogue": {**_NEURAL, "d_model": 16, "n_layers": 1, "n_heads": 2},
    "text_vae": {**_NEURAL, "embedding_dim": 8, "hidden_dim": 16, "latent_dim": 4},
    "text_gan": {
        **{k: v for k, v in _NEURAL.items() if k != "epochs"},
        "pretrain_epochs": 1,
        "adversarial_epochs": 1,
        "embedding_dim": 8,
        "hidden_dim": 16,
        "n_rollouts": 2,
    },
    "eda": {"random_state": 0},
}
SKIPPED = {"smollm2"}
NAMES = [n for n in list_synthesizers(modality="text") if n not in SKIPPED]


def tiny_texts(dialogue: bool = False) -> Texts:
    good = ["a fine film", "a good film", "great acting", "a fine cast", "good fun"]
    bad = ["a dull film", "a bad film", "poor acting", "a dull cast", "bad fun"]
    texts = [good[i % 5] + f" {i}" for i in range(16)] + [bad[i % 5] + f" {i}" for i in range(16)]
    labels = ["fresh"] * 16 + ["rotten"] * 16
    if dialogue:
        contexts = [f"what about {i}?" for i in range(32)]
        return Texts.from_lists(texts, labels, contexts=contexts)
    return Texts.from_lists(texts, labels)


def test_every_text_synthesizer_has_tiny_params():
    assert set(NAMES) <= set(TEXT_TINY_PARAMS), "add tiny params for new text synthesizers"
    assert {"gpt", "dialogue", "text_vae", "text_gan", "eda"} <= set(NAMES)


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    name = request.param
    synth = make_synthesizer(name, **TEXT_TINY_PARAMS[name])
    data = tiny_texts(dialogue="dialogue" in getattr(synth, "kinds", ("text",)) and name != "eda")
    returned = synth.fit(data)
    return name, synth, returned, data


def test_fit_returns_self_and_finite_history(fitted):
    name, synth, returned, _ = fitted
    assert returned is synth and synth.is_fitted
    for h in getattr(synth, "history_", []):
        assert all(np.isfinite(v) for v in h.values() if isinstance(v, float))


def test_sample_matches_spec(fitted):
    _, synth, _, data = fitted
    out = synth.sample(10, seed=1)
    assert isinstance(out, Texts) and len(out) == 10
    assert all(isinstance(t, str) for t in out.texts)
    assert out.spec.kind == data.spec.kind
    assert out.labels is not None and set(out.label_names) <= {"fresh", "rotten"}
    if data.spec.kind == "dialogue":
        assert out.contexts is not None and len(out.contexts) == 10


def test_same_seed_same_texts(fitted):
    _, synth, _, _ = fitted
    a, b = synth.sample(8, seed=7), synth.sample(8, seed=7)
    assert a.texts.tolist() == b.texts.tolist()
    assert np.array_equal(a.labels, b.labels)


def test_conditions_and_per_label_counts(fitted):
    _, synth, _, _ = fitted
    out = synth.sample(6, seed=2, conditions={"label": "rotten"})
    assert set(out.label_names) == {"rotten"}
    per = synth.sample_per_label({"fresh": 3, "rotten": 5}, seed=0)
    assert per.class_counts() == {"fresh": 3, "rotten": 5}
    with pytest.raises((ConfigError, DataError)):
        synth.sample(2, conditions={"label": "meh"})
    with pytest.raises(ConfigError):
        synth.sample(2, conditions={"colour": "red"})


def test_save_load_identical_samples(fitted, tmp_path):
    _, synth, _, _ = fitted
    synth.save(tmp_path / "run")
    again = load(tmp_path / "run")
    assert type(again) is type(synth)
    a, b = synth.sample(8, seed=3), again.sample(8, seed=3)
    assert a.texts.tolist() == b.texts.tolist()
    assert again.spec_.classes == ["fresh", "rotten"]
    assert not list((tmp_path / "run").glob("*.pkl"))


def test_unfitted_and_bad_n(fitted):
    name, synth, _, _ = fitted
    with pytest.raises(NotFittedError):
        make_synthesizer(name).sample(3)
    with pytest.raises(ConfigError):
        synth.sample(0)


def test_bad_data_is_named():
    for name in NAMES:
        synth = make_synthesizer(name, **TEXT_TINY_PARAMS[name])
        with pytest.raises(DataError):
            synth.fit(Texts.from_lists(["only one"]))
