"""Built-in metrics; importing this package registers them: fidelity, utility, privacy (the
distance metrics, then the attacks)."""

from synthset.evaluation.metrics import fidelity, utility, privacy, privacy_attacks  # noqa: F401, I001
