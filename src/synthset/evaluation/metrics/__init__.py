"""Built-in metrics; importing this package registers them: fidelity, utility, privacy."""

from synthset.evaluation.metrics import fidelity, utility, privacy  # noqa: F401, I001
