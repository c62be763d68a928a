"""Name → synthesizer class registry, with entry points for third-party plugins.

>>> @register("mine")
... class Mine(Synthesizer): ...
>>> make_synthesizer("mine", epochs=3)
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from synthset.errors import ConfigError

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

ENTRY_POINT_GROUP = "synthset.synthesizers"

_REGISTRY: dict[str, type[Synthesizer]] = {}
_plugins_loaded = False

T = TypeVar("T")


def register(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator that registers a synthesizer under ``name`` (a duplicate name raises)."""

    def decorator(cls: type[T]) -> type[T]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(
                f"a synthesizer named {name!r} is already registered "
                f"({_REGISTRY[name].__module__}.{_REGISTRY[name].__qualname__}); "
                "choose another name"
            )
        cls.name = name  # type: ignore[attr-defined]
        _REGISTRY[name] = cls  # type: ignore[assignment]
        return cls

    return decorator


def _load_builtins() -> None:
    # Importing the package registers the built-in synthesizers.
    import synthset.synthesizers  # noqa: F401


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        cls = ep.load()
        register(ep.name)(cls)


def get_synthesizer_class(name: str) -> type[Synthesizer]:
    """Return the class registered under ``name``; raise ConfigError listing the known names."""
    _load_builtins()
    if name == "auto":
        raise ConfigError(
            "'auto' chooses a synthesizer from the data: "
            "choice = synthset.choose_synthesizer(data), then "
            "make_synthesizer(choice.name, **choice.params) (choice.reason says why)"
        )
    if name not in _REGISTRY:
        _load_plugins()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown synthesizer {name!r}; available: {known}")
    return _REGISTRY[name]


def list_synthesizers(modality: str | None = None) -> list[str]:
    """Names of the registered synthesizers, optionally only those of one modality."""
    _load_builtins()
    _load_plugins()
    return sorted(n for n, c in _REGISTRY.items() if modality is None or c.modality == modality)


def make_synthesizer(name: str, **params: Any) -> Synthesizer:
    """Build a synthesizer by registry name; ``params`` are its hyperparameters."""
    cls = get_synthesizer_class(name)
    valid = cls._param_names()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"{name} has no parameter(s) {', '.join(unknown)}; valid: {', '.join(valid)}"
        )
    return cls(**params)
