"""A sentence VAE (Bowman et al. 2016, "Generating Sentences from a Continuous Space").

Encoder: token embeddings → a bidirectional GRU → its two final states (and the class
embedding, when conditional) → linear heads for the posterior mean and log-variance of ``z``.
Decoder: a GRU language model whose initial state is ``tanh(W [z, c])`` and which also reads
``[z, c]`` beside every input token, so the code cannot be lost along the sentence. With
``n_classes > 0`` a learned class embedding ``c`` conditions both sides (a CVAE), so the decoder
writes the asked class.

Rows are ``<bos> text <eos> <pad>…`` (ids from :mod:`synthset.data.text_tokenizer`). The
backward direction of the encoder runs over each row reversed within its own length (one gather),
so padding never enters a final state and no packing (a host sync) is needed.

Decoding (:meth:`SentenceVAE.generate`) advances the whole batch one token per step with
:func:`~synthset.models.text.sampling.sample_next` (greedy, temperature, top-k, top-p) from an
explicit generator; a row stops at ``<eos>`` and the loop ends early once every row has.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.data.text_tokenizer import BOS, EOS, PAD
from synthset.models.text.sampling import sample_next


@dataclass
class SentenceVAEConfig:
    vocab_size: int  # the tokeniser's vocabulary (labels are not tokens here)
    max_length: int = 64  # longest row (<bos> … <eos>) the decoder writes
    embedding_dim: int = 128
    hidden_dim: int = 256
    latent_dim: int = 32
    n_classes: int = 0
    label_dim: int = 16  # size of the class embedding (when n_classes > 0)

    def to_dict(self) -> dict:
        return asdict(self)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each row of ``x`` (B, L, …) within its first ``lengths[b]`` positions."""
    B, L = x.shape[:2]
    t = torch.arange(L, device=x.device).expand(B, L)
    idx = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)
    idx = idx.view(B, L, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)


class SentenceVAE(nn.Module):
    """``encode(ids, lengths, y) -> (mu, logvar)``, ``decode_logits(inputs, z, y) -> logits``,
    ``generate(z, y, …) -> ids``."""

    def __init__(self, cfg: SentenceVAEConfig):
        super().__init__()
        self.cfg = cfg
        E, H, D = cfg.embedding_dim, cfg.hidden_dim, cfg.latent_dim
        C = cfg.label_dim if cfg.n_classes else 0
        self.embed = nn.Embedding(cfg.vocab_size, E)
        self.label_embed = nn.Embedding(cfg.n_classes, C) if cfg.n_classes else None
        # encoder: the two directions of a bidirectional GRU
        self.enc_fwd = nn.GRU(E, H, batch_first=True)
        self.enc_bwd = nn.GRU(E, H, batch_first=True)
        self.to_mu = nn.Linear(2 * H + C, D)
        self.to_logvar = nn.Linear(2 * H + C, D)
        # decoder: a GRU LM conditioned on [z, c] (initial state and every input)
        self.init_hidden = nn.Linear(D + C, H)
        self.dec = nn.GRU(E + D + C, H, batch_first=True)
        self.out = nn.Linear(H, cfg.vocab_size)

    # ------------------------------------------------------------------ pieces
    def _cond(self, z: Tensor, y: Tensor | None) -> Tensor:
        """[z, c]: the latent code and, for a conditional model, the class embedding."""
        if self.label_embed is None:
            return z
        if y is None:
            raise ValueError("this SentenceVAE is class-conditional; pass the class codes y")
        return torch.cat([z, self.label_embed(y)], dim=-1)

    def encode(
        self, ids: Tensor, lengths: Tensor, y: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Posterior mean and log-variance (B, D) of padded rows ``ids`` (B, L)."""
        emb = self.embed(ids)  # (B, L, E)
        last = (lengths - 1).clamp(min=0)
        rows = torch.arange(ids.shape[0], device=ids.device)
        h_f = self.enc_fwd(emb)[0][rows, last]  # state after the last real token
        h_b = self.enc_bwd(reverse_padded(emb, lengths))[0][rows, last]
        h = torch.cat([h_f, h_b], dim=-1)
        if self.label_embed is not None:
            if y is None:
                raise ValueError("this SentenceVAE is class-conditional; pass the class codes y")
            h = torch.cat([h, self.label_embed(y)], dim=-1)
        return self.to_mu(h), self.to_logvar(h)

    def decode_logits(self, inputs: Tensor, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Next-token logits (B, T, V) for teacher-forced decoder ``inputs`` (B, T)."""
        cond = self._cond(z, y)  # (B, D + C)
        h0 = torch.tanh(self.init_hidden(cond))[None]  # (1, B, H)
        x = self.embed(inputs)
        x = torch.cat([x, cond[:, None].expand(-1, x.shape[1], -1)], dim=-1)
        out, _ = self.dec(x, h0)
        return self.out(out)

    def forward(
        self,
        ids: Tensor,
        lengths: Tensor,
        eps: Tensor,
        y: Tensor | None = None,
        dec_inputs: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """(logits predicting ``ids[:, 1:]``, mu, logvar) with ``z = mu + σ·eps``.

        ``dec_inputs`` (B, L-1) replaces the decoder's inputs ``ids[:, :-1]`` (word dropout).
        """
        mu, logvar = self.encode(ids, lengths, y)
        z = mu + torch.exp(0.5 * logvar) * eps
        inputs = ids[:, :-1] if dec_inputs is None else dec_inputs
        return self.decode_logits(inputs, z, y), mu, logvar

    # ------------------------------------------------------------------ decoding
    @torch.no_grad()
    def generate(
        self,
        z: Tensor,
        y: Tensor | None = None,
        *,
        max_length: int | None = None,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Decode codes ``z`` (B, D) into token rows (B, T) without <bos>; <pad> after <eos>."""
        B = z.shape[0]
        steps = (max_length or self.cfg.max_length) - 1
        cond = self._cond(z, y)
        h = torch.tanh(self.init_hidden(cond))[None]
        tok = torch.full((B,), BOS, dtype=torch.long, device=z.device)
        done = torch.zeros(B, dtype=torch.bool, device=z.device)
        out = torch.full((B, steps), PAD, dtype=torch.long, device=z.device)
        for t in range(steps):
            x = torch.cat([self.embed(tok), cond], dim=-1)[:, None]
            o, h = self.dec(x, h)
            nxt = sample_next(
                self.out(o[:, 0]),
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
            )
            nxt = nxt.masked_fill(done, PAD)
            out[:, t] = nxt
            done = done | (nxt == EOS)
            tok = nxt
            if bool(done.all()):
                break
        return out


def sentence_vae_terms(
    model: SentenceVAE,
    ids: Tensor,
    lengths: Tensor,
    eps: Tensor,
    y: Tensor | None = None,
    dec_inputs: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """The two terms of the negative ELBO of a batch.

    Returns:
        (reconstruction, kl_per_dim): the summed token cross-entropy of each sentence averaged
        over the batch (a scalar, nats per sentence), and the KL(q(z|x) ‖ N(0, I)) of every
        latent dimension averaged over the batch (D,). Their sum is the negative ELBO.
    """
    logits, mu, logvar = model(ids, lengths, eps, y, dec_inputs)
    targets = ids[:, 1:]
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, L-1)
    rec = (nll * (targets != PAD)).sum(dim=1).mean()
    kl_per_dim = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(dim=0)
    return rec, kl_per_dim
