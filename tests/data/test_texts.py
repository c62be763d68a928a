"""The Texts container: construction, cleaning counts, splits, readers and writers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthset.data.texts import Texts, TextSpec, concat_texts, read_texts, write_texts
from synthset.errors import DataError, OutputExistsError


def _labelled() -> Texts:
    texts = [f"review number {i} is {'good' if i % 2 else 'bad'}" for i in range(20)]
    labels = ["pos" if i % 2 else "neg" for i in range(20)]
    return Texts.from_lists(texts, labels)


def test_from_lists_codes_labels_in_sorted_order():
    t = _labelled()
    assert t.spec.classes == ["neg", "pos"]
    assert t.labels.dtype == np.int64
    assert t.class_counts() == {"neg": 10, "pos": 10}
    assert list(t.label_names[:2]) == ["neg", "pos"]


def test_dialogue_needs_contexts_and_matching_lengths():
    d = Texts.from_lists(["fine", "yes"], contexts=["how are you?", "ok?"])
    assert d.spec.kind == "dialogue"
    assert list(d.to_frame().columns) == ["context", "text"]
    with pytest.raises(DataError, match="contexts"):
        Texts(["a"], spec=TextSpec(kind="dialogue"))
    with pytest.raises(DataError, match="2 contexts for 1"):
        Texts.from_lists(["a"], contexts=["b", "c"])


def test_non_strings_are_refused_with_the_row():
    with pytest.raises(DataError, match="row 1 is float"):
        Texts.from_lists(["a", float("nan")])


def test_clean_counts_every_reason_once():
    t = Texts.from_lists(
        [
            "a fine  film",
            "a dull film",
            "   ",
            "A fine film",
            "cafÃ© was bad",
            "x" * 50,
            "ok",
            "\ufffdbad",
        ],
        labels=list("frffrrrr"),
    )
    out, rep = t.clean(max_chars=40)
    assert rep.rows_in == 8 and rep.rows_out == 3
    assert (rep.empty, rep.broken_encoding, rep.too_long, rep.duplicate) == (1, 2, 1, 1)
    assert out.texts.tolist() == ["a fine film", "a dull film", "ok"]
    assert out.class_counts() == {"f": 1, "r": 2}
    assert "dropped" in str(rep)


def test_duplicates_with_different_labels_are_kept():
    t = Texts.from_lists(["same text", "same text"], labels=["a", "b"])
    out, rep = t.clean()
    assert len(out) == 2 and rep.duplicate == 0


def test_split_is_stratified_disjoint_and_seeded():
    t = _labelled()
    a, b = t.split(0.7, seed=3)
    assert len(a) + len(b) == 20
    assert a.class_counts() == {"neg": 7, "pos": 7}
    assert not set(a.texts) & set(b.texts)
    a2, _ = t.split(0.7, seed=3)
    assert a.texts.tolist() == a2.texts.tolist()
    assert t.per_class(3, seed=0).class_counts() == {"neg": 3, "pos": 3}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_write_read_round_trip(tmp_path, suffix):
    t = Texts.from_lists(['he said "hi", then left', "naïve café\tok", "line"], ["x", "y", "x"])
    path = write_texts(t, tmp_path / f"t{suffix}")
    back = read_texts(path)
    assert back.texts.tolist() == t.texts.tolist()
    assert back.label_names.tolist() == t.label_names.tolist()
    with pytest.raises(OutputExistsError):
        write_texts(t, path)
    write_texts(t, path, overwrite=True)


def test_dialogue_round_trip_and_column_detection(tmp_path):
    d = Texts.from_lists(["fine", "yes"], contexts=["how are you?", "ok?"])
    back = read_texts(write_texts(d, tmp_path / "d.jsonl"))
    assert back.spec.kind == "dialogue" and back.contexts.tolist() == ["how are you?", "ok?"]
    pd.DataFrame({"prompt": ["q1"], "response": ["r1"]}).to_csv(tmp_path / "p.csv", index=False)
    p = read_texts(tmp_path / "p.csv")
    assert p.contexts.tolist() == ["q1"] and p.texts.tolist() == ["r1"]


def test_txt_reads_lines_and_keeps_broken_bytes_for_clean(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"first line\n\nsecond \xff line\n")
    t = read_texts(path)
    assert len(t) == 2 and t.labels is None
    _, rep = t.clean()
    assert rep.broken_encoding == 1


def test_txt_writer_refuses_to_lose_labels(tmp_path):
    with pytest.raises(DataError, match="lose the labels"):
        write_texts(_labelled(), tmp_path / "t.txt")


def test_unknown_text_column_is_named(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="text_column"):
        read_texts(tmp_path / "x.csv")
    (tmp_path / "y.jsonl").write_text(json.dumps({"body": "hello", "y": "k"}) + "\n")
    t = read_texts(tmp_path / "y.jsonl")
    assert t.texts.tolist() == ["hello"] and t.spec.classes == ["k"]


def test_concat_keeps_source_and_checks_kind():
    t = _labelled()
    a, b = t[:5], t[5:]
    a.source = np.array(["real"] * 5, dtype=object)
    b.source = np.array(["synthetic"] * 15, dtype=object)
    both = concat_texts([a, b])
    assert len(both) == 20 and both.source[-1] == "synthetic"
    d = Texts.from_lists(["x"], contexts=["y"])
    with pytest.raises(DataError, match="cannot join"):
        concat_texts([t, d])


def test_fingerprint_changes_with_content_and_labels():
    t = _labelled()
    assert t.fingerprint() == _labelled().fingerprint()
    other = Texts(t.texts, 1 - t.labels, t.spec)
    assert other.fingerprint() != t.fingerprint()
