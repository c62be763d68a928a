"""The synthesizer registry: names, errors, and plugins through entry points."""

from __future__ import annotations

import pytest

from synthset import list_synthesizers, make_synthesizer, registry
from synthset.errors import ConfigError
from synthset.synthesizers import GaussianCopula


def test_builtin_names():
    assert {"ctgan", "tvae", "gaussian_copula"} <= set(list_synthesizers("table"))


def test_unknown_name_lists_available():
    with pytest.raises(ConfigError, match="available: .*ctgan"):
        make_synthesizer("nope")


def test_unknown_parameter_names_valid_ones():
    with pytest.raises(ConfigError, match="epoch.*valid: .*epochs"):
        make_synthesizer("ctgan", epoch=3)


def test_duplicate_registration_raises():
    with pytest.raises(ConfigError, match="already registered"):

        @registry.register("ctgan")
        class Other(GaussianCopula):
            pass


def test_entry_point_plugin(monkeypatch):
    class Plugin(GaussianCopula):
        pass

    class EP:
        name = "my_plugin"

        def load(self):
            return Plugin

    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: [EP()])
    try:
        synth = make_synthesizer("my_plugin", random_state=0)
        assert isinstance(synth, Plugin) and synth.name == "my_plugin"
    finally:
        registry._REGISTRY.pop("my_plugin", None)


def test_get_params_round_trip():
    synth = make_synthesizer("ctgan", epochs=7, random_state=3)
    params = synth.get_params()
    assert params["epochs"] == 7 and params["random_state"] == 3
    again = make_synthesizer("ctgan", **params)
    assert again.get_params() == params
    assert "epochs=7" in repr(synth)
