"""The artifact folder format: JSON + safetensors, never pickle.

::

    runs/x/config.json          {"synthesizer", "format", "synthset_version", "params", "checksums"}
    runs/x/spec.json            the data spec
    runs/x/encoders.json        fitted encoder + model-shape state (JSON values)
    runs/x/encoders.safetensors arrays of the encoders
    runs/x/model.safetensors    network weights
    runs/x/history.json         losses and timings per epoch

``config.json`` records a SHA-256 of every other file, so a corrupt or edited artifact is refused
with a clear error instead of producing silently different samples.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load_file, save_file

from synthset.errors import ArtifactError, VersionMismatchWarning
from synthset.utils import atomic_path

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

FORMAT = 1
FILES = ("spec.json", "encoders.json", "encoders.safetensors", "model.safetensors", "history.json")


def _version() -> str:
    from synthset import __version__

    return __version__


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, tuple):
        return list(o)
    from synthset.data.spec import TableSpec

    if isinstance(o, TableSpec):  # e.g. dp={"public_metadata": spec}: kept as a column dict
        from synthset.privacy.dp import public_metadata_dict

        return public_metadata_dict(o)
    if hasattr(o, "to_dict"):  # e.g. a DPConfig
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_synthesizer(synth: Synthesizer, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``synth`` to the folder ``path`` (atomically: a temp folder renamed at the end)."""
    path = Path(path)
    state, tensors = synth._get_state()
    enc = {k[len("encoder.") :]: v for k, v in tensors.items() if k.startswith("encoder.")}
    model = {k: v for k, v in tensors.items() if not k.startswith("encoder.")}
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.mkdir(parents=True)
        (tmp / "spec.json").write_text(json.dumps(synth.spec_.to_dict(), indent=2))
        (tmp / "encoders.json").write_text(json.dumps(state, indent=1, default=_json_default))
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in enc.items()},
            str(tmp / "encoders.safetensors"),
        )
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in model.items()},
            str(tmp / "model.safetensors"),
        )
        (tmp / "history.json").write_text(
            json.dumps(getattr(synth, "history_", []), default=_json_default)
        )
        config = {
            "synthesizer": synth.name,
            "format": FORMAT,
            "synthset_version": _version(),
            "params": {
                k: (None if k in synth._transient_params else v)
                for k, v in synth.get_params().items()
            },
            "checksums": {f: _sha256(tmp / f) for f in FILES},
        }
        if getattr(synth, "privacy_", None):  # the (ε, δ) spent, where an auditor looks first
            config["privacy"] = synth.privacy_
        (tmp / "config.json").write_text(json.dumps(config, indent=2, default=_json_default))
    return path


def read_config(path: str | Path) -> dict[str, Any]:
    """Read and check ``config.json`` of an artifact folder."""
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"no artifact at {path}; train one with `synthset fit … --out {path}`")
    if not path.is_dir():
        raise ArtifactError(f"{path} is a file; an artifact is a folder written by save()")
    cfg_path = path / "config.json"
    if not cfg_path.exists():
        raise ArtifactError(f"{path} has no config.json; it is not a synthset artifact")
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{cfg_path} is corrupt ({exc}); re-create the artifact") from None
    if not isinstance(config, dict) or "format" not in config or "synthesizer" not in config:
        raise ArtifactError(f"{cfg_path} lacks 'format' or 'synthesizer'; it is not an artifact")
    fmt = config["format"]
    if not isinstance(fmt, int) or fmt < 1:
        raise ArtifactError(f"{cfg_path} has an invalid format {fmt!r}")
    if fmt > FORMAT:
        raise ArtifactError(
            f"{path} was written in artifact format {fmt} by synthset "
            f"{config.get('synthset_version', '?')}; this synthset ({_version()}) reads format "
            f"≤ {FORMAT}. Upgrade synthset to load it"
        )
    return config


def load_synthesizer(path: str | Path) -> Synthesizer:
    """Load an artifact folder; never unpickles; refuses tampered or corrupt files."""
    from synthset.registry import get_synthesizer_class

    path = Path(path)
    config = read_config(path)
    checksums = config.get("checksums", {})
    for f in FILES:
        fp = path / f
        if not fp.exists():
            raise ArtifactError(f"{path} is incomplete: {f} is missing")
        if f in checksums and _sha256(fp) != checksums[f]:
            raise ArtifactError(
                f"{fp} does not match the checksum recorded when it was saved; the artifact "
                "was modified or corrupted. Re-create it with fit/save"
            )
    if config.get("synthset_version") != _version():
        warnings.warn(
            f"{path} was saved by synthset {config.get('synthset_version')}, this is "
            f"{_version()}; samples may differ",
            VersionMismatchWarning,
            stacklevel=2,
        )
    cls = get_synthesizer_class(config["synthesizer"])
    try:
        synth = cls(**config.get("params", {}))
        spec_dict = json.loads((path / "spec.json").read_text())
        synth.spec_ = spec_from_dict(spec_dict)
        state = json.loads((path / "encoders.json").read_text())
        tensors: dict[str, torch.Tensor] = {
            f"encoder.{k}": v for k, v in load_file(str(path / "encoders.safetensors")).items()
        }
        tensors.update(load_file(str(path / "model.safetensors")))
        synth.history_ = json.loads((path / "history.json").read_text())
        synth._set_state(state, tensors)
    except ArtifactError:
        raise
    except Exception as exc:  # corrupt content: report it as an artifact problem
        raise ArtifactError(f"{path} could not be loaded: {type(exc).__name__}: {exc}") from exc
    return synth


def spec_from_dict(d: dict[str, Any]) -> Any:
    """Rebuild a spec from its JSON form, dispatching on its ``modality``."""
    from synthset.data.audio import AudioSpec
    from synthset.data.images import ImageSpec
    from synthset.data.spec import TableSpec
    from synthset.data.texts import TextSpec

    kinds = {"table": TableSpec, "image": ImageSpec, "text": TextSpec, "audio": AudioSpec}
    modality = d.get("modality") if isinstance(d, dict) else None
    if modality not in kinds:
        raise ArtifactError(f"spec.json has unknown modality {modality!r}")
    return kinds[modality].from_dict(d)


def load(path: str | Path) -> Synthesizer:
    """Load any saved synthesizer: ``synth = synthset.load("runs/x")``."""
    return load_synthesizer(path)
