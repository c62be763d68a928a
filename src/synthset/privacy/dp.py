"""Differential privacy: the budget a user asks for, and the accounting that keeps it.

A synthesizer trained with ``dp={"epsilon": 1.0, "delta": 1e-5}`` is (ε, δ)-differentially
private with respect to adding or removing one row of its training data. Everything that reads
the private rows is charged to one :class:`PrivacyLedger`:

* **preprocessing** (the category sets, numeric ranges and marginal histograms that shape the
  encoder, unless the user declares them as public metadata): Gaussian mechanisms over the full
  data, each a ``(noise_multiplier, sample_rate=1, steps=1)`` entry of the ledger;
* **training**: DP-SGD steps of the networks that see real rows (the CTGAN discriminator, the
  whole TVAE / VAE), each a Poisson-subsampled Gaussian mechanism
  ``(noise_multiplier, sample_rate=batch/rows)``;
* **category discovery**: releasing which categories exist at all uses Gaussian partition
  selection (a category is kept when its noisy count clears a threshold), whose small failure
  probability ``delta_selection`` is added to δ.

The ledger composes all entries with Opacus' accountants (RDP by default, PRV on request): one
composition, so nothing is charged twice and nothing is left out. The training noise multiplier
is solved so that preprocessing + training together meet the target ε exactly.

Opacus is an optional dependency (``pip install synthset[privacy]``); this module imports it
only when a budget is actually accounted.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthset.errors import ConfigError

ACCOUNTANTS = ("rdp", "prv")
MAX_SIGMA = 1e6
# RDP orders: Opacus' defaults (1.1 … 63) plus larger ones. A small ε on full-data releases
# (sample rate 1, e.g. the preprocessing histograms) is reached only at large orders: with
# orders ≤ 63, log(1/δ)/(α-1) alone exceeds 0.18 at δ = 1e-5.
RDP_ORDERS = (
    [1 + x / 10.0 for x in range(1, 100)]
    + list(range(12, 64))
    + [80, 100, 128, 160, 200, 256, 320, 400, 512, 700, 1000, 1500, 2000, 3000, 5000]
)


def require_opacus():
    """Import Opacus or raise a ConfigError that says how to install it."""
    try:
        import opacus
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "differentially private training needs Opacus; install it with "
            "`pip install 'synthset[privacy]'` (or `pip install opacus`)"
        ) from exc
    return opacus


@dataclass
class DPConfig:
    """The privacy budget and how it is spent.

    Attributes:
        epsilon: the target ε of the whole fit (preprocessing + training), > 0.
        delta: the target δ; None picks ``1 / (10 · rows)`` at fit time. It must stay below
            ``1 / rows``: a larger δ allows releasing a whole row.
        max_grad_norm: per-example gradient clipping bound C of DP-SGD.
        accountant: ``"rdp"`` (Rényi DP, Mironov 2017; the Opacus default) or ``"prv"``
            (privacy loss random variables, Gopi et al. 2021: tighter, slower).
        preprocessing_share: share of ε that the data-dependent preprocessing may spend when
            some metadata is not declared public (0 < share < 1). It sets the preprocessing
            noise; training then gets whatever the composition leaves.
        public_metadata: what the user declares public, so it costs no budget: a
            :class:`~synthset.data.spec.TableSpec`, a path to a spec.json, or
            ``{column: {"categories": [...], "min": ..., "max": ...}}``. Categories and
            bounds not declared are estimated privately (and paid for).
        secure_mode: draw the DP-SGD noise from a cryptographically secure generator
            (Opacus' secure mode, needs ``torchcsprng``); the default draws it from the seeded
            generator of the fit, which is reproducible but predictable to whoever knows the
            seed.
    """

    epsilon: float
    delta: float | None = None
    max_grad_norm: float = 1.0
    accountant: str = "rdp"
    preprocessing_share: float = 0.1
    public_metadata: Any = None
    secure_mode: bool = False

    def validate(self) -> None:
        eps = self.epsilon
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            raise ConfigError(f"dp `epsilon` must be a number > 0, got {eps!r}")
        if math.isinf(eps):
            raise ConfigError("dp `epsilon` is infinite; for training without DP pass dp=None")
        d = self.delta
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, float))):
            raise ConfigError(f"dp `delta` must be a number in (0, 1) or None, got {d!r}")
        if d is not None and not 0 < d < 1:
            raise ConfigError(f"dp `delta` must be in (0, 1), got {d!r}")
        if not (isinstance(self.max_grad_norm, (int, float)) and self.max_grad_norm > 0):
            raise ConfigError(f"dp `max_grad_norm` must be > 0, got {self.max_grad_norm!r}")
        if self.accountant not in ACCOUNTANTS:
            raise ConfigError(
                f"dp `accountant` must be one of {ACCOUNTANTS}, got {self.accountant!r}"
            )
        share = self.preprocessing_share
        if not (isinstance(share, (int, float)) and 0 < share < 1):
            raise ConfigError(f"dp `preprocessing_share` must be in (0, 1), got {share!r}")

    def resolve_delta(self, n_rows: int) -> float:
        """δ for a table of ``n_rows`` rows (a ConfigError when δ ≥ 1/rows)."""
        if self.delta is None:
            return 1.0 / (10.0 * max(n_rows, 1))
        if self.delta >= 1.0 / max(n_rows, 1):
            raise ConfigError(
                f"dp `delta`={self.delta:g} is not below 1/rows = {1 / n_rows:g}: with "
                f"{n_rows} rows that could release a whole row; use delta ≤ {0.1 / n_rows:.1e}"
            )
        return float(self.delta)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (public metadata as a JSON dict, not a live object)."""
        d = asdict(self)
        d["public_metadata"] = public_metadata_dict(self.public_metadata)
        return d


def parse_dp(dp: Any) -> DPConfig | None:
    """``dp=`` as users pass it (None, a dict, a number meaning ε, or a DPConfig) → DPConfig.

    Raises:
        ConfigError: unknown keys or invalid values, naming the key and the fix.
    """
    if dp is None or dp is False:
        return None
    if isinstance(dp, DPConfig):
        cfg = DPConfig(**asdict(dp))
        cfg.public_metadata = dp.public_metadata
    elif isinstance(dp, (int, float)) and not isinstance(dp, bool):
        cfg = DPConfig(epsilon=float(dp))
    elif isinstance(dp, dict):
        known = set(DPConfig.__dataclass_fields__)
        unknown = sorted(set(dp) - known)
        if unknown:
            raise ConfigError(
                f"dp has unknown keys {unknown}; known keys: {sorted(known)} "
                '(e.g. dp={"epsilon": 1.0, "delta": 1e-5})'
            )
        if "epsilon" not in dp:
            raise ConfigError('dp needs an "epsilon", e.g. dp={"epsilon": 1.0, "delta": 1e-5}')
        cfg = DPConfig(**dp)
    else:
        raise ConfigError(
            f'`dp` must be None, a dict such as {{"epsilon": 1.0, "delta": 1e-5}}, or a '
            f"DPConfig; got {dp!r}"
        )
    cfg.validate()
    return cfg


def public_metadata_dict(meta: Any) -> dict[str, dict[str, Any]] | None:
    """Public metadata as ``{column: {"categories"?, "min"?, "max"?}}`` (None when absent)."""
    if meta is None:
        return None
    from synthset.data.spec import TableSpec

    if isinstance(meta, (str, Path)):
        path = Path(meta)
        if not path.is_file():
            raise ConfigError(f"public metadata file {path} does not exist; pass a spec.json path")
        meta = TableSpec.from_json(path.read_text())
    if isinstance(meta, TableSpec):
        out: dict[str, dict[str, Any]] = {}
        for c in meta.columns:
            entry: dict[str, Any] = {}
            if c.categories is not None:
                entry["categories"] = list(c.categories)
            if c.min is not None:
                entry["min"] = c.min
            if c.max is not None:
                entry["max"] = c.max
            if c.decimals is not None:
                entry["decimals"] = c.decimals
            entry["nullable"] = bool(c.nullable)
            out[c.name] = entry
        return out
    if isinstance(meta, dict):
        allowed = {"categories", "min", "max", "decimals", "nullable"}
        out = {}
        for col, entry in meta.items():
            if not isinstance(entry, dict):
                raise ConfigError(
                    f"public metadata for column {col!r} must be a dict such as "
                    f'{{"min": 0, "max": 100}} or {{"categories": [...]}}, got {entry!r}'
                )
            bad = sorted(set(entry) - allowed)
            if bad:
                raise ConfigError(
                    f"public metadata for column {col!r} has unknown keys {bad}; "
                    f"allowed: {sorted(allowed)}"
                )
            out[str(col)] = dict(entry)
        return out
    raise ConfigError(
        "dp `public_metadata` must be a TableSpec, a spec.json path or a dict of columns, "
        f"got {type(meta).__name__}"
    )


# --- the ledger --------------------------------------------------------------------------------
@dataclass
class LedgerEntry:
    """``steps`` compositions of a Gaussian mechanism of ``noise_multiplier`` (noise std over
    L2 sensitivity) on a Poisson subsample of rate ``sample_rate`` (1: the whole data)."""

    what: str
    noise_multiplier: float
    sample_rate: float
    steps: int


@dataclass
class PrivacyLedger:
    """Every private release of one fit, composed by one accountant."""

    accountant: str = "rdp"
    entries: list[LedgerEntry] = field(default_factory=list)
    delta_selection: float = 0.0  # δ spent by Gaussian partition selection (added, not composed)

    def add(self, what: str, noise_multiplier: float, sample_rate: float, steps: int = 1) -> None:
        if steps <= 0:
            return
        for e in self.entries:  # merge repeats so the accountant composes them in one go
            if (e.what, e.noise_multiplier, e.sample_rate) == (what, noise_multiplier, sample_rate):
                e.steps += steps
                return
        self.entries.append(LedgerEntry(what, float(noise_multiplier), float(sample_rate), steps))

    def history(self) -> list[tuple[float, float, int]]:
        return [(e.noise_multiplier, e.sample_rate, e.steps) for e in self.entries]

    def epsilon(self, delta: float) -> float:
        """ε of everything in the ledger at total δ (δ minus the selection δ goes to the
        accountant)."""
        return epsilon_of(self.history(), delta - self.delta_selection, self.accountant)

    def copy(self) -> PrivacyLedger:
        return PrivacyLedger(
            self.accountant,
            [LedgerEntry(**asdict(e)) for e in self.entries],
            self.delta_selection,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "accountant": self.accountant,
            "delta_selection": self.delta_selection,
            "entries": [asdict(e) for e in self.entries],
        }


def epsilon_of(history: list[tuple[float, float, int]], delta: float, accountant: str) -> float:
    """ε at ``delta`` of composing ``(noise_multiplier, sample_rate, steps)`` mechanisms."""
    if not history:
        return 0.0
    if delta <= 0:
        raise ConfigError(f"no δ left for the accountant (δ = {delta:g}); raise dp `delta`")
    require_opacus()
    from opacus.accountants import create_accountant

    acc = create_accountant(mechanism=accountant)
    acc.history = list(history)
    with warnings.catch_warnings():  # "optimal order is the largest alpha": reported below
        warnings.simplefilter("ignore", UserWarning)
        if accountant == "rdp":
            return float(acc.get_epsilon(delta=delta, alphas=RDP_ORDERS))
        return float(acc.get_epsilon(delta=delta))


def _rdp_vector(noise_multiplier: float, sample_rate: float, steps: int) -> np.ndarray:
    """RDP of ``steps`` subsampled Gaussian steps at every order of ``RDP_ORDERS`` (Opacus'
    analysis; linear in ``steps``)."""
    from opacus.accountants.analysis.rdp import compute_rdp

    return np.asarray(
        compute_rdp(q=sample_rate, noise_multiplier=noise_multiplier, steps=1, orders=RDP_ORDERS)
    ) * int(steps)


def _rdp_epsilon(rdp: np.ndarray, delta: float) -> float:
    from opacus.accountants.analysis.rdp import get_privacy_spent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        eps, _ = get_privacy_spent(orders=RDP_ORDERS, rdp=rdp, delta=delta)
    return float(eps)


class Composition:
    """ε of a fixed prior plus a varying last mechanism, with the prior's RDP computed once
    (RDP composes by addition, so each evaluation costs one mechanism, not the whole ledger).

    Args:
        prior: ``(noise_multiplier, sample_rate, steps)`` entries spent before.
        delta: δ given to the accountant.
        accountant: ``"rdp"`` or ``"prv"`` (PRV recomposes everything at each call).
    """

    def __init__(self, prior: list[tuple[float, float, int]], delta: float, accountant: str):
        require_opacus()
        self.prior, self.delta, self.accountant = list(prior), float(delta), accountant
        if delta <= 0:
            raise ConfigError(f"no δ left for the accountant (δ = {delta:g}); raise dp `delta`")
        if accountant == "rdp":
            self.prior_rdp = np.zeros(len(RDP_ORDERS))
            for sigma, q, steps in self.prior:
                self.prior_rdp = self.prior_rdp + _rdp_vector(sigma, q, steps)
        self._step_cache: dict[tuple[float, float], np.ndarray] = {}

    def epsilon(self, sigma: float | None = None, q: float = 1.0, steps: int = 0) -> float:
        """ε of the prior plus ``steps`` steps of (σ, q) (just the prior when ``steps`` is 0)."""
        if self.accountant != "rdp":
            extra = [(sigma, q, steps)] if steps else []
            return epsilon_of([*self.prior, *extra], self.delta, self.accountant)
        rdp = self.prior_rdp
        if steps:
            key = (float(sigma), float(q))
            if key not in self._step_cache:
                self._step_cache[key] = _rdp_vector(sigma, q, 1)
            rdp = rdp + self._step_cache[key] * int(steps)
        if not rdp.any():
            return 0.0
        return _rdp_epsilon(rdp, self.delta)


def solve_noise_multiplier(
    *,
    target_epsilon: float,
    delta: float,
    sample_rate: float,
    steps: int,
    prior: list[tuple[float, float, int]] | None = None,
    accountant: str = "rdp",
    tolerance: float = 0.01,
) -> float:
    """The smallest noise multiplier (to ``tolerance`` in ε) for ``steps`` Poisson-subsampled
    Gaussian steps at ``sample_rate`` such that ``prior`` + those steps stay within
    ``target_epsilon`` at ``delta``.

    The answer meets what Opacus' ``get_noise_multiplier`` asks of its own (ε within
    ``tolerance`` below the target) with a third of its accountant calls: a bracket in log σ,
    then the Illinois variant of regula falsi on ε(log σ), which is smooth and monotone. The
    prior lets the preprocessing releases and the training share one composition.

    Raises:
        ConfigError: the prior alone already exceeds the target, or no finite noise meets it.
    """
    comp = Composition(list(prior or []), delta, accountant)
    if prior and comp.epsilon() >= target_epsilon:
        raise ConfigError(
            f"the preprocessing alone spends ε ≥ {target_epsilon:g}; lower dp "
            "`preprocessing_share` or declare the columns' categories and bounds as public "
            "metadata"
        )

    def f(log_sigma: float) -> float:  # > 0: not private enough
        return comp.epsilon(math.exp(log_sigma), sample_rate, steps) - target_epsilon

    # bracket: a (too little noise, f > 0) and b (enough, f <= 0), a factor 2 apart
    b = math.log(1.0)
    fb = f(b)
    if fb > 0:
        a, fa = b, fb
        while fb > 0:
            a, fa = b, fb
            b += math.log(2.0)
            if b > math.log(MAX_SIGMA):
                raise ConfigError(
                    f"no noise level reaches ε = {target_epsilon:g} with {steps} steps at "
                    f"sample rate {sample_rate:.3g}; raise epsilon, or lower epochs / batch_size"
                )
            fb = f(b)
    else:
        a, fa = b - math.log(2.0), f(b - math.log(2.0))
        while fa <= 0:
            b, fb = a, fa
            a -= math.log(2.0)
            fa = f(a)
    wa, wb = fa, fb  # interpolation weights (Illinois halves the stale end's)
    side = 0
    while -fb > tolerance:
        c = b - wb * (b - a) / (wb - wa)
        if not min(a, b) < c < max(a, b):
            c = (a + b) / 2
        fc = f(c)
        if fc > 0:
            a, fa, wa = c, fc, fc
            wb = wb / 2 if side == -1 else wb
            side = -1
        else:
            b, fb, wb = c, fc, fc
            wa = wa / 2 if side == 1 else wa
            side = 1
        if abs(b - a) < 1e-12:
            break
    return math.exp(b)


def gaussian_sigma_for(
    epsilon: float, delta: float, k: int, accountant: str = "rdp", tolerance: float = 0.002
) -> float:
    """Noise multiplier σ such that ``k`` Gaussian releases of the full data (sensitivity 1
    each) compose to ``epsilon`` at ``delta``."""
    return solve_noise_multiplier(
        target_epsilon=epsilon,
        delta=delta,
        sample_rate=1.0,
        steps=k,
        accountant=accountant,
        tolerance=tolerance * epsilon,
    )


def selection_threshold(sigma: float, delta_per_column: float) -> float:
    """Count a category's noisy count must exceed to be released (Gaussian partition selection,
    Korolova et al. 2009; Gopi et al. 2020): a category held by a single row clears
    ``1 + σ·Φ⁻¹(1 - δ)`` with probability at most δ."""
    from scipy.stats import norm

    return 1.0 + sigma * float(norm.isf(delta_per_column))
