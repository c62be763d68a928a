"""``augment()`` for texts: real texts plus filtered generated ones, to expand or balance classes.

* ``balance_on="label"`` fills every class up to the largest one (``sample_per_label`` of a
  label-conditional synthesizer: ``gpt``, ``text_vae``, ``eda`` …);
* ``n_per_class=k`` adds ``k`` generated texts to every class;
* ``n_new`` / ``ratio`` add that many texts (following the class frequencies for a conditional
  model, unlabelled for an unconditional one on unlabelled data).

Generated texts are filtered by default (:mod:`synthset.sampling.text_filter`: empty and
degenerate outputs, copies and near-duplicates of real texts, repeats, and, for labelled data,
texts a classifier trained on the real data assigns to another class). Rows lost to the filter are
made up by sampling again, up to ``max_rounds`` rounds, each asking for the missing count scaled
by the keep rate seen so far. The result is one :class:`~synthset.data.texts.Texts` whose
``source`` marks each row ``"real"`` or ``"synthetic"``, with the counts in ``augment_report``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthset.data.texts import Texts, as_texts, concat_texts
from synthset.errors import ConfigError, NotFittedError, SynthsetWarning
from synthset.sampling.text_filter import FilterReport, TextFilter, text_keys
from synthset.utils import derive_seed

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

REAL, SYNTHETIC = "real", "synthetic"
MAX_ROUNDS = 4
OVERSAMPLE = 1.1  # the first round asks for 10% more than needed, to absorb a few filtered rows
MAX_FACTOR = 10.0  # a later round asks for at most 10× the missing count


@dataclass
class AugmentReport:
    """What :func:`augment_texts` asked for, generated and kept.

    Attributes:
        requested: texts wanted per class name (``{"*": n}`` for unconditional requests).
        added: texts added per class name (same keys).
        generated: texts sampled over all rounds (before filtering and trimming).
        rounds: sampling rounds run.
        filter: the counts per filter reason over all rounds (None when filtering was off).
    """

    requested: dict[str, int]
    added: dict[str, int] = field(default_factory=dict)
    generated: int = 0
    rounds: int = 0
    filter: FilterReport | None = None

    @property
    def shortfall(self) -> int:
        return sum(self.requested.values()) - sum(self.added.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "requested": dict(self.requested),
            "added": dict(self.added),
            "generated": self.generated,
            "rounds": self.rounds,
            "shortfall": self.shortfall,
            "filter": None if self.filter is None else self.filter.to_dict(),
        }


def is_texts(data: Any) -> bool:
    """Whether ``augment`` should treat ``data`` as texts: a Texts, a .txt / .jsonl path, or a
    list of strings (CSV / Parquet files are tables unless loaded as Texts first)."""
    if isinstance(data, Texts):
        return True
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        return Path(str(data if not isinstance(data, bytes) else data.decode())).suffix.lower() in (
            ".txt",
            ".jsonl",
            ".ndjson",
        )
    if isinstance(data, (list, tuple)) and data:
        return all(isinstance(t, str) for t in data)
    return False


def augment_texts(
    data: Any,
    synth: Synthesizer,
    *,
    n_new: int | None = None,
    ratio: float | None = None,
    balance_on: str | None = None,
    n_per_class: int | None = None,
    seed: int | None = None,
    fit: bool | None = None,
    filter: bool | Mapping[str, Any] = True,
    max_rounds: int = MAX_ROUNDS,
) -> Texts:
    """Real texts followed by generated ones (see the module docstring).

    Args:
        data: the real texts (Texts, a list of strings or a .txt / .jsonl path).
        synth: a text synthesizer (fitted on ``data`` first unless it is fitted already).
        n_new, ratio, balance_on, n_per_class: exactly one says how many texts to add (checked
            by :func:`~synthset.sampling.augment.augment`).
        seed: makes the added texts reproducible.
        fit: ``None`` fits the synthesizer unless it is fitted; ``True`` always; ``False`` never.
        filter: True filters with the defaults (near duplicates at cosine 0.9, unless the
            synthesizer edits real rows by design, like ``eda``; label consistency when
            labelled); a mapping passes options to
            :class:`~synthset.sampling.text_filter.TextFilter`; False adds the samples
            unfiltered.
        max_rounds: sampling rounds at most (≥ 1) to make up for filtered texts.

    Returns:
        Texts with ``source`` set and an ``augment_report`` attribute (:class:`AugmentReport`).

    Raises:
        ConfigError: for a bad option or a synthesizer that cannot serve the request.
        NotFittedError: when ``fit=False`` and the synthesizer is not fitted.
    """
    texts = as_texts(data)
    if getattr(synth, "modality", "table") != "text":
        raise ConfigError(
            f"{synth.name} synthesizes {getattr(synth, 'modality', 'table')}s; for texts use "
            "gpt, text_vae or eda"
        )
    if fit not in (None, True, False):
        raise ConfigError(f"`fit` must be None, True or False, got {fit!r}")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise ConfigError(f"`max_rounds` must be an int ≥ 1, got {max_rounds!r}")
    text_filter = _make_filter(filter, synth)  # bad options fail before a long fit
    if fit or (fit is None and not synth.is_fitted):
        synth.fit(texts)
    elif not synth.is_fitted:
        raise NotFittedError(
            f"the {type(synth).__name__} is not fitted and fit=False; fit it first or pass "
            "fit=None to fit it on the texts"
        )
    spec = synth.spec_
    if spec.kind != texts.spec.kind:
        raise ConfigError(
            f"the synthesizer was fitted on {spec.kind!r} data but these texts are "
            f"{texts.spec.kind!r}; refit it (fit=True) or pass matching texts"
        )
    conditional = bool(getattr(synth, "n_classes_", 0))
    labelled = texts.labels is not None
    if labelled and spec.classes != texts.spec.classes:
        raise ConfigError(
            f"the synthesizer knows classes {spec.classes}, the texts {texts.spec.classes}; "
            "refit it (fit=True) on these texts"
        )
    if balance_on is not None or n_per_class is not None:
        if balance_on is not None and balance_on != texts.spec.label_name:
            raise ConfigError(
                f"texts can only be balanced on their label {texts.spec.label_name!r}, got "
                f"{balance_on!r}"
            )
        if not labelled or not conditional:
            raise ConfigError(
                "balancing or expanding classes needs labelled texts and a label-conditional "
                f"synthesizer (gpt, text_vae, eda); {synth.name} with "
                f"{'labelled' if labelled else 'unlabelled'} texts cannot"
            )
        counts = np.bincount(texts.labels, minlength=spec.n_classes)
        wanted = (
            counts.max() - counts if balance_on is not None else np.full_like(counts, n_per_class)
        )
        requested = {c: int(k) for c, k in zip(spec.classes, wanted, strict=True)}
    else:
        if labelled and not conditional:
            raise ConfigError(
                f"this {synth.name} generates unlabelled texts, so they cannot join labelled "
                "data; fit it with labels (a label-conditional model) or drop the labels"
            )
        n = n_new if n_new is not None else int(round(ratio * len(texts)))
        if n < 1:
            raise ConfigError(
                f"ratio={ratio} × {len(texts)} texts rounds to 0; use a larger `ratio` or "
                "pass `n_new`"
            )
        requested = {"*": int(n)}

    if text_filter is not None:
        text_filter.fit(texts)
    report = AugmentReport(requested=requested)
    parts = _generate(texts, synth, requested, seed, text_filter, max_rounds, report)
    real = Texts(
        texts.texts,
        texts.labels,
        texts.spec,
        contexts=texts.contexts,
        name=texts.name,
        source=np.full(len(texts), REAL, dtype=object),
    )
    fakes = []
    for p in parts:
        fakes.append(
            Texts(
                p.texts,
                p.labels if labelled else None,
                texts.spec,
                contexts=p.contexts,
                source=np.full(len(p), SYNTHETIC, dtype=object),
            )
        )
    out = concat_texts([real, *fakes])
    out.name = texts.name
    out.augment_report = report  # type: ignore[attr-defined]
    if report.shortfall > 0:
        warnings.warn(
            f"after {report.rounds} sampling rounds {report.shortfall} of the "
            f"{sum(requested.values())} requested texts are missing: the filter dropped too "
            f"many ({report.filter}). Loosen it (filter={{'near_duplicate': 0.95}}, "
            "filter=False) or raise max_rounds",
            SynthsetWarning,
            stacklevel=3,
        )
    return out


def _make_filter(option: Any, synth: Synthesizer) -> TextFilter | None:
    if option is False or option is None:
        return None
    defaults: dict[str, Any] = {
        # an edit of a real row (eda) is a near duplicate by design: only exact copies go
        "near_duplicate": None if getattr(synth, "perturbs_real_rows", False) else 0.9,
        "label_consistency": "auto",
    }
    if option is True:
        options = defaults
    elif isinstance(option, Mapping):
        options = {**defaults, **dict(option)}
    else:
        raise ConfigError(
            f"`filter` must be True, False or a dict of filter options, got {option!r}"
        )
    try:
        return TextFilter(**options)
    except TypeError as exc:
        raise ConfigError(f"bad `filter` option: {exc}") from None


def _draw(synth: Synthesizer, need: dict[str, int], seed: int | None) -> Texts:
    if "*" in need:
        return synth.sample(need["*"], seed=seed)
    return synth.sample_per_label({c: k for c, k in need.items() if k > 0}, seed=seed)


def _generate(
    real: Texts,
    synth: Synthesizer,
    requested: dict[str, int],
    seed: int | None,
    text_filter: TextFilter | None,
    max_rounds: int,
    report: AugmentReport,
) -> list[Texts]:
    """Sample, filter and trim, round after round, until every class has its count."""
    spec = synth.spec_
    missing = {c: k for c, k in requested.items() if k > 0}
    added = dict.fromkeys(requested, 0)
    kept_parts: list[Texts] = []
    seen: set[str] = set()  # keys of kept texts: later rounds must not repeat them
    total_filter = FilterReport() if text_filter is not None else None
    keep_rate = 1.0
    for r in range(max_rounds if text_filter is not None else 1):
        if not missing:
            break
        # ask for the missing count over the keep rate seen so far (at most 10×)
        factor = min((OVERSAMPLE if r == 0 else 1.2) / max(keep_rate, 1e-3), MAX_FACTOR)
        ask = {c: max(1, math.ceil(k * factor)) if text_filter else k for c, k in missing.items()}
        # a fresh child seed per round: rounds draw different texts
        batch = _draw(synth, ask, derive_seed(seed, r))
        report.generated += len(batch)
        report.rounds = r + 1
        if text_filter is not None:
            batch, rep = text_filter.filter(batch)
            if seen:
                repeat = np.isin(text_keys(batch), list(seen))
                rep.duplicate += int(repeat.sum())
                rep.rows_out -= int(repeat.sum())
                batch = batch[np.flatnonzero(~repeat)]
            total_filter += rep
            keep_rate = max(total_filter.rows_out / max(total_filter.rows_in, 1), 0.0)
        # trim to what each class still misses (first rows first: deterministic)
        if "*" in missing:
            take = np.arange(min(len(batch), missing["*"]))
            groups = {"*": take}
        else:
            groups = {}
            for c in missing:
                rows = np.flatnonzero(batch.labels == spec.class_code(c))
                groups[c] = rows[: missing[c]]
        idx = np.sort(np.concatenate(list(groups.values()))) if groups else np.array([], int)
        chosen = batch[idx]
        if len(chosen):
            kept_parts.append(chosen)
            if text_filter is not None:
                seen.update(text_keys(chosen).tolist())
        for c, rows in groups.items():
            added[c] += len(rows)
            missing[c] -= len(rows)
        missing = {c: k for c, k in missing.items() if k > 0}
    report.added = added
    report.filter = total_filter
    return kept_parts
