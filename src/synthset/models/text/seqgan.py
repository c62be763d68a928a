"""SeqGAN (Yu et al. 2017): a GRU generator trained as a policy against a CNN discriminator.

* :class:`GRUGenerator` — a one-layer GRU language model over rows ``[label] <bos> text <eos>``.
  It is pre-trained by maximum likelihood, then trained with REINFORCE, the reward of a token
  being the discriminator's belief that completions of the prefix ending in it are real.
* :class:`CNNDiscriminator` — the paper's text classifier, kept small: token embeddings →
  1-D convolutions of several widths → max over time → a highway layer → dropout → one logit.
  A conditional model's rows start with the label token, so the discriminator judges text and
  class together.
* :func:`rollout_rewards` — the Monte-Carlo rewards: for every prefix ``Y[1:t]`` of every
  sequence of a batch, ``n_rollouts`` completions are sampled from the generator *at once* (one
  tensor of ``n_rollouts · B · (T-1)`` rows, starting from the generator states already computed
  for the batch), scored by the discriminator and averaged; the last token's reward is the score
  of the sequence itself. Rows are ordered by prefix length, so the rows still rolling out at
  step ``s`` are a leading slice and each step computes only those.

Everything after a row's first ``<eos>`` is ``<pad>``, for real and generated rows alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.data.text_tokenizer import EOS, PAD
from synthset.models.text.sampling import sample_next


@dataclass
class SeqGANConfig:
    vocab_size: int  # tokeniser vocabulary + one prefix token per class
    seq_len: int  # row width W: prefix + generated tokens
    prefix_len: int = 1  # 1 (<bos>) or 2 (label, <bos>)
    embedding_dim: int = 64
    hidden_dim: int = 128

    @property
    def gen_len(self) -> int:
        """Tokens the generator writes after the prefix."""
        return self.seq_len - self.prefix_len

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DiscriminatorConfig:
    vocab_size: int
    seq_len: int
    embedding_dim: int = 64
    kernel_sizes: tuple[int, ...] = (2, 3, 4, 5)
    n_filters: int = 64  # per kernel width
    dropout: float = 0.25

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kernel_sizes"] = list(self.kernel_sizes)
        return d


def pad_after_eos(tokens: Tensor) -> Tensor:
    """Set every token after a row's first ``<eos>`` to ``<pad>`` (B, T)."""
    eos = tokens == EOS
    after = (torch.cumsum(eos.long(), dim=1) - eos.long()) > 0
    return tokens.masked_fill(after, PAD)


def valid_tokens(tokens: Tensor) -> Tensor:
    """Mask of the tokens up to and including the first ``<eos>`` (what the policy chose)."""
    eos = tokens == EOS
    before = (torch.cumsum(eos.long(), dim=1) - eos.long()) == 0
    return before & (tokens != PAD)


class GRUGenerator(nn.Module):
    """``forward(inputs) -> (logits, states)``; :meth:`generate` continues prefixes."""

    def __init__(self, cfg: SeqGANConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding_dim)
        self.gru = nn.GRU(cfg.embedding_dim, cfg.hidden_dim, batch_first=True)
        self.out = nn.Linear(cfg.hidden_dim, cfg.vocab_size)

    def forward(self, inputs: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Logits (B, T, V) of the token after each input, and the GRU states (B, T, H)."""
        states, _ = self.gru(self.embed(inputs), h0)
        return self.out(states), states

    def advance(self, tokens: Tensor, h: Tensor) -> Tensor:
        """The state (B, H) after reading ``tokens`` (B,) from state ``h`` (B, H)."""
        _, h_next = self.gru(self.embed(tokens)[:, None], h[None].contiguous())
        return h_next[0]

    def generate(
        self,
        prefix: Tensor,
        steps: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: torch.Generator | None = None,
        stop_early: bool = True,
    ) -> Tensor:
        """Continue ``prefix`` (B, P) by ``steps`` tokens → (B, steps), <pad> after <eos>.

        The whole batch advances one token per step; with ``stop_early`` the loop ends once
        every row has written <eos> (one host check per step).
        """
        B = prefix.shape[0]
        logits, states = self(prefix)
        logits, h = logits[:, -1], states[:, -1]
        out = torch.full((B, steps), PAD, dtype=torch.long, device=prefix.device)
        done = torch.zeros(B, dtype=torch.bool, device=prefix.device)
        for t in range(steps):
            tok = sample_next(
                logits, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
            )
            tok = tok.masked_fill(done, PAD)
            out[:, t] = tok
            done = done | (tok == EOS)
            if t == steps - 1 or (stop_early and bool(done.all())):
                break
            h = self.advance(tok, h)
            logits = self.out(h)
        return out


class CNNDiscriminator(nn.Module):
    """``forward(ids) -> logits`` (B,): real (> 0) or generated (< 0)."""

    def __init__(self, cfg: DiscriminatorConfig):
        super().__init__()
        self.cfg = cfg
        kernels = [k for k in cfg.kernel_sizes if k <= cfg.seq_len] or [cfg.seq_len]
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embedding_dim, padding_idx=PAD)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.embedding_dim, cfg.n_filters, k) for k in kernels)
        width = cfg.n_filters * len(kernels)
        self.highway = nn.Linear(width, 2 * width)
        self.head = nn.Linear(width, 1)

    def forward(self, ids: Tensor, generator: torch.Generator | None = None) -> Tensor:
        x = self.embed(ids).transpose(1, 2)  # (B, E, W)
        feats = torch.cat([F.relu(conv(x)).amax(dim=2) for conv in self.convs], dim=1)
        h, gate = self.highway(feats).chunk(2, dim=1)
        gate = torch.sigmoid(gate)
        feats = gate * F.relu(h) + (1.0 - gate) * feats
        if self.training and self.cfg.dropout > 0:
            # dropout from the explicit generator (nn.Dropout would draw from the global RNG)
            keep = torch.rand(feats.shape, generator=generator, device=feats.device)
            feats = feats * (keep >= self.cfg.dropout) / (1.0 - self.cfg.dropout)
        return self.head(feats).squeeze(1)


@torch.no_grad()
def rollout_rewards(
    gen: GRUGenerator,
    disc: CNNDiscriminator,
    seqs: Tensor,
    *,
    n_rollouts: int,
    generator: torch.Generator | None = None,
    chunk: int = 8_192,
) -> Tensor:
    """Monte-Carlo rewards (B, T) of the generated tokens of ``seqs`` (B, W) = prefix + tokens.

    ``reward[b, t]`` is the mean discriminator probability of "real" over ``n_rollouts``
    completions of ``seqs[b, :P + t + 1]`` (the prefix through token ``t``), drawn from
    ``gen`` at temperature 1; for the last token it is the probability of ``seqs[b]`` itself.
    The discriminator scores in chunks of ``chunk`` rows (bounded memory).
    """
    P = gen.cfg.prefix_len
    B, W = seqs.shape
    T = W - P
    was_training = disc.training
    disc.eval()

    def score(rows: Tensor) -> Tensor:
        return torch.cat([torch.sigmoid(disc(c)) for c in rows.split(chunk)])

    rewards = torch.empty(B, T, device=seqs.device)
    rewards[:, T - 1] = score(seqs)
    if T > 1:
        n, L = n_rollouts, T - 1  # L prefixes per sequence: through token 0 … T-2
        _, states = gen(seqs[:, :-1])
        # rows ordered (prefix length, rollout, sequence): the rows still needed at step s
        # (prefix through token t with t + 1 + s < T) are the first (L - s)·n·B
        h = states[:, P : P + L].permute(1, 0, 2)  # (L, B, H): state after token t
        h = h[:, None].expand(L, n, B, -1).reshape(L * n * B, -1)
        R = h.shape[0]
        roll = torch.full((R, L), PAD, dtype=torch.long, device=seqs.device)
        for s in range(L):
            k = (L - s) * n * B
            h = h[:k]
            tok = sample_next(gen.out(h), generator=generator)
            roll[:k, s] = tok
            if s < L - 1:
                h = gen.advance(tok, h)
        text = seqs[:, P:]
        seq_of_row = torch.arange(B, device=seqs.device).repeat(L * n)  # (R,)
        kept = torch.arange(1, T, device=seqs.device).repeat_interleave(n * B)  # tokens kept
        j = torch.arange(T, device=seqs.device)[None]  # (1, T)
        from_roll = roll.gather(1, (j - kept[:, None]).clamp(0, L - 1))
        done = torch.where(j < kept[:, None], text[seq_of_row], from_roll)
        full = torch.cat([seqs[seq_of_row, :P], pad_after_eos(done)], dim=1)
        rewards[:, :L] = score(full).view(L, n, B).mean(dim=1).T
    disc.train(was_training)
    return rewards


def policy_gradient_loss(
    gen: GRUGenerator, seqs: Tensor, rewards: Tensor, *, baseline: bool = True
) -> Tensor:
    """REINFORCE: −Σ_t log G(y_t | Y[1:t−1]) · (Q_t − b) over each row's chosen tokens, averaged
    over rows; ``b`` is the batch-mean reward (a variance-reducing baseline) or 0."""
    P = gen.cfg.prefix_len
    logits, _ = gen(seqs[:, :-1])
    tokens = seqs[:, P:]
    logp = torch.log_softmax(logits[:, P - 1 :].float(), dim=-1)
    logp = logp.gather(2, tokens[..., None]).squeeze(2)  # (B, T)
    mask = valid_tokens(tokens).float()
    adv = rewards
    if baseline:
        adv = rewards - (rewards * mask).sum() / mask.sum().clamp(min=1.0)
    return -(logp * adv * mask).sum() / seqs.shape[0]


def mle_loss(gen: GRUGenerator, seqs: Tensor) -> Tensor:
    """Mean next-token cross-entropy (nats per token) of the text tokens of real rows."""
    P = gen.cfg.prefix_len
    logits, _ = gen(seqs[:, :-1])
    targets = seqs[:, 1:].clone()
    targets[:, : P - 1] = PAD  # the prefix (label → <bos>) is given, not predicted
    return F.cross_entropy(logits.transpose(1, 2).float(), targets, ignore_index=PAD)
