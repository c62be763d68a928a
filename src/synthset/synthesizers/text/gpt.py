"""``gpt``: a small decoder-only transformer trained on the corpus, conditioned on the class.

Every text becomes ``[label] <bos> text <eos>`` (the label prefix token only for labelled data
with ``label_conditional=True``) and the network learns next-token prediction on the text and
its ``<eos>``; the label and ``<bos>`` are inputs only, never targets. Batches are drawn by index
from the encoded tensor kept on the device and cut to their longest row. AdamW with a linear
warmup and a cosine decay (over the epochs, or over ``max_seconds`` when that comes first).

Sampling prompts every row with ``[label] <bos>`` and decodes the whole batch with a KV cache
(:meth:`synthset.models.text.gpt.GPT.generate`). :meth:`GPT.perplexity` scores given texts
under the model, which the text metrics use as a reference language model.

Fine-tuning: ``pretrained`` (a saved ``gpt`` / ``dialogue`` artifact, or a fitted one) supplies
the tokeniser, the architecture and the weights; its label tokens are reused by class name and
new classes get new embedding rows.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.data.text_tokenizer import BOS, PAD, TextTokenizer
from synthset.data.texts import Texts
from synthset.errors import ConfigError, DataError
from synthset.models.text.gpt import GPT as GPTModel
from synthset.models.text.gpt import GPTConfig
from synthset.registry import register
from synthset.synthesizers.base import Boolean, Interval, Options
from synthset.synthesizers.text._base import TEXT_CONSTRAINTS, TextSynthesizer
from synthset.training.callbacks import Callback
from synthset.training.trainer import Trainer
from synthset.utils import (
    cpu_threads,
    default_cpu_threads,
    derive_seed,
    make_rng,
    make_torch_generator,
)

IGNORE = -100  # cross-entropy target of positions that are not predicted


class _Pretrained:
    """Constraint: None, a path to a saved gpt/dialogue artifact, or a fitted GPT."""

    def check(self, name: str, value: Any) -> None:
        if value is None or isinstance(value, (str, os.PathLike, GPT)):
            return
        raise ConfigError(
            f"`{name}` must be None, the path of a saved gpt artifact or a fitted GPT, "
            f"got {type(value).__name__}"
        )


GPT_CONSTRAINTS = {
    **TEXT_CONSTRAINTS,
    "d_model": Interval(int, 1),
    "n_layers": Interval(int, 1),
    "n_heads": Interval(int, 1),
    "dropout": Interval(float, 0.0, 0.9),
    "weight_decay": Interval(float, 0.0),
    "label_conditional": Boolean(),
    "pretrained": _Pretrained(),
    "validation_fraction": Interval(float, 0.0, 0.5),
    "amp": Options(("auto", "bf16", "off")),
}


@register("gpt")
class GPT(TextSynthesizer):
    """A small GPT trained from scratch (or fine-tuned) on the texts; see the module docstring.

    Args:
        epochs: passes over the texts.
        batch_size: texts per step.
        lr: peak AdamW learning rate (linear warmup over the first steps, cosine decay to 10%).
        d_model, n_layers, n_heads: transformer width, depth and heads (``n_heads`` must divide
            ``d_model``). The defaults (128, 4, 4: ~0.8M weights plus the embedding) train at
            CPU speed; raise them on a GPU.
        dropout: dropout on embeddings, attention and residual branches.
        weight_decay: AdamW decay of the matrices (not of biases and norms).
        tokenizer: ``"bpe"`` (byte-level BPE trained on the corpus) or ``"char"``.
        vocab_size: BPE vocabulary size.
        max_length: longest sequence in tokens (label, ``<bos>`` and ``<eos>`` included);
            longer texts are cut, samples are at most this long.
        temperature, top_k, top_p: sampling (``temperature=0``: greedy; ``top_k=1`` likewise).
        label_conditional: with labelled texts, learn one model of every class through a label
            prefix token (``sample(n, conditions={"label": …})``); False ignores the labels.
        pretrained: None, the path of a saved ``gpt``/``dialogue`` artifact, or a fitted one, to
            fine-tune: its tokeniser and architecture are used (``tokenizer``, ``vocab_size``,
            ``d_model``, ``n_layers``, ``n_heads`` are then ignored, ``max_length`` is capped at
            its length), its label tokens are kept by class name, new classes get new rows.
        validation_fraction: hold out this share of the texts and record ``val_loss`` (mean
            next-token cross-entropy) after every epoch.
        amp: ``"auto"`` (bf16 on CUDA and on CPUs with native bf16), ``"bf16"`` or ``"off"``.
        max_seconds: stop training after this many seconds (the cosine decay then follows time).
        sample_batch_size: texts generated per batch (default 256 on CPU, 4096 on GPU).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``.
        random_state: seed of initialisation, dropout, batches and the held-out split.
        verbose: show a progress bar.
        callbacks: extra :class:`~synthset.training.callbacks.Callback` objects.
    """

    _config_class = GPTConfig
    _model_class = GPTModel
    _constraints = GPT_CONSTRAINTS
    _transient_params = ("callbacks", "pretrained")

    def __init__(
        self,
        *,
        epochs: int = 20,
        batch_size: int = 64,
        lr: float = 1e-3,
        d_model: int = 128,
        n_layers: int = 4,
        n_heads: int = 4,
        dropout: float = 0.1,
        weight_decay: float = 0.1,
        tokenizer: str = "bpe",
        vocab_size: int = 2_000,
        max_length: int = 128,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        label_conditional: bool = True,
        pretrained: str | os.PathLike | GPT | None = None,
        validation_fraction: float = 0.0,
        amp: str = "auto",
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        super()._validate_params()
        if self.pretrained is None and self.d_model % self.n_heads:
            raise ConfigError(
                f"`d_model` ({self.d_model}) must be divisible by `n_heads` ({self.n_heads})"
            )

    def _fit(self, data: Texts) -> None:
        self.pretrained_from_: str | None = None
        self._source = self._load_pretrained()
        try:
            super()._fit(data)
        finally:
            del self._source

    def _load_pretrained(self) -> GPT | None:
        p = self.pretrained
        if p is None:
            return None
        if isinstance(p, GPT):
            if not p.is_fitted:
                raise ConfigError("`pretrained` is an unfitted GPT; fit it (or load one) first")
            self.pretrained_from_ = f"a fitted {p.name}"
            return p
        from synthset.artifacts import load_synthesizer

        src = load_synthesizer(p)
        if not isinstance(src, GPT):
            raise ConfigError(
                f"`pretrained` must be a gpt or dialogue artifact; {p} holds a {src.name}"
            )
        self.pretrained_from_ = str(p)
        return src

    def _fit_tokenizer(self, data: Texts) -> TextTokenizer:
        if self._source is not None:
            return self._source.tokenizer_
        return super()._fit_tokenizer(data)

    def _training_rows(self, data: Texts) -> tuple[Tensor, Tensor, Tensor]:
        """(ids (N, L), lengths (N,), loss_start (N,)) on the device: targets at positions ≥
        loss_start are learned (for GPT: everything after ``<bos>``)."""
        ids, lengths = self._encode(data, max_length=self.max_length_)
        start = torch.full((len(ids),), self._prefix_len + 1, device=self.device_)
        return ids, lengths, start

    @property
    def _prefix_len(self) -> int:
        return 1 if self.n_classes_ else 0

    def _build_model(self) -> GPTModel:
        src = self._source
        if src is None:
            self.config_ = GPTConfig(
                vocab_size=self.model_vocab_size,
                d_model=self.d_model,
                n_layers=self.n_layers,
                n_heads=self.n_heads,
                max_len=self.max_length_,
                dropout=float(self.dropout),
            )
            return GPTModel(self.config_)
        # keep the token rows, reuse label rows by class name, add the new classes
        v = self.tokenizer_.vocab_size
        old = list(src.spec_.classes or []) if src.n_classes_ else []
        new = list(self.spec_.classes or []) if self.n_classes_ else []
        rows = list(range(v)) + [v + old.index(c) if c in old else -1 for c in new]
        model = src.model_.remap_vocab(torch.tensor(rows), dropout=float(self.dropout))
        self.config_ = model.cfg
        return model

    def _train(self, data: Texts) -> None:
        dev = self.device_
        src = self._source
        self.max_length_ = (
            self.max_length if src is None else min(self.max_length, src.config_.max_len)
        )
        ids, lengths, loss_start = self._training_rows(data)
        n = len(ids)
        rng = make_rng(derive_seed(self.random_state, 3))
        order = rng.permutation(n)
        n_val = int(round(self.validation_fraction * n))
        if self.validation_fraction > 0 and not 1 <= n_val <= n - 2:
            raise DataError(
                f"validation_fraction={self.validation_fraction} of {n} texts leaves no "
                "held-out or too few training texts; use more texts or validation_fraction=0"
            )
        val = torch.as_tensor(np.sort(order[:n_val]), device=dev)
        train = torch.as_tensor(np.sort(order[n_val:]), device=dev)
        X, S = ids[train], loss_start[train]
        widths = lengths[train].cpu().numpy()
        B = self._check_batch(len(X))
        steps_per_epoch = max(len(X) // B, 1)

        init_seed = derive_seed(self.random_state, 1)
        if init_seed is None:
            init_seed = int(make_rng(None).integers(0, 2**62))
        # initialisation and dropout draw from torch's global generator: fork it, never touch it
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            torch.manual_seed(init_seed)
            model = self._build_model().to(dev)
            self.model_ = model
            decay = [p for p in model.parameters() if p.dim() >= 2]
            no_decay = [p for p in model.parameters() if p.dim() < 2]
            opt = torch.optim.AdamW(
                [
                    {"params": decay, "weight_decay": self.weight_decay},
                    {"params": no_decay, "weight_decay": 0.0},
                ],
                lr=self.lr,
                betas=(0.9, 0.98),
            )
            batch_gen = make_torch_generator(derive_seed(self.random_state, 2), "cpu")
            schedule = _WarmupCosine(
                self.lr, self.epochs * steps_per_epoch, self.max_seconds, warmup=100
            )
            vocab = self.config_.vocab_size
            positions = torch.arange(1, self.max_length_ + 1, device=dev)

            it = _length_bucketed_batches(widths, B, steps_per_epoch, batch_gen)

            def step() -> dict[str, Tensor]:
                for g in opt.param_groups:
                    g["lr"] = schedule()
                idx_host = next(it)
                w = int(widths[idx_host].max())  # cut the batch to its longest row
                idx = torch.from_numpy(idx_host).to(dev, non_blocking=True)
                xb = X[idx, :w]
                inp, tgt = xb[:, :-1], xb[:, 1:]
                learn = (tgt != PAD) & (positions[None, : w - 1] >= S[idx, None])
                tgt = tgt.masked_fill(~learn, IGNORE)
                with self._autocast():
                    logits = model(inp)
                loss = F.cross_entropy(
                    logits.float().reshape(-1, vocab), tgt.reshape(-1), ignore_index=IGNORE
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                return {"loss": loss.detach()}

            callbacks = self._callbacks()
            if n_val:
                vi, vl, vs = ids[val], lengths[val], loss_start[val]
                callbacks.insert(0, _HeldOutLoss(lambda: self._mean_loss(vi, vl, vs)))
            model.train()
            trainer = Trainer(
                epochs=self.epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks
            )
            self.history_ = trainer.fit(step)
        model.eval()

    # ------------------------------------------------------------------ scoring
    def _token_nll(
        self, ids: Tensor, lengths: Tensor, loss_start: Tensor, batch_size: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Summed negative log-likelihood (nats) of every row's learned targets (positions ≥
        ``loss_start``, not padding) and how many targets that is. Rows are scored in batches
        of similar length."""
        net = self.model_
        was_training = net.training  # the held-out loss is computed mid-training
        net.eval()
        n = len(ids)
        bs = batch_size or self.sample_batch_size or (64 if self.device_.type == "cpu" else 1_024)
        lens = lengths.cpu().numpy()
        order = np.argsort(lens, kind="stable")
        nll = torch.zeros(n, dtype=torch.float64, device=ids.device)
        count = torch.zeros(n, dtype=torch.float64, device=ids.device)
        positions = torch.arange(1, ids.shape[1] + 1, device=ids.device)
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with torch.no_grad(), cpu_threads(threads):
            for k in range(0, n, bs):
                rows = order[k : k + bs]
                w = int(lens[rows].max())
                idx = torch.as_tensor(rows, device=ids.device)
                xb = ids[idx, :w]
                inp, tgt = xb[:, :-1], xb[:, 1:]
                learn = (tgt != PAD) & (positions[None, : w - 1] >= loss_start[idx, None])
                logp = torch.log_softmax(net(inp).float(), dim=-1)
                tok = logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
                nll[idx] = -(tok * learn).sum(1).double()
                count[idx] = learn.sum(1).double()
        net.train(was_training)
        return nll.cpu().numpy(), count.cpu().numpy()

    def _mean_loss(self, ids: Tensor, lengths: Tensor, loss_start: Tensor) -> float:
        nll, count = self._token_nll(ids, lengths, loss_start)
        return float(nll.sum() / max(count.sum(), 1.0))

    def _label_codes(self, texts: Any, labels: Any) -> tuple[list[str], np.ndarray | None]:
        """Strings and class codes (into this model's classes) of texts to score or answer."""
        if isinstance(texts, Texts):
            if labels is None and texts.labels is not None and self.n_classes_:
                labels = texts.label_names
            strings = texts.texts.tolist()
        elif isinstance(texts, str):
            raise DataError("give a list of texts, not one string")
        else:
            strings = [str(t) for t in texts]
        if labels is None:
            return strings, None
        if not self.n_classes_:
            raise ConfigError(
                f"this {self.name} was fitted without labels (or label_conditional=False), so "
                "it cannot score texts given labels; pass labels=None"
            )
        labels = list(labels) if not isinstance(labels, str) else [labels]
        if len(labels) != len(strings):
            raise DataError(f"{len(labels)} labels for {len(strings)} texts")
        lookup: dict[Any, int] = {}
        codes = np.empty(len(labels), dtype=np.int64)
        for i, lab in enumerate(labels):  # label names → codes (validation, not a hot path)
            key = lab.item() if isinstance(lab, np.generic) else lab
            if key not in lookup:
                lookup[key] = self.spec_.class_code(key)
            codes[i] = lookup[key]
        return strings, codes

    def perplexity(
        self,
        texts: Sequence[str] | Texts,
        labels: Sequence[Any] | None = None,
        *,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """Per-text perplexity under the model: ``exp(−log p(text <eos>) / n_tokens)``.

        Args:
            texts: strings, or a :class:`Texts` (its labels are used when it has them).
            labels: class of every text for a conditional model. Without labels, a conditional
                model scores the marginal ``p(text) = Σ_k prior_k · p(text | k)``.
            batch_size: rows scored per forward pass.

        Returns:
            float64 array, one perplexity per text (texts are cut to ``max_length`` tokens).
        """
        self._check_is_fitted()
        strings, codes = self._label_codes(texts, labels)
        if not strings:
            return np.zeros(0)
        start = self._prefix_len + 1
        if not self.n_classes_ or codes is not None:
            ids, lengths = self._encode(strings, codes, max_length=self.max_length_)
            loss_start = torch.full((len(ids),), start, device=self.device_)
            nll, count = self._token_nll(ids, lengths, loss_start, batch_size)
            return np.exp(nll / np.maximum(count, 1.0))
        # marginal over the classes: log Σ_k prior_k p(x | k)
        log_joint = []
        for k in range(self.n_classes_):
            ids, lengths = self._encode(
                strings, np.full(len(strings), k), max_length=self.max_length_
            )
            loss_start = torch.full((len(ids),), start, device=self.device_)
            nll, count = self._token_nll(ids, lengths, loss_start, batch_size)
            with np.errstate(divide="ignore"):
                log_joint.append(np.log(self.class_prior_[k]) - nll)
        log_p = np.logaddexp.reduce(np.stack(log_joint), axis=0)
        return np.exp(-log_p / np.maximum(count, 1.0))

    # ------------------------------------------------------------------ sampling
    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        bos = torch.full((m, 1), BOS, device=self.device_, dtype=torch.long)
        prompt = bos if y is None else torch.cat([self.label_token(y)[:, None], bos], dim=1)
        new = self._decode_ids(prompt, None, gen)
        return self.tokenizer_.decode_batch(new), None

    def _decode_ids(self, prompt: Tensor, mask: Tensor | None, gen: torch.Generator) -> Tensor:
        return self._sampling_net().generate(
            prompt,
            max_new_tokens=self.max_length_ - prompt.shape[1],
            prompt_mask=mask,
            temperature=float(self.temperature),
            top_k=self.top_k,
            top_p=self.top_p,
            generator=gen,
        )

    # ------------------------------------------------------------------ state

    def _extra_state(self) -> dict[str, Any]:
        return {"max_length": self.max_length_, "pretrained_from": self.pretrained_from_}

    def _set_extra_state(self, state: dict[str, Any]) -> None:
        self.max_length_ = int(state["max_length"])
        self.pretrained_from_ = state.get("pretrained_from")


def _length_bucketed_batches(
    widths: np.ndarray, batch: int, steps: int, gen: torch.Generator
) -> Iterator[np.ndarray]:
    """Endless batches of row indices with little padding: every epoch takes a fresh random
    permutation, sorts each run of ``pool`` batches' worth of rows by length, cuts it into
    batches and shuffles the batches (the bucketing of fairseq and tensor2tensor). Batches are
    cut to their longest row, so this halves the padded positions of real corpora.

    ``pool`` is at most 16 batches and at most an eighth of the epoch: on a small dataset one
    pool would hold every row, so each epoch would repeat the same length-sorted batches (which
    measurably hurt learning on the toy grammars); with fewer than 16 steps a pool is one batch,
    i.e. plain random batches."""
    pool = int(np.clip(steps // 8, 1, 16))
    n_rows = steps * batch
    pool_id = np.arange(n_rows) // (batch * pool)
    while True:
        perm = torch.randperm(len(widths), generator=gen).numpy()[:n_rows]
        perm = perm[np.lexsort((widths[perm], pool_id))].reshape(steps, batch)
        for j in torch.randperm(steps, generator=gen).numpy():
            yield perm[j]


class _WarmupCosine:
    """Learning rate of the next step: linear warmup, then cosine decay to 10% of the peak.

    Progress is the share of the planned steps done, or of ``max_seconds`` elapsed when that is
    larger, so a run cut by its time budget still warms up early (within ``warmup`` steps or 10%
    of the budget) and ends annealed."""

    def __init__(self, peak: float, total_steps: int, max_seconds: float | None, warmup: int):
        self.peak = peak
        self.total = max(total_steps, 1)
        self.max_seconds = max_seconds
        self.warmup = max(1, min(warmup, self.total // 10))
        self.step = 0
        self.t0: float | None = None

    def __call__(self) -> float:
        if self.t0 is None:
            self.t0 = time.perf_counter()
        s = self.step
        self.step += 1
        progress = s / self.total
        if self.max_seconds:
            progress = max(progress, (time.perf_counter() - self.t0) / self.max_seconds)
        progress = min(progress, 1.0)
        if s < self.warmup and progress < 0.1:
            return self.peak * max((s + 1) / self.warmup, progress / 0.1)
        return self.peak * (0.1 + 0.45 * (1.0 + math.cos(math.pi * progress)))


class _HeldOutLoss(Callback):
    """Adds ``val_loss`` (mean next-token cross-entropy of the held-out texts) to each epoch."""

    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        logs["val_loss"] = self.fn()
