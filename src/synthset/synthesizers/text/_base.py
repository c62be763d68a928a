"""What every text synthesizer shares: the tokeniser trained on the corpus, label conditioning
by a prefix token, batched seeded sampling with temperature / top-k / top-p, a per-label count,
and the saved state.

Fit: coerce to :class:`~synthset.data.texts.Texts` → train the tokeniser (byte-level BPE or
characters) on the corpus → the subclass encodes with :meth:`TextSynthesizer._encode` (one
padded int64 tensor, kept on the device) and trains. Labels become prefix tokens: class ``k``
is token ``tokenizer_.vocab_size + k``, so the model's vocabulary is ``model_vocab_size``.
Sample: labels are drawn from the training class frequencies (or fixed by ``conditions``),
the subclass generates a batch of token rows on the device, and they are decoded once per batch.
"""

from __future__ import annotations

import contextlib
import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from synthset.data.text_tokenizer import TextTokenizer, pad_sequences
from synthset.data.texts import Texts, TextSpec, as_texts, concat_texts
from synthset.errors import ConfigError, DataError, SynthsetWarning
from synthset.synthesizers._loop import LoopMixin
from synthset.synthesizers.base import (
    SEED,
    Anything,
    Boolean,
    DeviceName,
    Interval,
    Options,
    Synthesizer,
)
from synthset.utils import (
    cpu_threads,
    default_cpu_threads,
    derive_seed,
    make_torch_generator,
    resolve_device,
)

# Parameters every neural text synthesizer shares (the rest are per model).
TEXT_CONSTRAINTS = {
    "epochs": Interval(int, 1),
    "batch_size": Interval(int, 1),
    "lr": Interval(float, 0.0, low_open=True),
    "tokenizer": Options(("bpe", "char")),
    "vocab_size": Interval(int, 260),
    "max_length": Interval(int, 4),
    "temperature": Interval(float, 0.0),
    "top_k": Interval(int, 0, none_ok=True),
    "top_p": Interval(float, 0.0, 1.0, low_open=True, none_ok=True),
    "max_seconds": Interval(float, 0.0, low_open=True, none_ok=True),
    "sample_batch_size": Interval(int, 1, none_ok=True),
    "device": DeviceName(),
    "random_state": SEED,
    "verbose": Boolean(),
    "callbacks": Anything(),
}


class TextSynthesizer(LoopMixin, Synthesizer):
    """Base of the text synthesizers (``modality = "text"``).

    Conditioning: when the training texts are labelled and ``label_conditional`` is true, one
    model learns every class (a label prefix token) and ``sample(n, conditions={"label":
    "fresh"})`` draws that class; unconditioned draws follow the training class frequencies.
    :meth:`sample_per_label` draws a given count of every class at once.
    """

    modality = "text"
    kinds: tuple[str, ...] = ("text",)  # the data kinds (TextSpec.kind) a model accepts
    label_conditional = True

    # ------------------------------------------------------------------ data
    def _coerce_data(self, data: Any, spec: Any) -> Texts:
        texts = as_texts(data, spec)
        if texts.spec.kind not in self.kinds:
            if texts.spec.kind == "dialogue":
                raise DataError(
                    f"{self.name} learns single texts but got dialogue pairs; use the "
                    "'dialogue' synthesizer for context → reply data"
                )
            raise DataError(
                f"{self.name} learns context → reply pairs but got single texts; give a "
                "file with context and reply columns (Texts.from_lists(replies, contexts=...))"
            )
        if len(texts) < 2:
            raise DataError(f"{len(texts)} text(s) are too few to learn from; give at least 2")
        lengths = texts.lengths("chars")
        if int(lengths.max(initial=0)) == 0:
            raise DataError("every text is empty; clean the data (Texts.clean()) first")
        return texts

    def _check_conditions(self, conditions: Any) -> dict[str, Any]:
        conditions = dict(conditions or {})
        if not conditions:
            return {}
        spec: TextSpec = self.spec_
        unknown = [k for k in conditions if k != spec.label_name]
        if unknown:
            raise ConfigError(
                f"texts can only be conditioned on {spec.label_name!r}, got {unknown}"
                if spec.classes
                else f"these texts have no labels, so they cannot be conditioned on {unknown}"
            )
        if not self.n_classes_:
            raise ConfigError(
                f"this {self.name} was fitted without labels (or label_conditional=False), "
                "so it cannot draw a given class"
            )
        return {spec.label_name: spec.class_code(conditions[spec.label_name])}

    # ------------------------------------------------------------------ fitting
    def _fit(self, data: Texts) -> None:
        self.device_ = resolve_device(self.device)
        spec = data.spec
        self.n_classes_ = (
            spec.n_classes if (self.label_conditional and data.labels is not None) else 0
        )
        counts = (
            np.bincount(data.labels, minlength=spec.n_classes).astype(float)
            if self.n_classes_
            else None
        )
        self.class_prior_ = None if counts is None else (counts / counts.sum()).tolist()
        self.tokenizer_ = self._fit_tokenizer(data)
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with cpu_threads(threads):
            self._train(data)

    def _corpus(self, data: Texts) -> list[str]:
        """The strings the tokeniser learns from (dialogue models add the contexts)."""
        texts = data.texts.tolist()
        if data.contexts is not None:
            texts = data.contexts.tolist() + texts
        return texts

    def _fit_tokenizer(self, data: Texts) -> TextTokenizer:
        return TextTokenizer.train(
            self._corpus(data), kind=self.tokenizer, vocab_size=self.vocab_size
        )

    @property
    def model_vocab_size(self) -> int:
        """Tokeniser vocabulary plus one prefix token per class."""
        return self.tokenizer_.vocab_size + self.n_classes_

    def label_token(self, codes: Tensor) -> Tensor:
        """The prefix token of each class code."""
        return codes + self.tokenizer_.vocab_size

    def _encode(
        self,
        texts: Texts | list[str],
        labels: np.ndarray | None = None,
        *,
        bos: bool = True,
        eos: bool = True,
        max_length: int | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Padded ids (N, L) on the device: ``[label] <bos> text <eos>`` (the label token only
        for a conditional model), and the row lengths."""
        if isinstance(texts, Texts):
            labels = texts.labels if labels is None else labels
            texts = texts.texts.tolist()
        seqs = self.tokenizer_.encode(texts)
        prefix = None
        if self.n_classes_ and labels is not None:
            prefix = (np.asarray(labels, dtype=np.int64) + self.tokenizer_.vocab_size)[:, None]
        return pad_sequences(
            seqs,
            max_length=max_length or self.max_length,
            bos=bos,
            eos=eos,
            prefix=prefix,
            device=self.device_,
        )

    @abstractmethod
    def _train(self, data: Texts) -> None:
        """Build the networks and train on ``data`` (the tokeniser is ``tokenizer_``)."""

    def _autocast(self) -> contextlib.AbstractContextManager:
        from synthset.synthesizers._neural import autocast_dtype

        dtype = autocast_dtype(getattr(self, "amp", "auto"), self.device_)
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_.type, dtype=dtype)

    def _check_batch(self, n: int) -> int:
        """The batch size used for ``n`` training rows (≤ n, with a warning when cut)."""
        if self.batch_size > n:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n} training texts; training "
                f"uses batches of {n}. Pass a smaller batch_size to silence this",
                SynthsetWarning,
                stacklevel=5,
            )
            return n
        return self.batch_size

    # ------------------------------------------------------------------ sampling
    def _sample(self, n: int, *, seed: int | None, conditions: dict[str, Any]) -> Texts:
        spec: TextSpec = self.spec_
        gen = make_torch_generator(seed, self.device_)
        batch = self.sample_batch_size or (256 if self.device_.type == "cpu" else 4_096)
        texts: list[str] = []
        contexts: list[str] = []
        labels: list[Tensor] = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with cpu_threads(threads):
            done = 0
            while done < n:
                m = min(batch, n - done)
                if not self.n_classes_:
                    y = None
                elif conditions:
                    y = torch.full(
                        (m,), conditions[spec.label_name], device=self.device_, dtype=torch.long
                    )
                else:
                    y = self._draw_labels(m, gen)
                out, ctx = self._generate(m, y, gen)
                texts.extend(out)
                if ctx is not None:
                    contexts.extend(ctx)
                if y is not None:
                    labels.append(y)
                done += m
        lab = torch.cat(labels).cpu().numpy() if labels else None
        if lab is None and spec.classes:
            # an unconditional model of labelled data: the samples carry no label
            spec = TextSpec(None, spec.label_name, spec.kind, spec.text_name, spec.context_name)
        return Texts(
            texts,
            lab,
            spec,
            contexts=contexts if spec.kind == "dialogue" else None,
            name=f"{self.name} samples",
        )

    @abstractmethod
    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        """``m`` texts (and, for dialogue, their contexts) for class codes ``y`` (or None)."""

    def sample_per_label(
        self, counts: Mapping[Any, int] | int, *, seed: int | None = None
    ) -> Texts:
        """Draw ``counts[label]`` texts of each label (an int: that many of every class).

        Each class is drawn with its own seed derived from ``seed``, so asking for more of one
        class does not change the others.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        spec: TextSpec = self.spec_
        if not self.n_classes_:
            raise ConfigError(
                f"this {self.name} was fitted without labels, so it cannot draw per label; "
                "use sample(n)"
            )
        if isinstance(counts, (int, np.integer)) and not isinstance(counts, bool):
            counts = {c: int(counts) for c in spec.classes or []}
        if not isinstance(counts, Mapping) or not counts:
            raise ConfigError("`counts` must be an int or a non-empty {label: count} mapping")
        parts = []
        for label, k in counts.items():
            code = spec.class_code(label)
            if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
                raise ConfigError(f"the count for {label!r} must be an int ≥ 0, got {k!r}")
            if k == 0:
                continue
            parts.append(
                self.sample(
                    int(k),
                    seed=derive_seed(seed, 1 + code),
                    conditions={spec.label_name: spec.classes[code]},
                )
            )
        if not parts:
            raise ConfigError("every count is 0; ask for at least one text")
        out = concat_texts(parts)
        out.name = f"{self.name} samples"
        return out

    # ------------------------------------------------------------------ state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        tensors = {f"model.{k}": v for k, v in self._sampling_net().state_dict().items()}
        state = {
            "model": self._model_config(),
            "tokenizer": self.tokenizer_.to_state(),
            "n_classes": self.n_classes_,
            "class_prior": self.class_prior_,
            **self._extra_state(),
        }
        return state, tensors

    def _set_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        self.device_ = resolve_device(self.device)
        self.tokenizer_ = TextTokenizer.from_state(state["tokenizer"])
        self.n_classes_ = int(state["n_classes"])
        self.class_prior_ = state["class_prior"]
        self._set_extra_state(state)
        net = self._restore_model(state["model"])
        sd = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        net.load_state_dict(sd, strict=True)
        net.to(self.device_).eval()

    def _extra_state(self) -> dict[str, Any]:
        """More JSON state a subclass needs (default: none)."""
        return {}

    def _set_extra_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`_extra_state` (called before the model is rebuilt)."""

    # A model kept as ``model_`` with a config dataclass ``config_`` (``to_dict()`` / ``**cfg``)
    # needs only these two class attributes; others override the three methods below.
    _config_class: ClassVar[type | None] = None
    _model_class: ClassVar[type | None] = None

    def _sampling_net(self) -> nn.Module:
        """The network that generates, in eval mode (its state_dict is what is saved)."""
        return self.model_.eval()

    def _model_config(self) -> dict[str, Any]:
        """JSON description of the sampling network's shape."""
        return self.config_.to_dict()

    def _restore_model(self, cfg: dict[str, Any]) -> nn.Module:
        """Rebuild the sampling network from ``_model_config()`` (weights are loaded after) and
        keep it where ``_sampling_net()`` finds it."""
        if self._config_class is None or self._model_class is None:
            raise TypeError(
                f"{type(self).__name__} must set _config_class and _model_class or override "
                "_restore_model"
            )
        self.config_ = self._config_class(**cfg)
        self.model_ = self._model_class(self.config_)
        return self.model_
