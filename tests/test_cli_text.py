"""The command line on texts: detection, fit, sample (JSONL / CSV / Parquet / .txt), augment,
evaluate, the datasets listing and one-line errors.

A test-only synthesizer (a character unigram model per class, built on the real
:class:`TextSynthesizer` base, so fit / sample / save / load go through the real artifacts) keeps
these tests fast and independent of the neural text models.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor, nn

from synthset.data.text_tokenizer import PAD, SPECIAL_TOKENS
from synthset.data.texts import Texts, read_texts, write_texts
from synthset.registry import _REGISTRY, register
from synthset.synthesizers.text._base import TEXT_CONSTRAINTS, TextSynthesizer
from tests.test_cli import assert_one_line_error, invoke

UNIGRAM = "unigram_test"
FIT = ["--synth", UNIGRAM, "--seed", "0", "-q"]


class _UnigramNet(nn.Module):
    """Per-class log-probabilities of every token and of every text length."""

    def __init__(self, n_classes: int, vocab: int, max_length: int):
        super().__init__()
        self.register_buffer("token_logp", torch.zeros(n_classes, vocab))
        self.register_buffer("length_logp", torch.zeros(n_classes, max_length + 1))


class CharUnigram(TextSynthesizer):
    """Test-only: characters drawn independently from their per-class frequencies."""

    _constraints = TEXT_CONSTRAINTS

    def __init__(
        self,
        *,
        epochs: int = 1,
        batch_size: int = 64,
        lr: float = 1.0,
        tokenizer: str = "char",
        vocab_size: int = 300,
        max_length: int = 64,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "cpu",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list | None = None,
    ):
        self._store_params(locals())

    def _train(self, data: Texts) -> None:
        ids, _ = self._encode(data, bos=False, eos=False)
        k = max(self.n_classes_, 1)
        v = self.tokenizer_.vocab_size
        cls = (
            torch.as_tensor(data.labels, device=ids.device)
            if self.n_classes_
            else torch.zeros(len(ids), dtype=torch.long, device=ids.device)
        )
        body = (ids >= len(SPECIAL_TOKENS)) & (ids < v)  # not padding, not a label token
        rows = cls[:, None].expand_as(ids)
        counts = torch.bincount((rows * v + ids)[body], minlength=k * v).view(k, v).float()
        lengths = torch.bincount(
            cls * (self.max_length + 1) + body.sum(1), minlength=k * (self.max_length + 1)
        )
        self.net_ = _UnigramNet(k, v, self.max_length).to(self.device_)
        self.net_.token_logp.copy_(
            torch.log((counts + 1e-3) / (counts + 1e-3).sum(1, keepdim=True))
        )
        lengths = lengths.view(k, -1).float() + 1e-6
        self.net_.length_logp.copy_(torch.log(lengths / lengths.sum(1, keepdim=True)))
        self.net_.token_logp[:, : len(SPECIAL_TOKENS)] = -torch.inf
        nll = -(counts * self.net_.token_logp.clamp_min(-1e4)).sum() / counts.sum()
        self.history_.append({"epoch": 1, "loss": float(nll)})

    def _generate(self, m: int, y: Tensor | None, gen: torch.Generator) -> tuple[list[str], None]:
        k = y if y is not None else torch.zeros(m, dtype=torch.long, device=self.device_)
        length = torch.multinomial(self.net_.length_logp[k].exp(), 1, generator=gen)  # (m, 1)
        tokens = torch.multinomial(
            self.net_.token_logp[k].exp(), self.max_length, replacement=True, generator=gen
        )  # (m, L)
        position = torch.arange(self.max_length, device=self.device_)[None, :]
        tokens[position >= length] = PAD
        return self.tokenizer_.decode_batch(tokens), None

    def _sampling_net(self) -> nn.Module:
        return self.net_

    def _model_config(self) -> dict[str, Any]:
        k, v = self.net_.token_logp.shape
        return {"n_classes": k, "vocab": v, "max_length": self.net_.length_logp.shape[1] - 1}

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        self.net_ = _UnigramNet(cfg["n_classes"], cfg["vocab"], cfg["max_length"])
        return self.net_


@pytest.fixture(scope="module", autouse=True)
def unigram_registered():
    register(UNIGRAM)(CharUnigram)
    yield
    _REGISTRY.pop(UNIGRAM, None)


def _reviews(n_fresh: int, n_rotten: int, seed: int = 0) -> Texts:
    """Tiny labelled reviews: fresh ones use only 'a'-words, rotten ones only 'o'-words."""
    rng = np.random.default_rng(seed)
    fresh = ["grand", "fantastic", "smart", "and", "a"]
    rotten = ["boring", "foolish", "only", "too", "so"]
    texts = [" ".join(rng.choice(fresh, 5)) for _ in range(n_fresh)]
    texts += [" ".join(rng.choice(rotten, 5)) for _ in range(n_rotten)]
    return Texts.from_lists(texts, ["fresh"] * n_fresh + ["rotten"] * n_rotten)


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory):
    path = tmp_path_factory.mktemp("texts") / "reviews.jsonl"
    write_texts(_reviews(30, 10), path)
    return path


@pytest.fixture(scope="module")
def run(jsonl, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    result = invoke("fit", jsonl, *FIT, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_fit_detects_jsonl_as_texts(jsonl, tmp_path):
    result = invoke("fit", jsonl, "--synth", UNIGRAM, "-o", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert f"fitted {UNIGRAM} on 40 texts (2 classes)" in result.stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["synthesizer"] == UNIGRAM


def test_sample_jsonl_with_condition_is_deterministic(run, tmp_path):
    # Run
    args = ["-n", 25, "--condition", "label=fresh", "--seed", 3, "-q"]
    first = invoke("sample", run, *args, "-o", tmp_path / "a.jsonl")
    second = invoke("sample", run, *args, "-o", tmp_path / "b.jsonl")

    # Assert
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    back = read_texts(tmp_path / "a.jsonl")
    assert len(back) == 25 and set(back.label_names) == {"fresh"}
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    # the fresh model never saw an 'o'-only word's letters such as 'b' or 'y'
    assert not any(set(t) & set("byl") for t in back)


def test_sample_writes_csv_parquet_and_txt(run, tmp_path):
    for name in ("s.csv", "s.parquet"):
        result = invoke("sample", run, "-n", 12, "--seed", 1, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert "sampled 12 texts" in result.stderr
    csv = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    parquet = pd.read_parquet(tmp_path / "s.parquet")
    assert list(csv.columns) == ["text", "label"] and set(csv["label"]) <= {"fresh", "rotten"}
    assert csv.equals(parquet)

    result = invoke("sample", run, "-n", 7, "--seed", 1, "-o", tmp_path / "s.txt", "-q")
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "s.txt").read_text().splitlines()) == 7  # texts only


def test_sample_respects_overwrite(run, tmp_path):
    out = tmp_path / "s.jsonl"
    assert invoke("sample", run, "-n", 3, "-o", out, "-q").exit_code == 0

    assert_one_line_error(invoke("sample", run, "-n", 3, "-o", out), "--overwrite")
    result = invoke("sample", run, "-n", 5, "-o", out, "--overwrite", "-q")
    assert result.exit_code == 0, result.output
    assert len(read_texts(out)) == 5


def test_csv_with_text_column_is_texts(tmp_path):
    # Setup: a CSV whose text column is not named like one, plus a numeric column
    frame = _reviews(12, 12).to_frame().rename(columns={"text": "blurb", "label": "verdict"})
    frame["stars"] = np.arange(24)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)

    # Run
    result = invoke(
        "fit", path, *FIT[:2], "--text-column", "blurb", "--label-column", "verdict",
        "-o", tmp_path / "r",
    )  # fmt: skip

    # Assert
    assert result.exit_code == 0, result.output
    assert "24 texts (2 classes)" in result.stderr
    spec = json.loads((tmp_path / "r" / "spec.json").read_text())
    assert (spec["text_name"], spec["label_name"]) == ("blurb", "verdict")
    out = tmp_path / "s.jsonl"
    result = invoke("sample", tmp_path / "r", "-n", 4, "-c", "verdict=rotten", "-o", out)
    assert result.exit_code == 0, result.output
    assert set(pd.read_json(out, lines=True)["verdict"]) == {"rotten"}


def test_text_synthesizer_reads_a_csv_as_texts(tmp_path):
    path = tmp_path / "r.csv"
    _reviews(8, 8).to_frame().to_csv(path, index=False)

    result = invoke("fit", path, *FIT[:2], "-o", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert "16 texts (2 classes)" in result.stderr


def test_modality_text_on_a_txt_file_without_labels(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("a first line\nanother line\n\na third one\n")

    result = invoke("fit", path, *FIT[:2], "--modality", "text", "-o", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert "3 texts" in result.stderr and "classes" not in result.stderr
    # an unlabelled model cannot be conditioned on a class
    bad = invoke("sample", tmp_path / "r", "-n", 2, "-c", "label=x", "-o", tmp_path / "s.txt")
    assert_one_line_error(bad, "label")


def test_fit_bundled_text_dataset(tmp_path):
    result = invoke("fit", "rotten_tomatoes", *FIT[:2], "-o", tmp_path / "r")

    assert result.exit_code == 0, result.output
    assert "3,404 texts (2 classes)" in result.stderr


def test_augment_balances_texts(tmp_path):
    # Setup
    path = tmp_path / "imbalanced.jsonl"
    write_texts(_reviews(30, 10, seed=1), path)
    out = tmp_path / "aug.jsonl"

    # Run
    result = invoke("augment", path, *FIT[:-1], "--balance-on", "label", "-o", out)

    # Assert
    assert result.exit_code == 0, result.output
    assert "added 20 synthetic texts to 40 real" in result.stderr
    assert "kept 20 after filtering" in result.stderr
    frame = pd.read_json(out, lines=True)
    assert len(frame) == 60
    assert frame["label"].value_counts().to_dict() == {"fresh": 30, "rotten": 30}
    assert frame["source"].value_counts().to_dict() == {"real": 40, "synthetic": 20}
    assert set(frame.loc[frame["source"] == "synthetic", "label"]) == {"rotten"}


def test_augment_n_per_class_and_txt_refused(jsonl, tmp_path):
    out = tmp_path / "aug.parquet"
    result = invoke("augment", jsonl, *FIT, "--n-per-class", 4, "--no-filter", "-o", out)
    assert result.exit_code == 0, result.output
    back = read_texts(out)
    assert back.class_counts() == {"fresh": 34, "rotten": 14}

    assert_one_line_error(
        invoke("augment", jsonl, *FIT, "--ratio", 0.5, "-o", tmp_path / "a.txt"), "source"
    )
    table = tmp_path / "t.csv"
    pd.DataFrame({"x": np.arange(20.0), "y": np.arange(20.0) % 3}).to_csv(table, index=False)
    copula = ["--synth", "gaussian_copula", "--ratio", 0.5, "--no-filter"]
    assert_one_line_error(invoke("augment", table, *copula, "-o", tmp_path / "t2.csv"), "texts")


def test_text_errors_are_one_line(jsonl, run, tmp_path):
    # a CSV whose text column cannot be told apart, read by a text synthesizer
    ambiguous = tmp_path / "ambiguous.csv"
    pd.DataFrame({"first": ["x y", "z w"], "second": ["p q", "r s"]}).to_csv(ambiguous)
    assert_one_line_error(invoke("fit", ambiguous, *FIT[:2], "-o", tmp_path / "x"), "--text-column")
    # a column that is not there
    assert_one_line_error(
        invoke("fit", jsonl, *FIT[:2], "--text-column", "body", "-o", tmp_path / "x"), "body"
    )
    # text options on a table synthesizer reading a table
    assert_one_line_error(
        invoke("fit", ambiguous, "--synth", "gaussian_copula", "--label-column", "first",
               "-o", tmp_path / "x"),
        "apply to texts",
    )  # fmt: skip
    # a table synthesizer on texts
    assert_one_line_error(invoke("fit", jsonl, "--synth", "ctgan", "-o", tmp_path / "x"), "text")
    # outputs: a bad extension, an unknown class
    assert_one_line_error(invoke("sample", run, "-n", 2, "-o", tmp_path / "x.npz"), ".jsonl")
    assert_one_line_error(
        invoke("sample", run, "-n", 2, "-c", "label=meh", "-o", tmp_path / "x.jsonl"), "fresh"
    )
    assert_one_line_error(invoke("fit", "missing.jsonl", *FIT[:2], "-o", tmp_path / "x"))
    assert_one_line_error(
        invoke("fit", "rotten_tomatoes", "--modality", "image", *FIT[:2], "-o", tmp_path / "x")
    )


def test_datasets_lists_text_datasets():
    table = invoke("datasets", env={"COLUMNS": "200"})
    rows = json.loads(invoke("datasets", "--format", "json").stdout)

    assert table.exit_code == 0, table.output
    assert "3,404 texts" in table.stdout and "887 pairs" in table.stdout
    by_name = {r["name"]: r for r in rows}
    assert (by_name["chatterbot"]["modality"], by_name["chatterbot"]["kind"]) == (
        "text",
        "dialogue",
    )


def _text_metrics_or_skip(real: Texts, fake: Texts) -> str:
    """Cheap text metrics, or a skip while evaluate() does not handle texts yet."""
    import synthset

    try:
        from synthset.evaluation.base import list_metrics

        names = list_metrics(modality="text")
    except Exception as e:  # noqa: BLE001 - any failure means texts are not evaluable yet
        pytest.skip(f"text metrics are not available yet: {e}")
    cheap = [n for n in names if any(k in n for k in ("distinct", "exact", "length", "copies"))]
    if not cheap:
        pytest.skip(f"no cheap text metric among {names}")
    try:
        synthset.evaluate(real, fake, metrics=",".join(cheap))
    except (NotImplementedError, TypeError, ValueError) as e:
        pytest.skip(f"evaluate() does not handle texts yet: {e}")
    return ",".join(cheap)


def test_evaluate_texts(jsonl, run, tmp_path):
    # Setup
    fake = tmp_path / "fake.csv"  # a CSV: read as texts because the real data are texts
    assert invoke("sample", run, "-n", 20, "--seed", 1, "-o", fake, "-q").exit_code == 0
    metrics = _text_metrics_or_skip(read_texts(jsonl), read_texts(fake))
    report = tmp_path / "r.json"

    # Run
    result = invoke(
        "evaluate", "--real", jsonl, "--synthetic", fake, "--metrics", metrics,
        "--report", report,
    )  # fmt: skip

    # Assert
    assert result.exit_code == 0, result.output
    assert "20 synthetic texts against 40 real texts" in result.stderr
    names = {m["name"] for m in json.loads(report.read_text())["metrics"]}
    assert names == set(metrics.split(","))
    assert_one_line_error(
        invoke("evaluate", "--real", jsonl, "--synthetic", fake, "--target", "label"), "--target"
    )


def test_fit_sample_with_gpt(jsonl, tmp_path):
    pytest.importorskip("synthset.synthesizers.text.gpt")
    tiny = ["epochs=1", "d_model=16", "n_layers=1", "n_heads=2", "tokenizer=char",
            "max_length=40", "batch_size=16", "device=cpu"]  # fmt: skip
    params = [arg for p in tiny for arg in ("--param", p)]

    fit = invoke("fit", jsonl, "--synth", "gpt", *params, "--seed", 0, "-o", tmp_path / "g", "-q")
    assert fit.exit_code == 0, fit.output
    out = tmp_path / "g.jsonl"
    result = invoke("sample", tmp_path / "g", "-n", 6, "-c", "label=rotten", "-o", out, "-q")

    assert result.exit_code == 0, result.output
    back = read_texts(out)
    assert len(back) == 6 and set(back.label_names) == {"rotten"}


def test_dialogue_pairs_round_trip(tmp_path):
    pytest.importorskip("synthset.synthesizers.text.eda")
    path = tmp_path / "pairs.jsonl"
    pairs = Texts.from_lists(
        ["fine thanks", "it is sunny", "a cup of tea", "yes I do", "no I do not", "at noon"] * 2,
        ["chat", "weather", "food", "chat", "food", "chat"] * 2,
        contexts=["how are you", "how is the weather", "what would you like",
                  "do you like it", "are you hungry", "when shall we meet"] * 2,
    )  # fmt: skip
    write_texts(pairs, path)

    fit = invoke("fit", path, "--synth", "eda", "--seed", 0, "-o", tmp_path / "e")
    assert fit.exit_code == 0, fit.output
    assert "12 dialogue pairs (3 classes)" in fit.stderr
    out = tmp_path / "s.jsonl"
    result = invoke("sample", tmp_path / "e", "-n", 5, "-c", "label=food", "-o", out)

    assert result.exit_code == 0, result.output
    assert "sampled 5 dialogue pairs" in result.stderr
    frame = pd.read_json(out, lines=True)
    assert list(frame.columns) == ["context", "text", "label"] and set(frame["label"]) == {"food"}
    assert_one_line_error(
        invoke("sample", tmp_path / "e", "-n", 2, "-o", tmp_path / "s.txt"), "contexts"
    )
