"""Shared machinery of the neural table synthesizers (CTGAN, TVAE).

Fit: detect/validate → fit the :class:`TableEncoder` on a capped subsample → encode every row
once → keep the encoded matrix on the device → train. Sample: generate in large batches on the
device, draw discrete slots with Gumbel-max, decode on the device, copy to the host once per
batch, restore dtypes.
"""

from __future__ import annotations

import copy
import math
import warnings
from abc import abstractmethod
from collections.abc import Iterator
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from synthset.data.table import Table
from synthset.data.transforms.table_encoder import TableEncoder
from synthset.errors import SynthsetWarning
from synthset.privacy.dp import parse_dp
from synthset.synthesizers._table import TABLE_CONSTRAINTS, TableSynthesizer
from synthset.synthesizers.base import (
    SEED,
    Anything,
    Boolean,
    DeviceName,
    Interval,
    Options,
)
from synthset.training.callbacks import Callback, EarlyStopping, ProgressBar, TimeBudget
from synthset.utils import (
    cpu_threads,
    default_cpu_threads,
    derive_seed,
    make_torch_generator,
    resolve_device,
)

# Parameters every neural table synthesizer shares (the rest are per model).
NEURAL_CONSTRAINTS = {
    "continuous_encoding": Options(("mode", "quantile")),
    "max_modes": Interval(int, 1),
    "amp": Options(("auto", "bf16", "off")),
    "device": DeviceName(),
    "random_state": SEED,
    "verbose": Boolean(),
    "sample_batch_size": Interval(int, 1, none_ok=True),
    "condition_rounds": Interval(int, 0),
    "early_stopping_patience": Interval(int, 1, none_ok=True),
    "max_seconds": Interval(float, 0, low_open=True, none_ok=True),
    "callbacks": Anything(),
    "dp": Anything(),  # parsed and validated by synthset.privacy.parse_dp at fit time
    **TABLE_CONSTRAINTS,
}


# what DP treats as public, as Opacus and most DP synthesizers do; said in every privacy record
SCHEMA_NOTE = (
    "column names, kinds and dtypes, and the number of rows are treated as public (pass a spec "
    "to be sure the kinds were declared rather than detected from the data)"
)


class FewStepsWarning(SynthsetWarning):
    """The data is smaller than a batch, so training takes one step per epoch."""


class RareConditionWarning(SynthsetWarning):
    """Many conditionally sampled rows were set to the condition rather than generated with it."""


MATCH_BUDGET = 100  # a conditional batch of m rows may generate up to 100·m rows to find matches
MATCH_ROUND_ROWS = 131_072  # rows generated per matching round, at most
SET_ROWS_WARNING = 0.2  # warn when more than this share of the rows had to be set


def autocast_dtype(amp: str | bool, device: torch.device) -> torch.dtype | None:
    """bf16 autocast where it pays: on CUDA with bf16 support, on CPUs with AVX-512 BF16."""
    if amp is False or amp == "off":
        return None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if amp is True or amp == "bf16":
        return torch.bfloat16
    # "auto" on CPU: only where the CPU has native bf16 dot products (measured: 2.8x the fp32
    # matmul throughput on an AVX-512 BF16 core, while emulated bf16 is slower than fp32)
    cap = torch.backends.cpu.get_cpu_capability()
    return torch.bfloat16 if cap in ("AVX512", "AVX512_BF16", "AMX") and _has_bf16() else None


def _has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


class NeuralTableSynthesizer(TableSynthesizer):
    """Base of CTGAN and TVAE: encoder, device handling, batched sampling, state."""

    modality = "table"

    # ---------------------------------------------------------------- fitting
    def _fit(self, data: Table) -> None:
        self.device_ = resolve_device(self.device)
        self._lowp_nets: dict[int, nn.Module] = {}  # sampling copies of the previous fit
        n_rows = len(data.data)
        self.batch_size_, self.epochs_ = plan_schedule(
            n_rows,
            self.batch_size,
            self.epochs,
            multiple=self._batch_multiple(),
            private=self.dp is not None,
        )
        self._check_batch()
        steps = steps_per_epoch(n_rows, self.batch_size_) * self.epochs_
        if self.batch_size is not None and n_rows < self.batch_size and steps < 1_000:
            warnings.warn(
                f"{n_rows} rows with batch_size={self.batch_size} make one step per "
                f"epoch: {steps} steps in all, likely too few to learn the data. Lower "
                "batch_size (e.g. to a tenth of the rows), raise epochs, or leave both at "
                "their defaults (None), which scale with the rows",
                FewStepsWarning,
                stacklevel=3,
            )
        threads = default_cpu_threads() if self.device_.type == "cpu" else None
        self._dp = parse_dp(self.dp)
        self.privacy_ = None
        with cpu_threads(threads):
            enc_seed = derive_seed(self.random_state, 0)
            if self._dp is None:
                self.encoder_ = TableEncoder(
                    continuous=self.continuous_encoding,
                    max_modes=self.max_modes,
                ).fit(data.data, data.spec, seed=enc_seed)
                rows = data.data
            else:
                rows = self._fit_private_encoder(data, enc_seed)
            X = torch.from_numpy(self.encoder_.transform(rows, seed=enc_seed))
            X = X.to(self.device_)
            self._train(X)

    def _fit_private_encoder(self, data: Table, enc_seed: int | None) -> pd.DataFrame:
        """DP: release the marginals privately (or read them from public metadata), fit the
        encoder on a surrogate table drawn from them, and return the real rows mapped into the
        private domain. ``spec_`` becomes the private spec (private bounds and categories)."""
        from synthset.privacy.preprocess import (
            SURROGATE_ROWS,
            private_preprocess,
            privatise_rows,
            surrogate_frame,
        )
        from synthset.privacy.run import PrivateFit

        self._private = PrivateFit(self._dp, len(data.data))
        prep = private_preprocess(
            data.data,
            data.spec,
            self._dp,
            self._private.ledger,
            self._private.delta,
            seed=derive_seed(self.random_state, 5),
        )
        self._private.preprocessing = {
            "noise_multiplier": prep.noise_multiplier,
            "columns": prep.sources(),
            "public": SCHEMA_NOTE,
        }
        self._prep = prep
        self.spec_ = prep.spec
        surrogate = surrogate_frame(prep, SURROGATE_ROWS, seed=derive_seed(self.random_state, 6))
        self.encoder_ = TableEncoder(
            continuous=self.continuous_encoding, max_modes=self.max_modes
        ).fit(surrogate, prep.spec, seed=enc_seed)
        return privatise_rows(data.data, prep)

    def _plan_private(self, n_rows: int, what: str, dp_steps_per_step: int = 1) -> int:
        """Solve the DP-SGD noise for ``epochs`` passes of Poisson batches of ``batch_size``
        over ``n_rows`` (``dp_steps_per_step`` private updates per trainer step); returns the
        trainer steps per epoch."""
        steps = steps_per_epoch(n_rows, self.batch_size_)
        self._private.plan_training(
            batch_size=self.batch_size_,
            steps=self.epochs_ * steps * dp_steps_per_step,
            what=what,
        )
        return steps

    def _finish_private(self, steps: int, dp_steps_per_step: int, networks: list[str]) -> None:
        """Record the spent budget in ``privacy_`` and the per-epoch ε in the history."""
        self._private.annotate_history(self.history_, dp_steps_per_step)
        self.privacy_ = self._private.record(steps, private_networks=networks)

    def _callbacks(self) -> list[Callback]:
        cbs: list[Callback] = list(self.callbacks or [])
        if self.verbose:
            cbs.append(ProgressBar(f"{self.name}"))
        if self.max_seconds is not None:
            cbs.append(TimeBudget(self.max_seconds))
        if getattr(self, "early_stopping_patience", None):
            cbs.append(
                EarlyStopping(self._early_stopping_monitor, patience=self.early_stopping_patience)
            )
        return cbs

    def _check_batch(self) -> None:
        return None

    def _batch_multiple(self) -> int:
        """The batch size must be a multiple of this (CTGAN's pac)."""
        return 1

    @abstractmethod
    def _train(self, X: Tensor) -> None:
        """Build the networks for the encoded matrix ``X`` (on the device) and train them."""

    # ---------------------------------------------------------------- sampling
    def _sample_batches(
        self, n: int, *, seed: int | None, conditions: dict[str, Any]
    ) -> Iterator[pd.DataFrame]:
        from synthset.sampling.conditions import validate_conditions

        codes = validate_conditions(self.spec_, conditions) if conditions else {}
        dev = self.device_
        gen = make_torch_generator(seed, dev)  # one stream over all batches
        threads = default_cpu_threads() if dev.type == "cpu" else None
        self._eval()
        self._set_rows = 0  # rows set to the condition rather than generated with it
        done = 0
        while done < n:
            m = min(self._sample_batch(), n - done)
            # per batch, not around the loop: the caller runs between the yields
            with cpu_threads(threads), torch.no_grad():
                X = self._generate_matching(m, gen, codes)
                frame = self.encoder_.inverse_transform(X, id_offset=done)
            yield frame
            done += m
        if codes and self._set_rows > SET_ROWS_WARNING * n:
            warnings.warn(
                f"{self.name} rarely generates {conditions}: {self._set_rows:,} of the {n:,} "
                "rows were generated without it and then set to it, so their other columns "
                "may not fit the condition. A conditional synthesizer (gaussian_copula, "
                "ctgan) draws such rows directly; or raise condition_rounds",
                RareConditionWarning,
                stacklevel=4,
            )

    def _sampling_net(self, net: nn.Module) -> tuple[nn.Module, torch.dtype]:
        """``net`` in the sampling precision: a cached bf16 copy where bf16 pays.

        Casting the weights once keeps every activation (and CTGAN's residual concatenations)
        in bf16, instead of autocast re-casting fp32 activations before each layer: CTGAN on
        adult samples ~100k rows/s on one CPU thread this way, ~80k with autocast.
        """
        dtype = autocast_dtype(self.amp, self.device_) or torch.float32
        if dtype == torch.float32:
            return net, dtype
        cache = self._lowp_nets
        if id(net) not in cache:
            cache.clear()
            cache[id(net)] = copy.deepcopy(net).to(dtype).eval()
        return cache[id(net)], dtype

    def _sample_batch(self) -> int:
        if self.sample_batch_size is not None:
            return self.sample_batch_size
        return 16_384 if self.device_.type == "cpu" else 131_072

    def _generate_matching(self, m: int, gen: torch.Generator, codes: dict[str, int]) -> Tensor:
        """``m`` encoded rows that satisfy ``codes``: the model's own rows that match are kept,
        the rest are generated and then set to the condition.

        Each round draws as many rows as the match rate so far says are needed (twice the
        shortfall in the first round), at most ``MATCH_ROUND_ROWS`` a round and
        ``MATCH_BUDGET`` times ``m`` in all, for ``condition_rounds`` rounds. A fixed 2× per
        round found too few rows of a rare class: balancing adult's 1% of ``>50K`` rows with
        tvae set the label on ~81% of the added rows, which then looked like ``<=50K`` rows
        (P(>50K) 0.17 under a model of the real data, against 0.40 for tvae's own ``>50K``).
        ``_sample_batches`` warns when many rows had to be set.
        """
        if not codes:
            return self._generate(m, gen, codes)
        slots = {c: self._slot(c, k) for c, k in codes.items()}
        kept: list[Tensor] = []
        have = made = 0
        budget = MATCH_BUDGET * m
        for _ in range(self.condition_rounds):
            want = m - have
            if have:
                draw = math.ceil(1.2 * want * made / have)
            else:
                draw = 2 * want if made == 0 else 8 * made  # nothing matched yet: look wider
            draw = max(1, min(draw, MATCH_ROUND_ROWS, budget - made))
            X = self._generate(draw, gen, codes)
            made += draw
            ok = torch.ones(len(X), dtype=torch.bool, device=X.device)
            for _c, (start, stop, slot) in slots.items():
                ok &= X[:, start:stop].argmax(1) == slot
            good = X[ok][:want]
            kept.append(good)
            have += len(good)
            if have >= m or made >= budget:
                break
        self._set_rows += max(m - have, 0)
        if have < m:
            kept.append(self._generate(m - have, gen, codes))
        X = torch.cat(kept)[:m]
        for start, stop, slot in slots.values():  # exact: every row takes the asked value
            X[:, start:stop] = 0.0
            X[:, start + slot] = 1.0
        return X

    def _slot(self, column: str, code: int) -> tuple[int, int, int]:
        span = next(s for s in self.encoder_.spans_ if s.column == column and s.role == "category")
        n_cats = len(self.spec_[column].categories or [])
        return span.start, span.stop, (n_cats if code < 0 else code)

    @abstractmethod
    def _generate(self, m: int, gen: torch.Generator, codes: dict[str, int]) -> Tensor:
        """``m`` encoded rows (softmax blocks one-hot), conditioned on ``codes`` if it can."""

    def _eval(self) -> None:
        for mod in self._modules_for_state().values():
            mod.eval()

    # ---------------------------------------------------------------- state
    @abstractmethod
    def _modules_for_state(self) -> dict[str, nn.Module]:
        """The modules whose weights are saved, by prefix."""

    @abstractmethod
    def _model_config(self) -> dict[str, Any]:
        """JSON description of the networks' shapes."""

    def _get_model_state(self) -> tuple[dict[str, Any], dict[str, Tensor]]:
        enc_state, enc_tensors = self.encoder_.get_state()
        tensors = {f"encoder.{k}": v for k, v in enc_tensors.items()}
        for prefix, mod in self._modules_for_state().items():
            for k, v in mod.state_dict().items():
                tensors[f"{prefix}.{k}"] = v
        state = {"encoder": enc_state, "model": self._model_config()}
        if getattr(self, "privacy_", None):
            state["privacy"] = self.privacy_
        return state, tensors

    def _set_model_state(self, state: dict[str, Any], tensors: dict[str, Tensor]) -> None:
        enc = {k[len("encoder.") :]: v for k, v in tensors.items() if k.startswith("encoder.")}
        self.encoder_ = TableEncoder.from_state(state["encoder"], enc, self.spec_)
        self.device_ = resolve_device(self.device)
        self._lowp_nets = {}
        self.privacy_ = state.get("privacy")
        self._restore_model(state["model"])
        for prefix, mod in self._modules_for_state().items():
            sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
            mod.load_state_dict(sd, strict=True)
            mod.to(self.device_)

    @abstractmethod
    def _restore_model(self, cfg: dict[str, Any]) -> None:
        """Rebuild the networks from ``_model_config()`` output (weights are loaded after)."""


def steps_per_epoch(n_rows: int, batch_size: int) -> int:
    return max(n_rows // batch_size, 1)


# The default schedule, tied to the row count (measured: see the README's "Defaults"):
DEFAULT_BATCH = 500  # rows per step once a table holds ten such batches (CTGAN's default)
DEFAULT_EPOCHS = 300  # CTGAN's and TVAE's default passes over the data ...
MIN_STEPS = 3_000  # ... but at least this many optimiser steps (small tables)
MAX_STEPS = 30_000  # ... and at most this many (long tables: minutes, not hours)
MIN_BATCH = 20


def plan_schedule(
    n_rows: int,
    batch_size: int | None,
    epochs: int | None,
    *,
    multiple: int = 1,
    private: bool = False,
) -> tuple[int, int]:
    """The (batch size, epochs) a fit uses: the given values, or defaults scaled to the rows.

    ``batch_size=None`` is 500 rows, or a tenth of the rows for tables under 5,000 (a multiple
    of ``multiple``, at least 20): a 406-row table at batch 500 took one step per epoch, 300
    steps in all, and its CTGAN came out untrained. ``epochs=None`` is 300 passes, raised to
    make at least ``MIN_STEPS`` steps and lowered to make at most ``MAX_STEPS``: adult (32,561
    rows) keeps 300 epochs (19,500 steps); a 10⁶-row table gets 15 (30,000 steps). Under DP
    the epochs stay 300 whatever the rows: there every step spends privacy budget, so more
    steps buy more noise per step, not a better model.
    """
    if batch_size is None:
        batch_size = min(DEFAULT_BATCH, max(MIN_BATCH, n_rows // 10))
        batch_size = max(multiple, batch_size // multiple * multiple)
    if epochs is None:
        if private:
            epochs = DEFAULT_EPOCHS
        else:
            per_epoch = steps_per_epoch(n_rows, batch_size)
            fewest = -(-MIN_STEPS // per_epoch)
            most = max(1, MAX_STEPS // per_epoch)
            epochs = min(max(DEFAULT_EPOCHS, fewest), most)
    return int(batch_size), int(epochs)
