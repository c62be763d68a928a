"""Image synthesizers on a GPU: training and sampling images/s in fp32, bf16, and bf16 +
torch.compile (issue 4's GPU check). Not part of CI.

Reproduce (on a CUDA machine, from the repository root)::

    PYTHONPATH=src python benchmarks/images_gpu.py --out benchmarks/results/images_gpu.json

Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian package
dataset-fashion-mnist) when present, else from --idx-dir. Training images/s counts real images
seen by the discriminator (steps × batch) over the epochs after the first, so the first epoch
absorbs CUDA start-up and torch.compile's compilation; compile time is reported separately.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from synthset import make_synthesizer
from synthset.data.images import Images

CONFIGS = {
    "dcgan": dict(batch_size=128),
    "dcgan_b512": dict(batch_size=512),
    "cgan": dict(batch_size=128),
    "wgan_gp": dict(batch_size=128, n_critic=5),
    "stylegan": dict(batch_size=64),
    "vae": dict(batch_size=128),
}
MODES = {"fp32": dict(amp="off"), "bf16": dict(amp="bf16"), "bf16+compile": dict(amp="bf16")}


def read_idx(folder: Path, split: str = "train") -> Images:
    with gzip.open(folder / f"{split}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(folder / f"{split}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return Images.from_arrays(x, labels=y)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(name: str, params: dict, mode: str, data: Images, epochs: int, device: str) -> dict:
    model = name.split("_b")[0]
    compile_ = mode.endswith("compile")
    synth = make_synthesizer(
        model,
        epochs=epochs,
        **params,
        **MODES[mode],
        compile=compile_,
        device=device,
        random_state=0,
    )
    sync(device)
    t0 = time.perf_counter()
    synth.fit(data)
    sync(device)
    fit_s = time.perf_counter() - t0
    hist = synth.history_
    later = hist[1:] if len(hist) > 1 else hist
    n_critic = params.get("n_critic", 1)
    imgs = sum(h["steps"] for h in later) * synth.batch_size_ * n_critic
    secs = sum(h["seconds"] for h in later)
    synth.sample(1_000, seed=0)  # warm-up
    sync(device)
    t1 = time.perf_counter()
    n = 50_000 if device.startswith("cuda") else 2_000
    synth.sample(n, seed=1)
    sync(device)
    sample_s = time.perf_counter() - t1
    return {
        "model": name,
        "mode": mode,
        "batch_size": params["batch_size"],
        "train_images_per_s": imgs / secs,
        "first_epoch_s": hist[0]["seconds"],
        "later_epoch_s": secs / len(later),
        "fit_s": fit_s,
        "sample_images_per_s": n / sample_s,
        "final_losses": {k: v for k, v in hist[-1].items() if k.startswith("loss")},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idx-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--models", default=",".join(CONFIGS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--n-images", type=int, default=20_000, help="train images used")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/images_gpu.json"))
    args = ap.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this benchmark measures GPU throughput")
    torch.backends.cudnn.benchmark = True
    data = read_idx(args.idx_dir)[: args.n_images]
    results = []
    for name in args.models.split(","):
        for mode in args.modes.split(","):
            try:
                r = measure(name, CONFIGS[name], mode, data, args.epochs, args.device)
            except Exception as exc:  # record and go on: one failing mode must not lose the rest
                traceback.print_exc(limit=-8)
                r = {"model": name, "mode": mode, "error": f"{type(exc).__name__}: {exc}"}
            results.append(r)
            print(json.dumps(r), flush=True)
    meta = {
        "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "dataset": f"Fashion-MNIST train, first {len(data)} images (28×28 padded to 32)",
        "epochs": args.epochs,
        "command": "PYTHONPATH=src python benchmarks/images_gpu.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
