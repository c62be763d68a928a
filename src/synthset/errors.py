"""The one exception hierarchy of synthset.

Every error a user can cause (bad parameters, bad data, a corrupt artifact, sampling before fitting)
is a :class:`SynthsetError`, so callers and the CLI can catch one class. Messages say what was
expected, what was received, and how to fix it.
"""

from __future__ import annotations


class SynthsetError(Exception):
    """Base class of every error synthset raises on purpose."""


class ConfigError(SynthsetError, ValueError):
    """A parameter or option has an invalid value (names the parameter)."""


class DataError(SynthsetError, ValueError):
    """The input data cannot be used; the message lists every problem found."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class NotFittedError(SynthsetError, ValueError, AttributeError):
    """A method that needs a fitted synthesizer was called before ``fit``."""


class ArtifactError(SynthsetError, OSError):
    """An artifact folder is missing, corrupt, tampered with, or from a newer format."""


class OutputExistsError(SynthsetError, FileExistsError):
    """An output path already exists and ``overwrite`` was not given."""


class PrivacyRiskError(SynthsetError):
    """Synthetic data failed a privacy check (exact copies, membership inference) and was not
    written; ``result`` holds what was measured (an ``AnonymizeResult``) when there is one."""

    def __init__(self, message: str, result: object = None):
        super().__init__(message)
        self.result = result


class SynthsetWarning(UserWarning):
    """Base class of recoverable problems."""


class VersionMismatchWarning(SynthsetWarning):
    """An artifact was written by another synthset version."""
