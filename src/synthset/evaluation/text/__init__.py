"""Text evaluation: sentence embedders, a Kneser-Ney reference language model, metrics on text
sets, and the metrics ``evaluate()`` runs on :class:`~synthset.data.texts.Texts`.

>>> from synthset.evaluation.text import KneserNeyLM, distinct_n, self_bleu, memorisation_search
>>> KneserNeyLM(order=3).fit(train.texts).perplexity(fake.texts)
>>> distinct_n(fake.texts, 2), self_bleu(fake.texts)
>>> memorisation_search(fake.texts, train.texts)["char_ratio"]   # longest shared run / length

The registered metrics (``text_fd``, ``perplexity``, ``self_bleu``, ``text_memorisation``,
``text_cas_ratio`` ...) live in :mod:`.fidelity`, :mod:`.utility` and :mod:`.privacy`;
importing this package registers them (in that order), and ``evaluate`` runs them when it is given
texts.
"""

import importlib

from synthset.evaluation.text.context import TextEvalContext
from synthset.evaluation.text.embedders import (
    EMBEDDERS,
    LexicalEmbedder,
    MiniLMEmbedder,
    clear_embedding_cache,
    load_minilm,
    make_embedder,
    minilm_available,
)
from synthset.evaluation.text.metrics import (
    distinct_n,
    exact_matches,
    lcs_batch,
    longest_common_substring,
    memorisation_search,
    self_bleu,
    sentence_bleu_vs_rest,
)
from synthset.evaluation.text.ngram import KneserNeyLM

# Register the text metrics: fidelity, then utility, then privacy (the report's order).
for _module in ("fidelity", "utility", "privacy"):
    importlib.import_module(f"synthset.evaluation.text.{_module}")

__all__ = [
    "EMBEDDERS",
    "KneserNeyLM",
    "LexicalEmbedder",
    "MiniLMEmbedder",
    "TextEvalContext",
    "clear_embedding_cache",
    "distinct_n",
    "exact_matches",
    "lcs_batch",
    "load_minilm",
    "longest_common_substring",
    "make_embedder",
    "memorisation_search",
    "minilm_available",
    "self_bleu",
    "sentence_bleu_vs_rest",
]
