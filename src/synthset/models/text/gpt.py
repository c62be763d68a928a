"""A small decoder-only transformer (GPT) with a KV cache for batched generation.

Pre-LayerNorm blocks (attention and MLP, each ``x + f(LN(x))``), causal attention through
:func:`torch.nn.functional.scaled_dot_product_attention`, learned absolute positions, and the
output projection tied to the token embedding (GPT-2; Press & Wolf, 2017). Reads top to bottom:
config → attention → block → model → generation.

Generation runs one forward pass per new token for the whole batch: the prompt is encoded once
(prefill) and every layer's keys and values are written into a preallocated cache, so a step only
computes the newest position. Prompts may be left-padded (``<pad>`` = 0 before the text): padded
keys are masked out and each row's positions start at 0 on its first real token, as in training.
A row stops at ``<eos>`` (later tokens are ``<pad>``) and decoding stops when every row has.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synthset.errors import ConfigError
from synthset.models.text.sampling import sample_next

PAD_ID, EOS_ID = 0, 2

# one (keys, values) pair per layer, each (B, H, T_max, head_dim)
KVCache = list[tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a :class:`GPT`.

    Attributes:
        vocab_size: number of token ids (tokeniser vocabulary plus label tokens).
        d_model: width of the residual stream.
        n_layers: transformer blocks.
        n_heads: attention heads (must divide ``d_model``).
        max_len: longest sequence (learned positions exist for ``0 … max_len − 1``).
        dropout: dropout on attention weights, residual branches and embeddings.
        tie_weights: share the output projection with the token embedding.
    """

    vocab_size: int
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    max_len: int = 128
    dropout: float = 0.1
    tie_weights: bool = True

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ConfigError(
                f"`d_model` ({self.d_model}) must be divisible by `n_heads` ({self.n_heads}); "
                "pick e.g. n_heads=4 with d_model=128"
            )
        if min(self.vocab_size, self.d_model, self.n_layers, self.n_heads, self.max_len) < 1:
            raise ConfigError(f"every size in GPTConfig must be ≥ 1, got {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"`dropout` must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def n_params_estimate(self) -> int:
        """Weights excluding biases and norms (embedding counted once when tied)."""
        d = self.d_model
        blocks = self.n_layers * 12 * d * d
        emb = self.vocab_size * d * (1 if self.tie_weights else 2) + self.max_len * d
        return blocks + emb


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention; writes into a KV cache when one is given."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.attn_dropout = cfg.dropout
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None,
        causal: bool,
        cache: tuple[Tensor, Tensor] | None = None,
        start: int = 0,
    ) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) → (B, H, T, head_dim)
        q, k, v = (t.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            k_cache, v_cache = cache
            k_cache[:, :, start : start + T] = k
            v_cache[:, :, start : start + T] = v
            k, v = k_cache[:, :, : start + T], v_cache[:, :, : start + T]
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=self.attn_dropout if self.training else 0.0,
            is_causal=causal,
        )
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, 4 * cfg.d_model)
        self.proj = nn.Linear(4 * cfg.d_model, cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm transformer block."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None,
        causal: bool,
        cache: tuple[Tensor, Tensor] | None = None,
        start: int = 0,
    ) -> Tensor:
        x = x + self.attn(self.ln1(x), mask, causal, cache, start)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Decoder-only transformer: ``forward(ids) -> logits`` and batched :meth:`generate`."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.max_len, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        # a tied head is the embedding matrix itself (one tensor in the state dict, which is
        # what safetensors needs); an untied one is its own matrix
        self.head = None if cfg.tie_weights else nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)
        # GPT-2: scale the residual projections by 1/sqrt(2 · n_layers)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        ids: Tensor,
        *,
        positions: Tensor | None = None,
        key_mask: Tensor | None = None,
        cache: KVCache | None = None,
        start: int = 0,
        last_only: bool = False,
    ) -> Tensor:
        """Next-token logits.

        Args:
            ids: (B, T) token ids.
            positions: (B, T) position ids (default ``start … start + T − 1`` for every row).
            key_mask: (B, S ≥ start + T) True where a key is a real token (False: padding).
                None: every key is real, and training takes the fused causal kernel.
            cache: from :meth:`new_cache`; this call's keys and values are written at
                ``start … start + T − 1`` and attention reads ``0 … start + T − 1``.
            start: index of ``ids[:, 0]`` in the cache.
            last_only: return only the last position's logits, (B, 1, V).

        Returns:
            (B, T, V) logits (float32 unless under autocast).
        """
        B, T = ids.shape
        if positions is None:
            positions = torch.arange(start, start + T, device=ids.device).expand(B, T)
        if T > self.cfg.max_len:
            raise ConfigError(
                f"{T} tokens exceed the model's max_len {self.cfg.max_len}; shorten the input"
            )
        x = self.drop(self.tok_emb(ids) + self.pos_emb(positions))  # (B, T, C)
        mask, causal = self._attention_mask(T, start, key_mask, ids.device)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, causal, None if cache is None else cache[i], start)
        if last_only:
            x = x[:, -1:]
        x = self.ln_f(x)
        weight = self.tok_emb.weight if self.head is None else self.head.weight
        return F.linear(x, weight)

    @staticmethod
    def _attention_mask(
        T: int, start: int, key_mask: Tensor | None, device: torch.device
    ) -> tuple[Tensor | None, bool]:
        """(mask, is_causal) for SDPA. A fused causal kernel needs no mask when every key is
        real and queries and keys are aligned; otherwise a (B or 1, 1, T, S) boolean mask."""
        if key_mask is None and start == 0:
            return None, T > 1
        if key_mask is None and T == 1:
            return None, False  # one new query sees the whole cache
        S = start + T
        q_pos = torch.arange(start, S, device=device)
        k_pos = torch.arange(S, device=device)
        allowed = k_pos[None, :] <= q_pos[:, None]  # (T, S)
        if key_mask is None:
            return allowed[None, None], False
        allowed = allowed[None] & key_mask[:, None, :S]  # (B, T, S)
        # a padded query would see no key at all (NaN); let it see itself, its output is unused
        allowed = allowed | (k_pos[None, None, :] == q_pos[None, :, None])
        return allowed[:, None], False

    # ------------------------------------------------------------------ generation
    def new_cache(self, batch: int, length: int, *, device: torch.device, dtype: torch.dtype):
        """An empty KV cache for ``batch`` rows of up to ``length`` positions."""
        H = self.cfg.n_heads
        shape = (batch, H, length, self.cfg.d_model // H)
        return [
            (
                torch.empty(shape, device=device, dtype=dtype),
                torch.empty(shape, device=device, dtype=dtype),
            )
            for _ in self.blocks
        ]

    @torch.no_grad()
    def generate(
        self,
        prompt: Tensor,
        *,
        max_new_tokens: int,
        prompt_mask: Tensor | None = None,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        generator: torch.Generator | None = None,
        eos_id: int = EOS_ID,
        pad_id: int = PAD_ID,
    ) -> Tensor:
        """Continue every prompt row until ``<eos>`` or ``max_new_tokens``.

        Args:
            prompt: (B, P) ids; rows of different lengths are left-padded with ``pad_id``.
            max_new_tokens: the most tokens to add (cut so that P + new ≤ ``max_len``).
            prompt_mask: (B, P) True on real prompt tokens; default ``prompt != pad_id`` when
                the prompt holds padding, else every token is real.
            temperature, top_k, top_p: see :func:`~synthset.models.text.sampling.sample_next`
                (``temperature=0``: greedy).
            generator: the random generator every draw uses.

        Returns:
            (B, N) new ids, N ≤ max_new_tokens; after a row's ``<eos>`` come ``pad_id``s.
        """
        B, P = prompt.shape
        max_new = min(int(max_new_tokens), self.cfg.max_len - P)
        if max_new < 1:
            raise ConfigError(
                f"a prompt of {P} tokens leaves no room to generate within max_len "
                f"{self.cfg.max_len}; shorten the prompt"
            )
        device = prompt.device
        if prompt_mask is None and bool((prompt == pad_id).any()):
            prompt_mask = prompt != pad_id
        if prompt_mask is None:
            key_mask, positions = None, None
            next_pos = torch.full((B, 1), P, device=device, dtype=torch.long)
        else:
            prompt_mask = prompt_mask.to(torch.bool)
            key_mask = torch.ones(B, P + max_new, device=device, dtype=torch.bool)
            key_mask[:, :P] = prompt_mask
            positions = (prompt_mask.long().cumsum(1) - 1).clamp(min=0)
            next_pos = prompt_mask.long().sum(1, keepdim=True)
        dtype = self.tok_emb.weight.dtype
        cache = self.new_cache(B, P + max_new, device=device, dtype=dtype)
        logits = self(prompt, positions=positions, key_mask=key_mask, cache=cache, last_only=True)[
            :, -1
        ]
        out = torch.full((B, max_new), pad_id, device=device, dtype=torch.long)
        done = torch.zeros(B, device=device, dtype=torch.bool)
        n = max_new
        for t in range(max_new):
            tok = sample_next(
                logits, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
            )
            tok = tok.masked_fill(done, pad_id)
            out[:, t] = tok
            done |= tok == eos_id
            if t == max_new - 1 or bool(done.all()):
                n = t + 1
                break
            logits = self(
                tok[:, None], positions=next_pos, key_mask=key_mask, cache=cache, start=P + t
            )[:, -1]
            next_pos = next_pos + 1
        return out[:, :n]

    # ------------------------------------------------------------------ fine-tuning
    @torch.no_grad()
    def remap_vocab(self, source_rows: Tensor, **changes: float) -> GPT:
        """A copy whose token ``i`` takes this model's row ``source_rows[i]`` (−1: a new token,
        initialised like a fresh embedding row). Used to add, drop or reorder label tokens when
        fine-tuning; ``changes`` replace shape-free config fields (``dropout``). Draws the new
        rows from the global torch RNG (fork it to seed them)."""
        source_rows = torch.as_tensor(source_rows, dtype=torch.long).cpu()
        cfg = GPTConfig(**{**self.cfg.to_dict(), **changes, "vocab_size": len(source_rows)})
        new = GPT(cfg).to(self.tok_emb.weight.device)
        state = {
            k: v for k, v in self.state_dict().items() if not k.startswith(("tok_emb", "head"))
        }
        new.load_state_dict(state, strict=False)
        keep = source_rows >= 0
        idx = torch.nonzero(keep).squeeze(1).to(self.tok_emb.weight.device)
        src = source_rows[keep].to(self.tok_emb.weight.device)
        new.tok_emb.weight[idx] = self.tok_emb.weight[src]
        if self.head is not None:
            new.head.weight[idx] = self.head.weight[src]
        return new
