"""``text_gan``: SeqGAN (Yu et al. 2017), a GAN for discrete text through policy gradients.

Text tokens are discrete, so a discriminator's gradient cannot flow into the generator.
SeqGAN treats the generator as a policy and the discriminator's verdict as its reward:

1. **generator pre-training** — maximum likelihood (teacher forcing) for ``pretrain_epochs``;
2. **discriminator pre-training** — real rows against fresh generated rows, ``d_pretrain_epochs``;
3. **adversarial epochs** — each one policy-gradient (REINFORCE) step of the generator, the
   reward of every token being the discriminator's mean verdict on ``n_rollouts`` Monte-Carlo
   completions of its prefix (all prefixes of the batch rolled out as one tensor), then
   ``d_steps`` discriminator steps on fresh samples.

It is here as an option measured against the likelihood models (``gpt``, ``text_vae``): text GANs
have rarely beaten a well-trained language model on quality or diversity (Caccia et al. 2020,
"Language GANs Falling Short"), and the history shows what the adversarial phase does to the
likelihood (``mle_loss`` is tracked through it). With labelled texts, every row starts with its
label token, so the generator writes the asked class and the discriminator judges text and class
together.

``history_`` rows carry ``phase`` (1 = generator MLE, 2 = discriminator pre-training,
3 = adversarial) and, by phase, ``mle_loss`` (nats per token); ``d_loss`` and ``d_accuracy``;
``pg_loss``, ``mean_reward``, ``d_loss``, ``d_accuracy`` and ``mle_loss`` (on a real batch).
"""

from __future__ import annotations

import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.data.text_tokenizer import BOS
from synthset.data.texts import Texts
from synthset.models.text.seqgan import (
    CNNDiscriminator,
    DiscriminatorConfig,
    GRUGenerator,
    SeqGANConfig,
    mle_loss,
    policy_gradient_loss,
    rollout_rewards,
    valid_tokens,
)
from synthset.registry import register
from synthset.synthesizers.base import Boolean, Interval, IntTuple
from synthset.synthesizers.text._base import TEXT_CONSTRAINTS, TextSynthesizer
from synthset.synthesizers.text.text_vae import index_batches
from synthset.training.callbacks import Callback, ProgressBar, TimeBudget
from synthset.training.trainer import Trainer
from synthset.utils import derive_seed, make_torch_generator

TEXT_GAN_CONSTRAINTS = {
    **{k: v for k, v in TEXT_CONSTRAINTS.items() if k != "epochs"},
    "pretrain_epochs": Interval(int, 0),
    "d_pretrain_epochs": Interval(int, 0),
    "adversarial_epochs": Interval(int, 0),
    "d_steps": Interval(int, 1),
    "n_rollouts": Interval(int, 1),
    "embedding_dim": Interval(int, 1),
    "hidden_dim": Interval(int, 1),
    "d_filters": Interval(int, 1),
    "d_kernel_sizes": IntTuple(),
    "label_conditional": Boolean(),
}

GRAD_CLIP = 5.0
PHASE_MLE, PHASE_D, PHASE_ADV = 1, 2, 3
# shares of max_seconds: generator MLE, discriminator pre-training, adversarial
BUDGET_SHARES = (0.5, 0.1, 0.4)


@register("text_gan")
class TextGAN(TextSynthesizer):
    """SeqGAN: GRU generator, CNN discriminator, Monte-Carlo policy gradient (module docstring).

    Args:
        pretrain_epochs: passes of maximum-likelihood training of the generator.
        d_pretrain_epochs: passes of discriminator pre-training (real vs generated).
        adversarial_epochs: adversarial rounds; each is one policy-gradient step of the
            generator on ``batch_size`` generated texts, then ``d_steps`` discriminator steps.
        d_steps: discriminator steps per adversarial round.
        n_rollouts: Monte-Carlo completions per prefix for the rewards.
        batch_size: texts per step. lr: Adam learning rate of both networks.
        embedding_dim: token embedding size (generator and discriminator).
        hidden_dim: generator GRU state size.
        d_filters: discriminator filters per kernel width. d_kernel_sizes: its kernel widths.
        tokenizer: ``"bpe"`` or ``"char"``. vocab_size: BPE vocabulary size.
        max_length: longest row in tokens (label, ``<bos>`` and ``<eos>`` included); texts are
            generated up to the longest training row.
        temperature, top_k, top_p: decoding of :meth:`sample` (temperature 0 = greedy).
        label_conditional: learn one model for all classes of labelled texts (a label prefix
            token), so ``sample(conditions=...)`` can pick a class.
        max_seconds: wall-clock budget for all phases together. Each phase may use its share
            of the time still left (generator pre-training 50%, discriminator pre-training
            10%, adversarial 40%, among the phases that have epochs); time a phase leaves
            unused passes on to the next, so the adversarial phase always gets its turn.
        sample_batch_size, device, random_state, verbose, callbacks: as for ``text_vae``.
    """

    _config_class = SeqGANConfig
    _model_class = GRUGenerator
    _constraints = TEXT_GAN_CONSTRAINTS

    def __init__(
        self,
        *,
        pretrain_epochs: int = 20,
        d_pretrain_epochs: int = 3,
        adversarial_epochs: int = 30,
        d_steps: int = 3,
        n_rollouts: int = 4,
        batch_size: int = 64,
        lr: float = 1e-3,
        embedding_dim: int = 64,
        hidden_dim: int = 128,
        d_filters: int = 64,
        d_kernel_sizes: tuple[int, ...] = (2, 3, 4, 5),
        tokenizer: str = "bpe",
        vocab_size: int = 2_000,
        max_length: int = 48,
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
        real, lengths = self._encode(data)  # (N, W): [label] <bos> text <eos> <pad>…
        N, W = real.shape
        P = 2 if self.n_classes_ else 1
        self.config_ = SeqGANConfig(
            vocab_size=self.model_vocab_size,
            seq_len=W,
            prefix_len=P,
            embedding_dim=self.embedding_dim,
            hidden_dim=self.hidden_dim,
        )
        d_config = DiscriminatorConfig(
            vocab_size=self.model_vocab_size,
            seq_len=W,
            embedding_dim=self.embedding_dim,
            kernel_sizes=tuple(self.d_kernel_sizes),
            n_filters=self.d_filters,
        )
        init_seed = derive_seed(self.random_state, 1)
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            if init_seed is not None:
                torch.manual_seed(init_seed)
            gen_net = GRUGenerator(self.config_).to(dev)
            disc = CNNDiscriminator(d_config).to(dev)
        self.model_ = gen_net
        self.discriminator_ = disc
        g_opt = torch.optim.Adam(gen_net.parameters(), lr=self.lr)
        d_opt = torch.optim.Adam(disc.parameters(), lr=self.lr)
        gen = make_torch_generator(derive_seed(self.random_state, 3), dev)
        B = self._check_batch(N)
        batches = index_batches(N, B, derive_seed(self.random_state, 2))
        widths = lengths.cpu().numpy()

        def real_rows(cut: bool = False) -> Tensor:
            """A batch of real rows; ``cut``: only as wide as its longest row (for the MLE)."""
            idx_host = next(batches)
            idx = idx_host.to(dev, non_blocking=True)
            return real[idx, : int(widths[idx_host.numpy()].max())] if cut else real[idx]

        steps_per_epoch = max(N // B, 1)
        phase = {k: torch.tensor(float(k), device=dev) for k in (PHASE_MLE, PHASE_D, PHASE_ADV)}
        labels = real[:, 0] if self.n_classes_ else None  # the label tokens of the real rows

        def fake_rows(m: int) -> Tensor:
            """``m`` generated rows (prefix + tokens) with labels drawn like the real ones."""
            if labels is not None:
                pick = torch.randint(0, N, (m,), generator=gen, device=dev)
                prefix = torch.stack([labels[pick], torch.full_like(pick, BOS)], dim=1)
            else:
                prefix = torch.full((m, 1), BOS, dtype=torch.long, device=dev)
            with torch.no_grad():
                toks = gen_net.generate(
                    prefix, self.config_.gen_len, generator=gen, stop_early=False
                )
            return torch.cat([prefix, toks], dim=1)

        def g_mle_step() -> dict[str, Tensor]:
            loss = mle_loss(gen_net, real_rows(cut=True))
            g_opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(gen_net.parameters(), GRAD_CLIP)
            g_opt.step()
            return {"phase": phase[PHASE_MLE], "mle_loss": loss.detach()}

        def d_step() -> dict[str, Tensor]:
            x = torch.cat([real_rows(), fake_rows(B)])
            target = torch.cat([torch.ones(B, device=dev), torch.zeros(B, device=dev)])
            logits = disc(x, generator=gen)
            loss = F.binary_cross_entropy_with_logits(logits, target)
            d_opt.zero_grad(set_to_none=True)
            loss.backward()
            d_opt.step()
            acc = ((logits.detach() > 0).float() == target).float().mean()
            return {"d_loss": loss.detach(), "d_accuracy": acc}

        def d_pretrain_step() -> dict[str, Tensor]:
            return {"phase": phase[PHASE_D], **d_step()}

        def adversarial_step() -> dict[str, Tensor]:
            seqs = fake_rows(B)
            rewards = rollout_rewards(
                gen_net, disc, seqs, n_rollouts=self.n_rollouts, generator=gen
            )
            pg = policy_gradient_loss(gen_net, seqs, rewards)
            g_opt.zero_grad(set_to_none=True)
            pg.backward()
            nn.utils.clip_grad_norm_(gen_net.parameters(), GRAD_CLIP)
            g_opt.step()
            d_logs = [d_step() for _ in range(self.d_steps)]
            with torch.no_grad():
                nll = mle_loss(gen_net, real_rows(cut=True))
            mask = valid_tokens(seqs[:, self.config_.prefix_len :]).float()
            return {
                "phase": phase[PHASE_ADV],
                "pg_loss": pg.detach(),
                "mean_reward": (rewards * mask).sum() / mask.sum().clamp(min=1.0),
                "d_loss": torch.stack([d["d_loss"] for d in d_logs]).mean(),
                "d_accuracy": torch.stack([d["d_accuracy"] for d in d_logs]).mean(),
                "mle_loss": nll,
            }

        deadline = None if self.max_seconds is None else time.perf_counter() + self.max_seconds
        self.history_ = []
        gen_net.train()
        disc.train()
        phases = [
            ("pretrain G", self.pretrain_epochs, steps_per_epoch, g_mle_step),
            ("pretrain D", self.d_pretrain_epochs, steps_per_epoch, d_pretrain_step),
            ("adversarial", self.adversarial_epochs, 1, adversarial_step),
        ]
        shares = [s if p[1] else 0.0 for s, p in zip(BUDGET_SHARES, phases, strict=True)]
        for i, (what, epochs, steps, step) in enumerate(phases):
            if epochs == 0:
                continue
            share = shares[i] / sum(shares[i:])
            callbacks = self._phase_callbacks(what, deadline, share)
            if callbacks is None:  # the time budget is spent
                break
            trainer = Trainer(epochs=epochs, steps_per_epoch=steps, callbacks=callbacks)
            offset = len(self.history_)
            for row in trainer.fit(step):
                row["epoch"] += offset
                row["phase"] = int(row["phase"])
                self.history_.append(row)
        gen_net.eval()
        disc.eval()

    def _phase_callbacks(
        self, what: str, deadline: float | None, share: float
    ) -> list[Callback] | None:
        """The callbacks of one phase: the user's, a progress bar, and ``share`` of the time
        left before ``deadline`` (None when none is left)."""
        cbs: list[Callback] = list(self.callbacks or [])
        if self.verbose:
            cbs.append(ProgressBar(f"{self.name} {what}"))
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            cbs.append(TimeBudget(left * share))
        return cbs

    # ------------------------------------------------------------------ sampling
    def _generate(
        self, m: int, y: Tensor | None, gen: torch.Generator
    ) -> tuple[list[str], list[str] | None]:
        dev = self.device_
        bos = torch.full((m, 1), BOS, dtype=torch.long, device=dev)
        prefix = bos if y is None else torch.cat([self.label_token(y)[:, None], bos], dim=1)
        toks = self.model_.generate(
            prefix,
            self.config_.gen_len,
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
            generator=gen,
        )
        return self.tokenizer_.decode_batch(toks), None

    def discriminate(self, texts: Texts | list[str], labels: Any = None) -> Tensor:
        """The trained discriminator's probability that each text is real (a CPU tensor).

        Args:
            texts: strings, or a Texts (its labels are used by a conditional model).
            labels: class names for a conditional model (one per text), if ``texts`` has none.

        Only available on the fitted object (the discriminator is not saved: sampling does not
        need it).
        """
        self._check_is_fitted()
        disc = getattr(self, "discriminator_", None)
        if disc is None:
            from synthset.errors import NotFittedError

            raise NotFittedError(
                "the discriminator is not saved with the model; call discriminate() on the "
                "fitted object, before save/load"
            )
        if not isinstance(texts, Texts):
            texts = [str(t) for t in texts]
            if self.n_classes_ and labels is None:
                from synthset.errors import ConfigError

                raise ConfigError(f"pass labels= (one of {self.spec_.classes} per text)")
        if labels is not None:
            labels = [self.spec_.class_code(v) for v in labels]
        W = self.config_.seq_len
        ids, _ = self._encode(texts, labels, max_length=W)
        ids = F.pad(ids, (0, W - ids.shape[1]))
        with torch.no_grad():
            return torch.sigmoid(disc.eval()(ids)).cpu()

    # ------------------------------------------------------------------ state
