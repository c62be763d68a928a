"""``text_vae``: a sentence VAE (Bowman et al. 2016) with a continuous latent space of sentences.

A bidirectional GRU encodes a sentence into a Gaussian posterior over ``z``; a GRU decoder
conditioned on ``z`` (and on the class, when the texts are labelled) writes it back. New texts
are decoded from ``z ~ N(0, I)``. Because the code space is continuous, a fitted model can also
:meth:`~TextVAE.encode` texts, :meth:`~TextVAE.reconstruct` them and
:meth:`~TextVAE.interpolate` between two of them.

Against posterior collapse (a strong decoder ignoring ``z``, KL → 0) it uses the two remedies of
the paper, plus one later one:

* **KL annealing**: the KL weight rises from 0 to ``beta`` over ``kl_anneal_epochs``
  (``"linear"``), or does so again every ``kl_anneal_epochs`` (``"cyclical"``, Fu et al. 2019:
  rise over the first half of each cycle, hold for the second);
* **word dropout**: each decoder input token (not ``<bos>``) is replaced by ``<pad>`` with
  probability ``word_dropout``, so the decoder must lean on ``z`` to know what comes next;
* **free bits** (Kingma et al. 2016): each latent dimension's batch-mean KL counts as at least
  ``free_bits`` nats in the objective, so the optimiser gains nothing by pushing it lower.

``history_`` holds, per epoch, the reconstruction term (nats per sentence), the KL (nats per
sentence, the true value, not the free-bits one), the mean KL weight ``beta`` used, and the
weighted loss.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from synthset.data.text_tokenizer import PAD
from synthset.data.texts import Texts
from synthset.errors import ConfigError
from synthset.models.text.vae import SentenceVAE, SentenceVAEConfig, sentence_vae_terms
from synthset.registry import register
from synthset.synthesizers.base import SEED, Boolean, Interval, Options
from synthset.synthesizers.text._base import TEXT_CONSTRAINTS, TextSynthesizer
from synthset.training.callbacks import Callback
from synthset.training.trainer import Trainer
from synthset.utils import cpu_threads, default_cpu_threads, derive_seed, make_torch_generator

TEXT_VAE_CONSTRAINTS = {
    **TEXT_CONSTRAINTS,
    "embedding_dim": Interval(int, 1),
    "hidden_dim": Interval(int, 1),
    "latent_dim": Interval(int, 1),
    "word_dropout": Interval(float, 0.0, 1.0),
    "kl_anneal": Options(("linear", "cyclical", None)),
    "kl_anneal_epochs": Interval(float, 0.0, low_open=True),
    "free_bits": Interval(float, 0.0, none_ok=True),
    "beta": Interval(float, 0.0),
    "label_conditional": Boolean(),
}

GRAD_CLIP = 5.0  # GRU language models need a clipped gradient early on


def kl_weight(step: int, *, beta: float, anneal: str | None, period: int) -> float:
    """The KL weight at optimisation ``step`` (0-based) for an annealing schedule.

    Args:
        step: the optimisation step.
        beta: the final (or peak) weight.
        anneal: None (constant ``beta``), ``"linear"`` (0 → beta over ``period`` steps, then
            beta) or ``"cyclical"`` (every ``period`` steps: 0 → beta over the first half, beta
            for the second).
        period: the ramp length, or the cycle length, in steps (≥ 1).
    """
    if anneal is None:
        return beta
    if anneal == "linear":
        return beta * min(1.0, (step + 1) / period)
    ramp = max(period // 2, 1)
    return beta * min(1.0, (step % period + 1) / ramp)


@register("text_vae")
class TextVAE(TextSynthesizer):
    """Sentence VAE with KL annealing and word dropout (see the module docstring).

    Args:
        epochs: passes over the texts. batch_size: texts per step. lr: Adam learning rate.
        embedding_dim: token embedding size. hidden_dim: GRU state size (each direction).
        latent_dim: size of the latent code ``z``.
        word_dropout: rate at which decoder input tokens are replaced by ``<pad>`` (0 = off,
            1 = the decoder reads only ``z`` and the class).
        kl_anneal: ``"linear"``, ``"cyclical"`` or None (the KL weight is ``beta`` from the start).
        kl_anneal_epochs: the ramp (linear) or cycle (cyclical) length in epochs; may be a
            fraction.
        free_bits: minimum KL per latent dimension in the objective, in nats (None = off).
            The defaults (word dropout 0.5, free bits 0.1) were chosen by measurement on 2,000
            rotten-tomatoes reviews: with word dropout 0.3 and no free bits the KL fell to
            0.03 nats within 3 epochs (posterior collapse: every interpolation point decoded to
            the same sentence); with these it stayed at 2.0-2.8 nats.
        beta: the KL weight after annealing (1 = the ELBO).
        tokenizer: ``"bpe"`` (byte-level BPE) or ``"char"``. vocab_size: BPE vocabulary size.
        max_length: longest encoded row in tokens (``<bos>`` and ``<eos>`` included); longer
            texts are cut. Samples are at most as long as the longest training row.
        temperature, top_k, top_p: decoding of :meth:`sample` (temperature 0 = greedy).
        label_conditional: learn one model for all classes of labelled texts (a class
            embedding in encoder and decoder) so ``sample(conditions=...)`` can pick a class.
        max_seconds: wall-clock training budget (None = no limit).
        sample_batch_size: texts decoded per batch (None: 256 on CPU, 4096 on GPU).
        device: ``"auto"``, ``"cpu"`` or ``"cuda[:N]"``. random_state: seed of the weights, the
            batches, the noise and the word dropout. verbose: a progress bar on stderr.
        callbacks: training callbacks (not saved).
    """

    _config_class = SentenceVAEConfig
    _model_class = SentenceVAE
    _constraints = TEXT_VAE_CONSTRAINTS

    def __init__(
        self,
        *,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        embedding_dim: int = 128,
        hidden_dim: int = 256,
        latent_dim: int = 32,
        word_dropout: float = 0.5,
        kl_anneal: str | None = "linear",
        kl_anneal_epochs: float = 10.0,
        free_bits: float | None = 0.1,
        beta: float = 1.0,
        tokenizer: str = "bpe",
        vocab_size: int = 2_000,
        max_length: int = 64,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        label_conditional: bool = True,
        max_seconds: float | None = None,
        sample_batch_size: int | None = None,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callbacks: list[Callback] | None = None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------ training
    def _train(self, data: Texts) -> None:
        dev = self.device_
        # rows without a label prefix: the class enters through its own embedding
        ids, lengths = self._encode(data.texts.tolist())
        y = torch.as_tensor(data.labels, dtype=torch.long, device=dev) if self.n_classes_ else None
        self.config_ = SentenceVAEConfig(
            vocab_size=self.tokenizer_.vocab_size,
            max_length=int(ids.shape[1]),
            embedding_dim=self.embedding_dim,
            hidden_dim=self.hidden_dim,
            latent_dim=self.latent_dim,
            n_classes=self.n_classes_,
        )
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            model = SentenceVAE(self.config_).to(dev)
        self.model_ = model
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        gen = make_torch_generator(derive_seed(self.random_state, 3), dev)
        B = self._check_batch(len(ids))
        steps_per_epoch = max(len(ids) // B, 1)
        batches = index_batches(len(ids), B, derive_seed(self.random_state, 2))
        widths = lengths.cpu().numpy()  # batches are cut to their longest row, known on the host
        period = max(int(round(self.kl_anneal_epochs * steps_per_epoch)), 1)
        free_bits = self.free_bits
        word_dropout = float(self.word_dropout)
        counter = iter(range(2**62))

        def step() -> dict[str, Tensor]:
            idx_host = next(batches)
            idx = idx_host.to(dev, non_blocking=True)
            xb, lb = ids[idx, : int(widths[idx_host.numpy()].max())], lengths[idx]
            yb = y[idx] if y is not None else None
            eps = torch.randn(len(idx), self.latent_dim, generator=gen, device=dev)
            dec_in = xb[:, :-1]
            if word_dropout > 0:
                drop = torch.rand(dec_in.shape, generator=gen, device=dev) < word_dropout
                drop[:, 0] = False  # <bos> stays
                dec_in = dec_in.masked_fill(drop, PAD)
            beta = kl_weight(next(counter), beta=self.beta, anneal=self.kl_anneal, period=period)
            rec, kl_dims = sentence_vae_terms(model, xb, lb, eps, yb, dec_in)
            kl_term = kl_dims.clamp(min=free_bits).sum() if free_bits else kl_dims.sum()
            loss = rec + beta * kl_term
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
            opt.step()
            kl = kl_dims.detach().sum()
            return {
                "loss": loss.detach(),
                "reconstruction": rec.detach(),
                "kl": kl,
                "beta": torch.tensor(beta, device=dev),
            }

        model.train()
        trainer = Trainer(
            epochs=self.epochs, steps_per_epoch=steps_per_epoch, callbacks=self._callbacks()
        )
        self.history_ = trainer.fit(step)
        model.eval()

    # ------------------------------------------------------------------ sampling
    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        z = torch.randn(m, self.config_.latent_dim, generator=gen, device=self.device_)
        return self._decode(z, y, self.temperature, gen), None

    def _decode(
        self, z: Tensor, y: Tensor | None, temperature: float, gen: torch.Generator
    ) -> list[str]:
        ids = self.model_.generate(
            z,
            y,
            temperature=temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            generator=gen,
        )
        return self.tokenizer_.decode_batch(ids)

    # ------------------------------------------------------------------ latent space
    def _label_codes(self, texts: Texts | Sequence[str], labels: Any, n: int) -> Tensor | None:
        """Class codes for ``n`` texts of a conditional model (None for an unconditional one)."""
        if not self.n_classes_:
            return None
        if labels is None and isinstance(texts, Texts) and texts.labels is not None:
            labels = texts.label_names
        if labels is None:
            raise ConfigError(
                f"this {self.name} is class-conditional; pass labels= (one class per text, "
                f"from {self.spec_.classes}) or a labelled Texts"
            )
        if isinstance(labels, (str, int, np.integer)):
            labels = [labels] * n
        labels = list(labels)
        if len(labels) != n:
            raise ConfigError(f"got {len(labels)} labels for {n} texts; give one per text")
        codes = [self.spec_.class_code(v) for v in labels]
        return torch.as_tensor(codes, dtype=torch.long, device=self.device_)

    def _as_strings(self, texts: Texts | Sequence[str]) -> list[str]:
        if isinstance(texts, Texts):
            return texts.texts.tolist()
        if isinstance(texts, str):
            raise ConfigError("`texts` must be a list of strings (or a Texts), not one string")
        return [str(t) for t in texts]

    def _chunks(self, n: int) -> Iterator[slice]:
        batch = self.sample_batch_size or (256 if self.device_.type == "cpu" else 4_096)
        for start in range(0, n, batch):
            yield slice(start, min(start + batch, n))

    def encode(self, texts: Texts | Sequence[str], labels: Any = None) -> Tensor:
        """Posterior means (N, latent_dim) of ``texts``, as a CPU float tensor.

        Args:
            texts: strings, or a Texts (its labels are used for a conditional model).
            labels: class names (or codes) for a conditional model: one per text, or one for all.
        """
        self._check_is_fitted()
        strings = self._as_strings(texts)
        y = self._label_codes(texts, labels, len(strings))
        ids, lengths = self._encode(strings, max_length=self.config_.max_length)
        out = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with torch.no_grad(), cpu_threads(threads):
            for s in self._chunks(len(strings)):
                mu, _ = self.model_.encode(ids[s], lengths[s], None if y is None else y[s])
                out.append(mu.float().cpu())
        return torch.cat(out) if out else torch.zeros(0, self.config_.latent_dim)

    def reconstruct(
        self,
        texts: Texts | Sequence[str],
        labels: Any = None,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[str]:
        """Decode each text's posterior mean back into a text (greedy by default).

        Args:
            texts: strings, or a Texts (its labels are used for a conditional model).
            labels: class names for a conditional model (one per text, or one for all).
            temperature: 0 decodes greedily (``seed`` is then unused); > 0 samples with the
                model's top_k / top_p.
            seed: seed of the sampled decoding.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        strings = self._as_strings(texts)
        y = self._label_codes(texts, labels, len(strings))
        z = self.encode(strings, None if y is None else y.tolist()).to(self.device_)
        return self._decode_codes(z, y, temperature, seed)

    def interpolate(
        self,
        text_a: str,
        text_b: str,
        steps: int = 5,
        *,
        label: Any = None,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> list[str]:
        """Texts decoded at ``steps`` evenly spaced points from the latent mean of ``text_a`` to
        that of ``text_b`` (both ends included), as in Bowman et al.'s homotopies.

        Args:
            text_a, text_b: the two end texts.
            steps: number of points (≥ 2).
            label: the class of both texts and of the decoded ones (conditional models only).
            temperature: 0 decodes greedily (``seed`` is then unused); > 0 samples.
            seed: seed of the sampled decoding.
        """
        self._check_is_fitted()
        SEED.check("seed", seed)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
            raise ConfigError(f"`steps` must be an int ≥ 2 (both ends count), got {steps!r}")
        y2 = self._label_codes([text_a, text_b], label, 2)
        z = self.encode([text_a, text_b], None if y2 is None else y2.tolist()).to(self.device_)
        w = torch.linspace(0.0, 1.0, int(steps), device=self.device_)[:, None]
        path = (1.0 - w) * z[0] + w * z[1]
        y = None if y2 is None else y2[:1].expand(int(steps))
        return self._decode_codes(path, y, temperature, seed)

    def _decode_codes(
        self, z: Tensor, y: Tensor | None, temperature: float, seed: int | None
    ) -> list[str]:
        if not isinstance(temperature, (int, float)) or temperature < 0:
            raise ConfigError(f"`temperature` must be a number ≥ 0, got {temperature!r}")
        gen = make_torch_generator(seed, self.device_)
        out: list[str] = []
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        with torch.no_grad(), cpu_threads(threads):
            for s in self._chunks(len(z)):
                out.extend(self._decode(z[s], None if y is None else y[s], temperature, gen))
        return out

    # ------------------------------------------------------------------ state


def index_batches(n: int, batch: int, seed: int | None) -> Iterator[Tensor]:
    """Endless batches of row indices on the host: a fresh permutation every pass (no partial
    batches), from a CPU generator seeded with ``seed``."""
    gen = make_torch_generator(seed, "cpu")
    while True:
        perm = torch.randperm(n, generator=gen)
        for k in range(n // batch):
            yield perm[k * batch : (k + 1) * batch]
