"""The artifact folder: complete, checksummed, versioned, and never unpickled."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from synthset import load, make_synthesizer
from synthset.artifacts import FORMAT
from synthset.errors import ArtifactError, SynthsetError, VersionMismatchWarning
from tests.conftest import TINY_PARAMS, make_tiny_frame


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("a") / "run"
    synth = make_synthesizer("ctgan", **TINY_PARAMS["ctgan"]).fit(make_tiny_frame())
    synth.save(path)
    return synth, path


def _copy(path, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(path, dst)
    return dst


def test_folder_layout(saved):
    _, path = saved
    names = sorted(p.name for p in path.iterdir())
    assert names == sorted(
        [
            "config.json",
            "spec.json",
            "encoders.json",
            "encoders.safetensors",
            "model.safetensors",
            "history.json",
        ]
    )
    config = json.loads((path / "config.json").read_text())
    assert config["synthesizer"] == "ctgan" and config["format"] == FORMAT
    assert config["params"]["epochs"] == 1
    assert not list(path.glob("*.pt")) and not list(path.glob("*.pkl"))


def test_refuses_to_overwrite(saved):
    synth, path = saved
    with pytest.raises(SynthsetError, match="overwrite"):
        synth.save(path)
    synth.save(path, overwrite=True)
    assert load(path).sample(5, seed=0).data.equals(synth.sample(5, seed=0).data)


def test_tampered_weights_are_refused(saved, tmp_path):
    _, path = saved
    dst = _copy(path, tmp_path)
    raw = bytearray((dst / "model.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (dst / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="checksum"):
        load(dst)


def test_edited_spec_is_refused(saved, tmp_path):
    _, path = saved
    dst = _copy(path, tmp_path)
    (dst / "spec.json").write_text((dst / "spec.json").read_text().replace("red", "RED"))
    with pytest.raises(ArtifactError, match="spec.json"):
        load(dst)


def test_newer_format_is_refused(saved, tmp_path):
    _, path = saved
    dst = _copy(path, tmp_path)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["format"] = FORMAT + 1
    (dst / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError, match="Upgrade synthset"):
        load(dst)


@pytest.mark.parametrize("damage", ["garbage", "missing_file", "no_config", "not_a_dir"])
def test_corrupt_artifacts_raise_artifact_error(saved, tmp_path, damage):
    _, path = saved
    dst = _copy(path, tmp_path)
    if damage == "garbage":
        (dst / "config.json").write_text("{not json")
    elif damage == "missing_file":
        (dst / "encoders.json").unlink()
    elif damage == "no_config":
        (dst / "config.json").unlink()
    else:
        dst = dst / "config.json"
    with pytest.raises(ArtifactError):
        load(dst)


def test_missing_folder(tmp_path):
    with pytest.raises(ArtifactError, match="no artifact"):
        load(tmp_path / "nothing")


def test_version_mismatch_warns(saved, tmp_path):
    synth, path = saved
    dst = _copy(path, tmp_path)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["synthset_version"] = "0.0.1"
    (dst / "config.json").write_text(json.dumps(cfg))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        again = load(dst)
    assert any(issubclass(x.category, VersionMismatchWarning) for x in w)
    pd.testing.assert_frame_equal(again.sample(8, seed=1).data, synth.sample(8, seed=1).data)


def test_callbacks_are_not_saved(tmp_path):
    from synthset.training import History

    hist = History()
    params = dict(TINY_PARAMS["tvae"], callbacks=[hist])
    synth = make_synthesizer("tvae", **params).fit(make_tiny_frame())
    assert len(hist.records) == 1
    synth.save(tmp_path / "run")
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["params"]["callbacks"] is None
    assert load(tmp_path / "run").callbacks is None
