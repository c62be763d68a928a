"""Privacy: differentially private training, private preprocessing, and anonymisation.

* :mod:`synthset.privacy.dp` — the budget (``dp={"epsilon": 1.0, "delta": 1e-5}``) and the
  ledger that composes every private release with Opacus' accountants;
* :mod:`synthset.privacy.preprocess` — category sets, bounds and marginals released privately
  (or declared public) so the encoder never reads a row in the clear;
* :mod:`synthset.privacy.dpsgd` — DP-SGD on device-resident data (Poisson sampling, per-sample
  clipping, noise) with Opacus' per-sample gradients;
* :mod:`synthset.privacy.identifiers` / :mod:`synthset.privacy.anonymize` — direct-identifier
  detection and the ``synthset anonymize`` pipeline.
"""

from synthset.privacy.dp import DPConfig, PrivacyLedger, parse_dp, solve_noise_multiplier

__all__ = ["DPConfig", "PrivacyLedger", "parse_dp", "solve_noise_multiplier"]
