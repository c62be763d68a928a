"""One private fit: its budget, its ledger, the training noise solved for it, and the record of
what was spent (``synth.privacy_``), shared by every DP synthesizer."""

from __future__ import annotations

from typing import Any

from synthset.privacy.dp import (
    Composition,
    DPConfig,
    PrivacyLedger,
    epsilon_of,
    solve_noise_multiplier,
)


class PrivateFit:
    """The accounting of one DP fit.

    Args:
        cfg: the validated budget.
        n_rows: rows of the private data (sets the default δ and checks δ < 1/rows).
    """

    def __init__(self, cfg: DPConfig, n_rows: int):
        self.cfg = cfg
        self.n_rows = int(n_rows)
        self.delta = cfg.resolve_delta(n_rows)
        self.ledger = PrivacyLedger(cfg.accountant)
        self.preprocessing: dict[str, Any] = {}
        self.noise_multiplier: float | None = None
        self.sample_rate: float | None = None
        self.planned_steps = 0
        self._what = "training"
        self._composition: Composition | None = None

    def plan_training(self, *, batch_size: int, steps: int, what: str) -> float:
        """Solve the DP-SGD noise multiplier so that preprocessing + ``steps`` Poisson steps of
        expected size ``batch_size`` meet the target ε; returns σ."""
        from synthset.errors import ConfigError

        q = min(batch_size / max(self.n_rows, 1), 1.0)
        if batch_size > self.n_rows:
            raise ConfigError(
                f"batch_size={batch_size} is larger than the {self.n_rows} rows: DP-SGD samples "
                "each row with probability batch_size/rows; lower batch_size"
            )
        self.sample_rate = q
        self.planned_steps = int(steps)
        self._what = what
        self.noise_multiplier = solve_noise_multiplier(
            target_epsilon=self.cfg.epsilon,
            delta=self.delta - self.ledger.delta_selection,
            sample_rate=q,
            steps=int(steps),
            prior=self.ledger.history(),
            accountant=self.cfg.accountant,
        )
        return self.noise_multiplier

    def private_net(self, module: Any, make_optimizer: Any, generator: Any) -> Any:
        """A :class:`~synthset.privacy.dpsgd.PrivateNet` for ``module`` with the planned noise,
        the configured clip bound and the planned expected batch (call ``plan_training``
        first). ``module`` is made Opacus-compatible first (batch norm → group norm), then
        ``make_optimizer(parameters)`` builds its optimizer over the final parameters."""
        from synthset.privacy.dpsgd import PrivateNet, make_compatible

        module = make_compatible(module)
        return PrivateNet(
            module,
            make_optimizer(module.parameters()),
            noise_multiplier=self.noise_multiplier,
            max_grad_norm=self.cfg.max_grad_norm,
            expected_batch_size=self.sample_rate * self.n_rows,
            generator=generator,
            secure_mode=self.cfg.secure_mode,
        )

    def epsilon_after(self, steps: int) -> float:
        """Total ε spent once ``steps`` training steps have been charged (the preprocessing's
        RDP is composed once and reused)."""
        if self._composition is None:
            self._composition = Composition(
                self.ledger.history(), self.delta - self.ledger.delta_selection, self.cfg.accountant
            )
        return self._composition.epsilon(self.noise_multiplier, self.sample_rate, int(steps))

    def annotate_history(self, history: list[dict[str, Any]], dp_steps_per_step: int = 1) -> None:
        """Add the cumulative ε after every epoch to ``history`` (RDP: a few ms an epoch; with
        the slower PRV accountant only the last epoch is annotated). ``dp_steps_per_step``:
        private updates per trainer step (CTGAN's ``discriminator_steps``)."""
        done = 0
        for i, row in enumerate(history):
            done += int(row["steps"]) * dp_steps_per_step
            if self.cfg.accountant == "rdp" or i == len(history) - 1:
                row["epsilon"] = self.epsilon_after(done)

    def record(self, steps: int, *, private_networks: list[str], **extra: Any) -> dict[str, Any]:
        """``synth.privacy_``: the guarantee and how it was reached (JSON-able)."""
        self.ledger.add(self._what, self.noise_multiplier, self.sample_rate, int(steps))
        eps = self.ledger.epsilon(self.delta)
        pre = [e for e in self.ledger.entries if e.what.startswith("preprocessing")]
        eps_pre = epsilon_of(
            [(e.noise_multiplier, e.sample_rate, e.steps) for e in pre],
            self.delta - self.ledger.delta_selection,
            self.cfg.accountant,
        )
        return {
            "epsilon": eps,
            "delta": self.delta,
            "target_epsilon": float(self.cfg.epsilon),
            "accountant": self.cfg.accountant,
            "noise_multiplier": self.noise_multiplier,
            "max_grad_norm": float(self.cfg.max_grad_norm),
            "sample_rate": self.sample_rate,
            "steps": int(steps),
            "planned_steps": self.planned_steps,
            "rows": self.n_rows,
            "private_networks": private_networks,
            "preprocessing": {**self.preprocessing, "epsilon_alone": eps_pre},
            "delta_selection": self.ledger.delta_selection,
            "ledger": self.ledger.to_dict()["entries"],
            "guarantee": (
                f"({eps:.3g}, {self.delta:.2g})-differential privacy with respect to adding or "
                "removing one training row"
            ),
            **extra,
        }
