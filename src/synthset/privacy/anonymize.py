"""``anonymize(data, epsilon=...)``: a differentially private synthetic stand-in for a table,
released only when it passes privacy checks.

The pipeline:

1. **Identifiers.** :func:`~synthset.privacy.identifiers.detect_identifiers` flags direct
   identifiers (ids, e-mails, phones, names, free text, IPs, card numbers, national ids). They
   are dropped before anything is fitted; with ``identifiers="replace"`` each (but free text)
   comes back in the output as fake, well-formed values drawn from the seed alone.
2. **Holdout.** The remaining table is split (seeded) into the rows that train the model and
   a holdout of ``holdout_share`` of the rows that the model never sees. The holdout is what
   makes the privacy checks meaningful: a synthetic row is suspicious only if it sits closer to
   the training rows than unseen real rows do. The price is that only the training rows shape
   the output; ``AnonymizeResult.n_train`` says how many.
3. **DP fit.** The synthesizer (``tvae`` or ``ctgan``) is trained with
   ``dp={"epsilon": epsilon, "delta": delta, "public_metadata": ...}``: (ε, δ)-differential
   privacy with respect to one training row, preprocessing included. ``delta`` defaults to
   ``1 / (10 · n_train)``, well below ``1 / n_train``.
4. **Checks.** :func:`synthset.evaluate` runs every registered privacy metric on the training
   rows, the synthetic rows and the holdout (without the identifier columns), and
   :func:`judge_privacy` refuses the release when either rule fires:

   * **exact copies**: the share of synthetic rows equal to a training row exceeds the share of
     holdout rows equal to a training row (real tables repeat rows too) by more than
     ``max(COPY_MARGIN, COPY_SIGMAS · SE)``: 1 percentage point, or 3 standard errors of the
     difference of the two shares, ``SE = sqrt(p (1 - p) (1/n_synthetic + 1/n_holdout))``,
     where ``p = (holdout copies + 2) / (n_holdout + 4)`` is the baseline rate estimated the
     Agresti-Coull way (no copies among 13 holdout rows is not a rate of 0). On large tables
     the margin is the 1 point; on small ones it widens to what the holdout can resolve. An
     exact copy of the input is refused.
   * **membership inference**: an attack AUC (``membership_inference``, and every other
     registered metric whose name starts with ``membership_inference``) above
     ``MIA_MAX_AUC`` = 0.6 that is also distinguishable from chance, i.e.
     ``AUC - MIA_Z · SE > 0.5`` (SE from the metric's ``details["std_error"]``, Hanley &
     McNeil). 0.6 sits between the metric's pass (0.55) and warn (0.65) thresholds; the chance
     clause keeps a 13-row holdout from refusing a model on noise alone.

   A check that could not be computed counts as failed: the gate fails closed.

What the guarantee covers: the synthetic rows are (ε, δ)-DP with respect to the training rows.
The identifier detection (which columns are identifiers), the split and the release decision
itself read the real rows without noise; they reveal facts about columns and one bit (released
or refused), not any row's values. The report keeps no real row (``report.real_sample`` is
None), only distances and scores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.table import Table, as_table
from synthset.errors import ConfigError, DataError, PrivacyRiskError
from synthset.privacy.dp import parse_dp
from synthset.privacy.identifiers import (
    IdentifierFinding,
    add_fake_identifiers,
    detect_identifiers,
    identifier_actions,
)
from synthset.utils import derive_seed

DP_SYNTHESIZERS = ("tvae", "ctgan")
COPY_MARGIN = 0.01  # exact copies may exceed the holdout's share by this much ...
COPY_SIGMAS = 3.0  # ... or by this many standard errors of the difference, if more
MIA_MAX_AUC = 0.6  # membership-inference AUC above which the release is refused ...
MIA_Z = 1.96  # ... when the AUC is also this many standard errors above 0.5
MIN_HOLDOUT_ROWS = 10
MIN_TRAIN_ROWS = 10


@dataclass(frozen=True)
class PrivacyCheck:
    """One release rule applied to one metric.

    Attributes:
        metric: the metric's name (``"exact_copies"``, ``"membership_inference"``).
        value: its value (NaN when it could not be computed).
        limit: the value above which the rule refuses.
        passed: whether the rule lets the release through.
        rule: the rule in words, with the numbers it used.
    """

    metric: str
    value: float
    limit: float
    passed: bool
    rule: str

    def line(self) -> str:
        """``exact_copies 0.800 > limit 0.012 (…)`` — the check in one clause."""
        if math.isnan(self.value):
            return f"{self.metric} not computed ({self.rule})"
        op = "≤" if self.passed else ">"
        return f"{self.metric} {self.value:.3f} {op} limit {self.limit:.3f} ({self.rule})"


@dataclass
class Decision:
    """Whether synthetic data may be released, and why.

    Attributes:
        checks: every rule applied, passed or not.
        forced: the release went ahead although a check failed (``force=True``).
    """

    checks: list[PrivacyCheck]
    forced: bool = False

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def release(self) -> bool:
        """True when the data is released: every check passed, or ``force`` overrode them."""
        return self.passed or self.forced

    @property
    def failed(self) -> list[PrivacyCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def reasons(self) -> list[str]:
        """One clause per failed check."""
        return [c.line() for c in self.failed]

    def message(self, *, cli: bool = False) -> str:
        """The refusal as one line: the failing checks, their values and limits, and the fix."""
        fix = (
            "lower --epsilon, or pass --force to write anyway"
            if cli
            else "lower epsilon, or pass force=True to release anyway"
        )
        if self.passed:
            return "every privacy check passed"
        return f"privacy check failed: {'; '.join(self.reasons)}; {fix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "forced": self.forced,
            "checks": [
                {
                    "metric": c.metric,
                    "value": None if math.isnan(c.value) else c.value,
                    "limit": c.limit,
                    "passed": c.passed,
                    "rule": c.rule,
                }
                for c in self.checks
            ],
        }


@dataclass
class AnonymizeResult:
    """What :func:`anonymize` produced and measured.

    Attributes:
        synthetic: the synthetic table to release (fake identifier columns included when
            ``identifiers="replace"``).
        findings: the identifier columns found in the input.
        actions: ``{column: "drop" | "replace"}`` for every finding.
        report: the privacy report (training rows vs synthetic vs holdout, identifier columns
            left out; no real rows kept in it).
        privacy: the DP accounting of the fit (``synth.privacy_``: ε, δ, accountant, noise
            multiplier, preprocessing, ...).
        decision: the release decision and every check behind it.
        n_train: rows that trained the model.
        n_holdout: rows held out for the checks (never seen by the model).
        synthesizer: the synthesizer's name.
        seconds: time per stage (detect, fit, sample, evaluate).
    """

    synthetic: Table
    findings: list[IdentifierFinding]
    actions: dict[str, str]
    report: Any
    privacy: dict[str, Any]
    decision: Decision
    n_train: int
    n_holdout: int
    synthesizer: str
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """A JSON-able record of the run (no data values)."""
        return {
            "synthesizer": self.synthesizer,
            "rows": {
                "train": self.n_train,
                "holdout": self.n_holdout,
                "synthetic": len(self.synthetic),
            },
            "identifiers": [
                {**f.to_dict(), "action": self.actions[f.column]} for f in self.findings
            ],
            "privacy": {
                k: self.privacy.get(k)
                for k in ("epsilon", "delta", "accountant", "noise_multiplier", "guarantee")
                if k in self.privacy
            },
            "decision": self.decision.to_dict(),
            "seconds": self.seconds,
        }


# --- the release rules ------------------------------------------------------------------------
def judge_privacy(report: Any) -> Decision:
    """Apply the release rules (module docstring) to a privacy :class:`Report`.

    The report must come from ``evaluate(train, synthetic, holdout, ...)`` with the privacy
    metrics; a missing ``exact_copies`` or ``membership_inference`` result fails its check.
    """
    checks = [_copies_check(report)]
    names = [m.name for m in report.metrics if m.name.startswith("membership_inference")]
    for name in names or ["membership_inference"]:
        checks.append(_mia_check(report, name))
    return Decision(checks)


def check_privacy(
    real: Any, synthetic: Any, holdout: Any, *, seed: int = 0, metrics: Any = "privacy"
) -> Decision:
    """Evaluate ``synthetic`` against the training rows ``real`` and the unseen ``holdout``
    and apply :func:`judge_privacy` (``metrics``: what :func:`synthset.evaluate` runs)."""
    from synthset.evaluation import evaluate

    return judge_privacy(evaluate(real, synthetic, holdout, metrics=metrics, seed=seed))


def _result(report: Any, name: str) -> Any:
    return next((m for m in report.metrics if m.name == name), None)


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _copies_check(report: Any) -> PrivacyCheck:
    m = _result(report, "exact_copies")
    if m is None or _is_nan(m.value) or m.details.get("holdout_share") is None:
        why = m.details.get("error", "needs a holdout") if m is not None else "not run"
        return PrivacyCheck("exact_copies", float("nan"), float("nan"), False, str(why))
    rows = report.meta.get("rows", {})
    n_syn, n_hold = int(rows.get("synthetic") or 0), int(rows.get("holdout") or 0)
    share, base = float(m.value), float(m.details["holdout_share"])
    # the baseline rate, Agresti-Coull style: 0 copies in 13 holdout rows is not a rate of 0
    p = (m.details["holdout_count"] + 2) / (n_hold + 4)
    se = math.sqrt(p * (1 - p) * (1 / max(n_syn, 1) + 1 / max(n_hold, 1)))
    margin = max(COPY_MARGIN, COPY_SIGMAS * se)
    limit = base + margin
    rule = (
        f"{m.details['count']:,} of {n_syn:,} synthetic rows copy a training row; unseen real "
        f"rows do at {base:.3f}, plus a margin of {margin:.3f}"
    )
    return PrivacyCheck("exact_copies", share, limit, share <= limit, rule)


def _mia_check(report: Any, name: str) -> PrivacyCheck:
    m = _result(report, name)
    if m is None or _is_nan(m.value):
        why = m.details.get("error", "not computed") if m is not None else "not run"
        return PrivacyCheck(name, float("nan"), MIA_MAX_AUC, False, str(why))
    auc = float(m.value)
    se = m.details.get("std_error")
    if _is_nan(se):
        se = _auc_std_error(auc, report.meta.get("rows", {}))
    significant = auc - MIA_Z * float(se) > 0.5
    passed = not (auc > MIA_MAX_AUC and significant)
    rule = f"attack AUC, ± {float(se):.3f}; 0.5 = no leak"
    if auc > MIA_MAX_AUC and not significant:
        rule += f"; not above chance by {MIA_Z:g} standard errors, so allowed"
    return PrivacyCheck(name, auc, MIA_MAX_AUC, passed, rule)


def _auc_std_error(auc: float, rows: dict[str, Any]) -> float:
    """Hanley & McNeil's standard error with as many members as holdout rows a side."""
    n = max(min(int(rows.get("real") or 1), int(rows.get("holdout") or 1)), 1)
    q1, q2 = auc / (2.0 - auc), 2.0 * auc**2 / (1.0 + auc)
    var = auc * (1 - auc) + (n - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)
    return float(np.sqrt(max(var, 0.0) / (n * n)))


# --- the pipeline ------------------------------------------------------------------------------
def anonymize(
    data: Any,
    *,
    epsilon: float,
    delta: float | None = None,
    synthesizer: str = "tvae",
    n_samples: int | None = None,
    identifiers: str = "drop",
    holdout_share: float = 0.2,
    public_metadata: Any = None,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    force: bool = False,
    keep: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> AnonymizeResult:
    """Make a differentially private synthetic version of a table, checked before release.

    Args:
        data: a Table, DataFrame or .csv / .parquet path.
        epsilon: the privacy budget ε of the whole fit (> 0; 1 is a common choice, lower is
            more private and less faithful).
        delta: δ of the guarantee; None: ``1 / (10 · n_train)`` (it must stay below
            ``1 / n_train``).
        synthesizer: ``"tvae"`` or ``"ctgan"`` (the DP-capable synthesizers).
        n_samples: synthetic rows to generate; None: as many as ``data`` has.
        identifiers: ``"drop"`` removes identifier columns; ``"replace"`` puts fake values
            (generated from ``seed`` only) in their place, except free text, which is dropped.
        holdout_share: share of rows kept from the model to serve as the privacy baseline
            (0 < share ≤ 0.5; at least 10 rows on each side).
        public_metadata: categories and bounds the user declares public (a TableSpec, a
            spec.json path or ``{column: {...}}``): they cost no budget. Identifier columns
            are removed from it.
        params: further synthesizer hyperparameters (``{"epochs": 50, "batch_size": 200}``).
        seed: seed of the detection sample, the split, the fit, the sample, the fake
            identifiers and the metrics.
        force: release even when a privacy check fails (``decision.forced`` records it).
        keep: columns never treated as identifiers, for a detection you know is wrong (they
            are modelled like any other column).
        log: called with a line of progress at each stage (the CLI prints them).

    Returns:
        An :class:`AnonymizeResult`.

    Raises:
        PrivacyRiskError: a check failed and ``force`` is False; ``exc.result`` holds the
            result (synthetic rows included) for inspection.
        ConfigError: a bad parameter, or a synthesizer without DP training.
        DataError: too few rows, or nothing left once the identifiers are removed.
    """
    from synthset.evaluation import evaluate
    from synthset.registry import get_synthesizer_class, make_synthesizer

    say = log or (lambda _msg: None)
    params = dict(params or {})
    _check_args(synthesizer, identifiers, holdout_share, n_samples, params, seed)
    parse_dp({"epsilon": epsilon, "delta": delta})  # a bad budget fails now, not after detection
    if "dp" not in get_synthesizer_class(synthesizer)._param_names():
        raise ConfigError(
            f"synthesizer {synthesizer!r} has no differentially private training; use one of "
            f"{', '.join(DP_SYNTHESIZERS)}"
        )
    table = as_table(data)
    keep = [keep] if isinstance(keep, str) else list(keep or [])
    unknown = [c for c in keep if c not in table.spec]
    if unknown:
        raise ConfigError(f"`keep` names unknown columns {unknown}; columns: {table.columns}")
    seconds: dict[str, float] = {}

    t0 = time.perf_counter()
    findings = [f for f in detect_identifiers(table, seed=seed) if f.column not in keep]
    actions = identifier_actions(findings, identifiers)
    seconds["detect"] = time.perf_counter() - t0
    for f in findings:
        done = describe_action(f, actions[f.column], identifiers)
        say(f"identifier {f.column!r} ({f.kind}): {f.reason} → {done}")
    if not findings:
        say("no direct identifiers found")
    kept = [c for c in table.spec.columns if c.name not in actions]
    if not kept:
        raise DataError(
            "every column is a direct identifier, so nothing is left to synthesize; check the "
            "detection (findings) or pass data with non-identifying columns"
        )
    stripped = Table(table.data[[c.name for c in kept]], TableSpec(kept), name=table.name)
    n_hold = int(round(len(stripped) * holdout_share))
    n_train = len(stripped) - n_hold
    if n_hold < MIN_HOLDOUT_ROWS or n_train < MIN_TRAIN_ROWS:
        raise DataError(
            f"anonymize needs at least {MIN_TRAIN_ROWS} training and {MIN_HOLDOUT_ROWS} holdout "
            f"rows; {len(stripped)} rows at holdout_share={holdout_share} give {n_train} and "
            f"{n_hold}; pass more rows or a larger holdout_share"
        )
    train, holdout = stripped.split(1.0 - holdout_share, seed=derive_seed(seed, 1))
    n_train, n_hold = len(train), len(holdout)

    dp = {"epsilon": epsilon, "delta": delta}
    if public_metadata is not None:
        dp["public_metadata"] = _public_without(public_metadata, set(actions))
    model = make_synthesizer(synthesizer, **params, dp=dp, random_state=derive_seed(seed, 2))
    say(
        f"fitting {synthesizer} with ε = {epsilon:g} on {n_train:,} rows "
        f"({n_hold:,} held out for the privacy checks) …"
    )
    t0 = time.perf_counter()
    model.fit(train)
    seconds["fit"] = time.perf_counter() - t0
    privacy = dict(getattr(model, "privacy_", None) or {})

    t0 = time.perf_counter()
    n_out = int(n_samples) if n_samples is not None else len(table)
    fake = model.sample(n_out, seed=derive_seed(seed, 3))
    seconds["sample"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    report = evaluate(train, fake, holdout, metrics="privacy", seed=seed)
    seconds["evaluate"] = time.perf_counter() - t0
    decision = judge_privacy(report)
    decision.forced = bool(force) and not decision.passed

    output = _with_fake_identifiers(fake, table, findings, actions, seed)
    result = AnonymizeResult(
        synthetic=output,
        findings=findings,
        actions=actions,
        report=report,
        privacy=privacy,
        decision=decision,
        n_train=n_train,
        n_holdout=n_hold,
        synthesizer=synthesizer,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )
    report.real_sample = None  # the report may travel with the output: no real row in it
    if not decision.release:
        report.synthetic_sample = None  # refused rows may be copies: keep them out too
    report.meta["anonymize"] = result.summary()
    if not decision.release:
        raise PrivacyRiskError(decision.message(), result=result)
    return result


def _check_args(
    synthesizer: str,
    identifiers: str,
    holdout_share: float,
    n_samples: int | None,
    params: dict[str, Any],
    seed: int,
) -> None:
    if not isinstance(synthesizer, str):
        raise ConfigError(
            f"`synthesizer` must be a name ({', '.join(DP_SYNTHESIZERS)}), got {synthesizer!r}"
        )
    identifier_actions([], identifiers)  # validates the action
    if (
        isinstance(holdout_share, bool)
        or not isinstance(holdout_share, (int, float))
        or not 0 < holdout_share <= 0.5
    ):
        raise ConfigError(f"`holdout_share` must be a number in (0, 0.5], got {holdout_share!r}")
    if n_samples is not None and (
        isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1
    ):
        raise ConfigError(f"`n_samples` must be an int ≥ 1 or None, got {n_samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"`seed` must be an int ≥ 0, got {seed!r}")
    taken = {"dp": "epsilon=, delta=, public_metadata=", "random_state": "seed="}
    clash = [k for k in params if k in taken]
    if clash:
        raise ConfigError(
            f"`params` may not set {', '.join(clash)}; pass "
            f"{', '.join(taken[k] for k in clash)} to anonymize instead"
        )


def describe_action(finding: IdentifierFinding, action: str, requested: str) -> str:
    """``"dropped"``, ``"replaced with fake values"``, or why free text was dropped although
    ``requested`` was ``"replace"``."""
    if action == "replace":
        return "replaced with fake values"
    if finding.kind == "free_text" and requested == "replace":
        return "dropped (free text cannot be faked safely)"
    return "dropped"


def _public_without(meta: Any, columns: set[str]) -> Any:
    """Public metadata without the identifier columns (they are not modelled)."""
    from synthset.privacy.dp import public_metadata_dict

    as_dict = public_metadata_dict(meta)
    return {k: v for k, v in (as_dict or {}).items() if k not in columns}


def _with_fake_identifiers(
    fake: Table,
    table: Table,
    findings: list[IdentifierFinding],
    actions: dict[str, str],
    seed: int,
) -> Table:
    """The synthetic table, with fake identifier columns where ``actions`` says replace."""
    replaced = [f for f in findings if actions[f.column] == "replace"]
    if not replaced:
        return fake
    df = add_fake_identifiers(
        fake.data,
        replaced,
        table.columns,
        seed=derive_seed(seed, 4),
        dtypes=table.data.dtypes.to_dict(),
    )
    by_name = {c.name: c for c in fake.spec.columns}
    columns = [
        by_name.get(name)
        or ColumnSpec(name=name, kind="id", dtype=str(df[name].dtype), nullable=False)
        for name in df.columns
    ]
    return Table(df, TableSpec(columns), name=fake.name)
