"""synthset's image synthesizers against a plain-PyTorch DCGAN and pythae's VAE, side by side.

For each model, in one process, one after the other, on one CPU thread and a fixed wall-clock
training budget (``--budget`` seconds, ``max_seconds=`` for synthset):

* training throughput: images/s = steps × batch (× n_critic for wgan_gp: real images seen) /
  training seconds, from ``history_`` (wall clock), and the same per second of process CPU time
  (what the run cost, less sensitive to other processes on a shared machine);
* sampling throughput: ``--n-sample`` images end to end (uint8 pixels out);
* FID / KID / precision / recall / density / coverage on two extractors (EfficientNet-Lite0
  ImageNet features at ``--imagenet-resolution``, and the domain classifier trained on the real
  training images: "domain-FID"), with ``--n-eval`` samples against as many real test images;
  the real-vs-real floor (training images vs test images) is measured the same way;
* an 8×8 sample grid (a row per class for conditional models) as PNG.

Side by side:

* ``reference``: the DCGAN loop of the PyTorch tutorial, written as a user would (TensorDataset +
  DataLoader(shuffle=True, batch_size=128), nn.Sequential of the tutorial's layers at ngf = ndf =
  64 on a 32×32 canvas with 28×28 images padded by -1, BCELoss after a Sigmoid, Adam(2e-4,
  β=(0.5, 0.999)), fp32), the same budget, sampled as the tutorial does (batch-norm in training
  mode) and cropped back to 28×28;
* ``pythae``: pythae's VAE (its convolutional MNIST encoder / decoder, and its default MLP) at
  ``--pythae-epochs`` epochs, next to synthset's ``vae`` at the same epochs (no time budget).
  pythae lives in its own venv (``--pythae-python``); it runs in a subprocess of this script
  (``images_vs_reference.py pythae-worker ...``) that saves its samples to .npy, and they are
  scored here.

With ``--concurrent`` the reference trains in a subprocess (``reference-worker``) at the same
moment as synthset's dcgan, so that on a shared machine both see the same load; use it whenever
other processes may run (put ``dcgan`` before ``reference`` in ``--models``).

    # dcgan vs the tutorial loop at an equal budget and equal load (benchmarks/results/...)
    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_vs_reference.py \\
        --dataset fashion_mnist --budget 600 --models dcgan,reference --no-pythae --concurrent \\
        --name images_vs_reference_fashion_mnist_concurrent_600s
    # every model, 120 s each (300 s for dcgan and the reference)
    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_vs_reference.py \\
        --dataset fashion_mnist --budget 120 --model-budget dcgan=300 \\
        --model-budget reference=300 --no-pythae
    # synthset's vae vs pythae's VAE (conv and MLP), 1 epoch each
    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_vs_reference.py \\
        --dataset fashion_mnist --models "" --pythae-epochs 1 \\
        --name images_vs_reference_fashion_mnist_pythae
    # a quick check of the whole pipeline (a couple of minutes)
    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_vs_reference.py \\
        --dataset mnist --budget 10 --models dcgan,reference --n-eval 300 --n-sample 1000 \\
        --imagenet-resolution 64 --concurrent --pythae-nets mlp --out /tmp/bench --name smoke

The JSON and Markdown are rewritten after every model, so an interrupted run keeps what it
finished. This file imports only numpy and torch at module level so that the pythae worker runs
in pythae's venv without synthset.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported
os.environ.setdefault("SYNTHSET_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _images_common import cpu_name  # noqa: E402
from _images_common import error_record as _error  # noqa: E402
from _images_common import load_avg as _load_avg  # noqa: E402
from _images_common import save_png as _save_png  # noqa: E402
from _images_common import write_atomic as _write_atomic  # noqa: E402

DEFAULT_MODELS = "dcgan,reference,wgan_gp,cgan,stylegan,vae,beta_vae,cvae"
REFERENCE = "reference"
CANVAS = 32
PYTHAE_VENV_PYTHON = "/work/venv-pythae/bin/python"
NETS = ("conv", "mlp")


# --- helpers ---------------------------------------------------------------------------------


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """N×C×H×W floats in [-1, 1] → uint8 N×H×W×C (as ``Images.from_tensor`` converts)."""
    u8 = ((x.detach().float().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    return u8.permute(0, 2, 3, 1).contiguous().numpy()


# --- the plain-PyTorch DCGAN (the tutorial's loop, as a user writes it) ----------------------
def reference_networks(nz: int = 100, ngf: int = 64, ndf: int = 64, nc: int = 1):
    """The PyTorch DCGAN tutorial's generator and discriminator, at a 32×32 canvas."""
    netG = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),  # 4×4
        nn.BatchNorm2d(ngf * 4),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # 8×8
        nn.BatchNorm2d(ngf * 2),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # 16×16
        nn.BatchNorm2d(ngf),
        nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),  # 32×32
        nn.Tanh(),
    )
    netD = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),  # 16×16
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),  # 8×8
        nn.BatchNorm2d(ndf * 2),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),  # 4×4
        nn.BatchNorm2d(ndf * 4),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
        nn.Sigmoid(),
    )

    def weights_init(m: nn.Module) -> None:  # the tutorial's initialisation
        name = m.__class__.__name__
        if name.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    netG.apply(weights_init)
    netD.apply(weights_init)
    return netG, netD


def train_reference(pixels: np.ndarray, budget: float, seed: int) -> tuple[nn.Module, dict]:
    """Train the tutorial DCGAN on uint8 N×H×W×1 images for ``budget`` seconds."""
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)  # what the tutorial does: the global seed
    x = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    h, w = x.shape[-2:]
    top, left = (CANVAS - h) // 2, (CANVAS - w) // 2
    x = F.pad(x, (left, CANVAS - w - left, top, CANVAS - h - top), value=-1.0)
    nz = 100
    netG, netD = reference_networks(nz=nz, nc=x.shape[1])
    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = DataLoader(TensorDataset(x), batch_size=128, shuffle=True)
    real_label, fake_label = 1.0, 0.0
    images = steps = epochs = 0
    t0, c0 = time.perf_counter(), time.process_time()
    done = False
    while not done:
        epochs += 1
        for (real,) in loader:
            b = real.size(0)
            # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            label = torch.full((b,), real_label)
            errD_real = criterion(netD(real).view(-1), label)
            errD_real.backward()
            noise = torch.randn(b, nz, 1, 1)
            fake = netG(noise)
            label.fill_(fake_label)
            errD_fake = criterion(netD(fake.detach()).view(-1), label)
            errD_fake.backward()
            optD.step()
            # (2) update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            errG = criterion(netD(fake).view(-1), label)
            errG.backward()
            optG.step()
            images += b
            steps += 1
            if time.perf_counter() - t0 >= budget:
                done = True
                break
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    info = {
        "steps": steps,
        "images": images,
        "epochs": images / len(x),
        "epochs_started": epochs,
        "train_seconds": wall,
        "train_cpu_seconds": cpu,
        "last_losses": {
            "loss_d": (errD_real + errD_fake).detach().item(),
            "loss_g": errG.detach().item(),
        },
    }
    return netG, info


@torch.no_grad()
def sample_reference(netG: nn.Module, n: int, height: int, width: int, seed: int) -> np.ndarray:
    """``n`` uint8 images from the tutorial generator (training-mode batch norm, as the
    tutorial samples), in batches of 1,024, cropped to ``height`` × ``width``."""
    gen = torch.Generator().manual_seed(seed)
    top, left = (CANVAS - height) // 2, (CANVAS - width) // 2
    out = []
    for i in range(0, n, 1_024):
        m = min(1_024, n - i)
        fake = netG(torch.randn(m, 100, 1, 1, generator=gen))
        out.append(_to_uint8(fake[..., top : top + height, left : left + width]))
    return np.concatenate(out)


# --- pythae (runs in pythae's venv) ----------------------------------------------------------
def pythae_worker(argv: list[str]) -> None:
    """Train pythae's VAE on uint8 images from a .npy and save ``--n-sample`` samples (uint8)."""
    p = argparse.ArgumentParser(prog="images_vs_reference.py pythae-worker")
    p.add_argument("--data", required=True)
    p.add_argument("--net", choices=NETS, default="conv")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--n-sample", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", required=True)
    p.add_argument("--samples", required=True)
    p.add_argument("--info", required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    from importlib import metadata

    from pythae.models import VAE, VAEConfig
    from pythae.pipelines import TrainingPipeline
    from pythae.samplers import NormalSampler
    from pythae.trainers import BaseTrainerConfig

    u8 = np.load(a.data)  # N×H×W×C
    x = np.ascontiguousarray(u8.transpose(0, 3, 1, 2)).astype(np.float32) / 255.0
    cfg = VAEConfig(
        input_dim=tuple(x.shape[1:]), latent_dim=a.latent_dim, reconstruction_loss="bce"
    )
    torch.manual_seed(a.seed)
    if a.net == "conv":
        from pythae.models.nn.benchmarks.mnist import Decoder_Conv_AE_MNIST, Encoder_Conv_VAE_MNIST

        model = VAE(cfg, encoder=Encoder_Conv_VAE_MNIST(cfg), decoder=Decoder_Conv_AE_MNIST(cfg))
    else:
        model = VAE(cfg)  # pythae's default MLP encoder / decoder
    train_cfg = BaseTrainerConfig(
        output_dir=a.workdir,
        num_epochs=a.epochs,
        per_device_train_batch_size=a.batch_size,
        learning_rate=a.lr,
        seed=a.seed,
        no_cuda=True,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    TrainingPipeline(training_config=train_cfg, model=model)(train_data=x)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    model.eval()
    torch.manual_seed(a.seed + 1)
    t1 = time.perf_counter()
    gen = NormalSampler(model=model).sample(num_samples=a.n_sample, batch_size=1_000)
    samples = (gen.detach().float().clamp(0, 1) * 255.0).round().to(torch.uint8)
    samples = samples.permute(0, 2, 3, 1).contiguous().numpy()
    sample_s = time.perf_counter() - t1
    np.save(a.samples, samples)
    info = {
        "net": a.net,
        "epochs": a.epochs,
        "batch_size": a.batch_size,
        "lr": a.lr,
        "latent_dim": a.latent_dim,
        "reconstruction_loss": "bce",
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "train_images": int(len(x) * a.epochs),
        "train_seconds": wall,
        "train_cpu_seconds": cpu,
        "sample_seconds": sample_s,
        "n_sample": a.n_sample,
        "versions": {k: metadata.version(k) for k in ("pythae", "torch", "numpy")},
        "threads": torch.get_num_threads(),
    }
    Path(a.info).write_text(json.dumps(info, indent=2), encoding="utf-8")


# --- evaluation ------------------------------------------------------------------------------
class Scorer:
    """FID / KID / PRDC of image sets against fixed real test images, on both extractors."""

    def __init__(self, train, test, n_eval: int, resolution: int, seed: int):
        from synthset.evaluation.images import DomainClassifierFeatures, EfficientNetLite0Features

        self.n_eval = min(n_eval, len(test))
        self.seed = seed
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        self.domain = DomainClassifierFeatures(seed=seed).fit(train)
        self.domain_info = {
            "task": self.domain.task_,
            "held_out_accuracy": self.domain.held_out_accuracy_,
            "cache": self.domain.cache_status_,
            "train_images": self.domain.info_.get("train_images"),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        self.imagenet = EfficientNetLite0Features(resolution=resolution)
        self.extractors = {"domain": self.domain, "imagenet": self.imagenet}
        test_px = test.pixels[np.sort(rng.permutation(len(test))[: self.n_eval])]
        self.real = self.features(test_px)
        train_px = train.pixels[np.sort(rng.permutation(len(train))[: self.n_eval])]
        self.floor = self.score(train_px)

    def features(self, pixels: np.ndarray) -> dict[str, np.ndarray]:
        return {name: ext(pixels) for name, ext in self.extractors.items()}

    def score(self, pixels: np.ndarray) -> dict[str, Any]:
        from synthset.evaluation.images import fid, kid, prdc

        t0 = time.perf_counter()
        feats = self.features(pixels[: self.n_eval])
        out: dict[str, Any] = {"n_images": int(min(len(pixels), self.n_eval))}
        for name, f in feats.items():
            real = self.real[name]
            k_mean, k_std = kid(real, f, seed=self.seed)
            out[name] = {
                "fid": fid(real, f),
                "kid": k_mean,
                "kid_std": k_std,
                **prdc(real, f, k=5),
            }
        out["seconds"] = round(time.perf_counter() - t0, 1)
        return out


# --- the benchmark ---------------------------------------------------------------------------
def load_data(dataset: str, seed: int):
    from synthset import datasets

    if dataset == "fashion_mnist":
        return (
            datasets.load("fashion_mnist", split="train"),
            datasets.load("fashion_mnist", split="test"),
            "the official train (60,000) / test (10,000) splits",
        )
    full = datasets.load(dataset)
    train, test = full.split(0.8, seed=seed)
    return train, test, f"a stratified 80/20 split (seed {seed}) of the {len(full):,} images"


def _grid_path(out: Path, name: str, model: str) -> Path:
    return out / f"{name}_{model.replace('@', '_')}.png"


def run_synthset(
    name: str,
    params: dict,
    train,
    args,
    out: Path,
    stem: str,
    scorer,
    concurrent=None,
    key: str | None = None,
) -> dict:
    from synthset import make_synthesizer

    entry: dict[str, Any] = {"library": "synthset", "model": name.split("@")[0], "params": params}
    synth = make_synthesizer(name.split("@")[0], **params)
    load0 = _load_avg()
    if concurrent is not None:
        concurrent.start()
    t0, c0 = time.perf_counter(), time.process_time()
    synth.fit(train)
    fit_wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    hist = synth.history_
    steps = sum(int(h["steps"]) for h in hist)
    seconds = sum(float(h["seconds"]) for h in hist)
    per_step = synth.batch_size * int(getattr(synth, "n_critic", 1))
    entry.update(
        steps=steps,
        images=steps * per_step,
        epochs=steps * per_step / len(train),
        train_seconds=seconds,
        fit_seconds=fit_wall,
        train_cpu_seconds=cpu,
        train_images_per_s=steps * per_step / seconds,
        train_images_per_cpu_s=steps * per_step / cpu,
        diffaugment=getattr(synth, "diffaugment_used_", None),
        last_losses={k: v for k, v in hist[-1].items() if k not in ("epoch", "steps", "seconds")},
        load_avg_before=load0,
    )
    t1 = time.perf_counter()
    fake = synth.sample(args.n_sample, seed=args.seed + 1)
    entry["sample_seconds"] = time.perf_counter() - t1
    entry["sample_images_per_s"] = args.n_sample / entry["sample_seconds"]
    entry["metrics"] = scorer.score(fake.pixels)
    grid = synth.sample_grid(8, seed=args.seed + 2)
    path = _grid_path(out, stem, key or name)
    _save_png(grid, path)
    entry["grid"] = str(path)
    return entry


def reference_samples(
    pixels: np.ndarray, budget: float, seed: int, n_sample: int, n_eval: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Train the tutorial DCGAN, then sample it the tutorial's way (training-mode batch norm)
    and, for information, with batch norm in eval mode (running statistics)."""
    netG, info = train_reference(pixels, budget, seed)
    h, w = pixels.shape[1:3]
    t1 = time.perf_counter()
    fake = sample_reference(netG, n_sample, h, w, seed + 1)
    info["sample_seconds"] = time.perf_counter() - t1
    netG.eval()
    fake_eval_bn = sample_reference(netG, n_eval, h, w, seed + 1)
    return fake, fake_eval_bn, info


def reference_worker(argv: list[str]) -> None:
    """Train and sample the reference in its own process, started at the same moment as
    synthset's dcgan in the main process so that both see the same machine load."""
    p = argparse.ArgumentParser(prog="images_vs_reference.py reference-worker")
    for name in ("--data", "--samples", "--samples-eval-bn", "--info", "--ready", "--go"):
        p.add_argument(name, required=True)
    p.add_argument("--budget", type=float, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-sample", type=int, default=10_000)
    p.add_argument("--n-eval", type=int, default=5_000)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    pixels = np.load(a.data)
    Path(a.ready).write_text("ready", encoding="utf-8")
    while not Path(a.go).exists():
        time.sleep(0.01)
    fake, fake_eval_bn, info = reference_samples(pixels, a.budget, a.seed, a.n_sample, a.n_eval)
    info["threads"] = torch.get_num_threads()
    np.save(a.samples, fake)
    np.save(a.samples_eval_bn, fake_eval_bn)
    Path(a.info).write_text(json.dumps(info, indent=2), encoding="utf-8")


class ConcurrentReference:
    """The reference trained in a subprocess while synthset's dcgan trains in this one."""

    def __init__(self, train, args, budget: float):
        self.tmp = tempfile.TemporaryDirectory(prefix="reference-")
        d = Path(self.tmp.name)
        self.paths = {
            k: d / f"{k}" for k in ("samples.npy", "eval_bn.npy", "info.json", "ready", "go")
        }
        np.save(d / "train.npy", train.pixels)
        cmd = [
            sys.executable, str(Path(__file__).resolve()), "reference-worker",
            "--data", str(d / "train.npy"), "--samples", str(self.paths["samples.npy"]),
            "--samples-eval-bn", str(self.paths["eval_bn.npy"]),
            "--info", str(self.paths["info.json"]), "--ready", str(self.paths["ready"]),
            "--go", str(self.paths["go"]), "--budget", str(budget), "--seed", str(args.seed),
            "--n-sample", str(args.n_sample), "--n-eval", str(args.n_eval),
        ]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.load0 = _load_avg()
        self.proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        while not self.paths["ready"].exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"reference worker failed: {self.proc.stderr.read()[-3000:]}")
            time.sleep(0.01)

    def start(self) -> None:
        self.paths["go"].write_text("go", encoding="utf-8")

    def result(self) -> tuple[np.ndarray, np.ndarray, dict]:
        _, err = self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"reference worker failed ({self.proc.returncode}): {err[-3000:]}")
        fake = np.load(self.paths["samples.npy"])
        fake_eval_bn = np.load(self.paths["eval_bn.npy"])
        info = json.loads(self.paths["info.json"].read_text(encoding="utf-8"))
        self.tmp.cleanup()
        return fake, fake_eval_bn, info


def run_reference(
    train, args, budget: float, out: Path, stem: str, scorer, done: tuple | None = None
) -> dict:
    """Score the reference; ``done`` = (samples, eval-mode samples, info) from a concurrent
    worker, else it is trained here."""
    from synthset.data.images import image_grid

    load0 = _load_avg()
    if done is None:
        fake, fake_eval_bn, info = reference_samples(
            train.pixels, budget, args.seed, args.n_sample, args.n_eval
        )
        info["concurrent_with_dcgan"] = False
    else:
        fake, fake_eval_bn, info = done
        info["concurrent_with_dcgan"] = True
    entry: dict[str, Any] = {"library": "plain PyTorch (DCGAN tutorial loop)", "model": "dcgan"}
    entry.update(info)
    entry["train_images_per_s"] = info["images"] / info["train_seconds"]
    entry["train_images_per_cpu_s"] = info["images"] / info["train_cpu_seconds"]
    entry["sample_images_per_s"] = args.n_sample / info["sample_seconds"]
    entry["load_avg_before"] = load0
    entry["metrics"] = scorer.score(fake)
    entry["metrics_eval_mode_bn"] = scorer.score(fake_eval_bn)
    path = _grid_path(out, stem, REFERENCE)
    _save_png(image_grid(fake[:64], nrow=8), path)
    entry["grid"] = str(path)
    return entry


def run_pythae(net: str, train, args, out: Path, stem: str, scorer) -> dict:
    from synthset.data.images import image_grid

    entry: dict[str, Any] = {"library": "pythae", "model": f"VAE ({net})"}
    with tempfile.TemporaryDirectory(prefix="pythae-") as tmp:
        data = Path(tmp) / "train.npy"
        np.save(data, train.pixels)
        cmd = [
            args.pythae_python, str(Path(__file__).resolve()), "pythae-worker",
            "--data", str(data), "--net", net, "--epochs", str(args.pythae_epochs),
            "--batch-size", "128", "--lr", "1e-3", "--latent-dim", "32",
            "--n-sample", str(args.n_sample), "--seed", str(args.seed),
            "--workdir", str(Path(tmp) / "run"), "--samples", str(Path(tmp) / "samples.npy"),
            "--info", str(Path(tmp) / "info.json"),
        ]  # fmt: skip
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1"}
        env.pop("PYTHONPATH", None)
        entry["command"] = shlex.join(cmd)
        entry["load_avg_before"] = _load_avg()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp)
        if proc.returncode != 0:
            raise RuntimeError(f"pythae worker failed ({proc.returncode}): {proc.stderr[-3000:]}")
        info = json.loads((Path(tmp) / "info.json").read_text(encoding="utf-8"))
        fake = np.load(Path(tmp) / "samples.npy")
    entry.update(info)
    entry["images"] = info["train_images"]
    entry["train_images_per_s"] = info["train_images"] / info["train_seconds"]
    entry["train_images_per_cpu_s"] = info["train_images"] / info["train_cpu_seconds"]
    entry["sample_images_per_s"] = info["n_sample"] / info["sample_seconds"]
    entry["metrics"] = scorer.score(fake)
    path = _grid_path(out, stem, f"pythae_{net}")
    _save_png(image_grid(fake[:64], nrow=8), path)
    entry["grid"] = str(path)
    return entry


def ratios(runs: dict[str, dict]) -> dict[str, dict]:
    """synthset / reference: throughput ratios (higher = synthset faster), FID ratios (lower =
    synthset closer to the real images)."""
    out = {}
    pairs = [("dcgan", REFERENCE)]
    pairs += [(k, p) for k in runs if k.startswith("vae@") for p in runs if p.startswith("pythae")]
    for mine, ref in pairs:
        a, b = runs.get(mine), runs.get(ref)
        if not a or not b or "metrics" not in a or "metrics" not in b:
            continue
        r: dict[str, Any] = {}
        for k in ("train_images_per_s", "train_images_per_cpu_s", "sample_images_per_s"):
            r[k] = a[k] / b[k]
        for ext in ("domain", "imagenet"):
            r[f"fid_{ext}"] = a["metrics"][ext]["fid"] / b["metrics"][ext]["fid"]
        out[f"{mine} / {ref}"] = r
    return out


def _fmt(v: Any, nd: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:,.{nd}g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def to_markdown(report: dict) -> str:
    a = report["args"]
    lines = [
        f"# Image synthesizers vs references on {a['dataset']}",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"Date {report['date']}; {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"torch {report['versions'].get('torch')}, one thread per model "
        f"(`torch.get_num_threads()` = {report['machine']['threads']}). Load average at the "
        f"start: {report['machine']['load_avg_start']}, at the end: "
        f"{report['machine'].get('load_avg_end')}.",
        "",
        "**Other agents' processes shared the 2 cores during this run**, so absolute wall-clock "
        "numbers are noisy; images per CPU-second and the side-by-side ratios are what counts.",
        "",
        f"Data: {report['data']['split']}; training on {report['data']['train']:,} images. "
        f"Metrics: {report['data']['n_eval']:,} samples against {report['data']['n_eval']:,} "
        "real test images; domain features from the small CNN trained on the training images "
        f"(held-out accuracy {_fmt(report['domain_classifier']['held_out_accuracy'])}), ImageNet "
        f"features from EfficientNet-Lite0 at {a['imagenet_resolution']}×"
        f"{a['imagenet_resolution']}. Budget: {a['budget']} s per model "
        f"{('(' + ', '.join(a['model_budget']) + ')') if a['model_budget'] else ''}.",
        "",
        "| model | library | budget s | epochs | train img/s | train img/CPU-s | sample img/s "
        "| domain FID | domain KID | domain P / R / D / C | ImageNet FID | ImageNet P / R / D / C "
        "| grid |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    floor = report["floor"]
    d, i = floor["domain"], floor["imagenet"]
    lines.append(
        f"| real train vs test (floor) | – | – | – | – | – | – | {_fmt(d['fid'])} | "
        f"{_fmt(d['kid'])} | {_fmt(d['precision'], 2)} / {_fmt(d['recall'], 2)} / "
        f"{_fmt(d['density'], 2)} / {_fmt(d['coverage'], 2)} | {_fmt(i['fid'])} | "
        f"{_fmt(i['precision'], 2)} / {_fmt(i['recall'], 2)} / {_fmt(i['density'], 2)} / "
        f"{_fmt(i['coverage'], 2)} | – |"
    )
    for key, r in report["runs"].items():
        if "error" in r or "skipped" in r:
            why = r.get("skipped") or f"{r['error']['type']}: {r['error']['message'][:200]}"
            lines.append(f"| {key} | {r.get('library', '')} | – | – | – | – | – | {why} |||||")
            continue
        m = r["metrics"]
        d, i = m["domain"], m["imagenet"]
        lines.append(
            f"| {key} | {r['library']} | {_fmt(r.get('budget'))} | {_fmt(r['epochs'])} | "
            f"{_fmt(r['train_images_per_s'])} | {_fmt(r['train_images_per_cpu_s'])} | "
            f"{_fmt(r['sample_images_per_s'])} | {_fmt(d['fid'])} | {_fmt(d['kid'])} | "
            f"{_fmt(d['precision'], 2)} / {_fmt(d['recall'], 2)} / {_fmt(d['density'], 2)} / "
            f"{_fmt(d['coverage'], 2)} | {_fmt(i['fid'])} | {_fmt(i['precision'], 2)} / "
            f"{_fmt(i['recall'], 2)} / {_fmt(i['density'], 2)} / {_fmt(i['coverage'], 2)} | "
            f"`{Path(r['grid']).name}` |"
        )
    ref = report["runs"].get(REFERENCE)
    if ref and ref.get("concurrent_with_dcgan"):
        lines += [
            "",
            "`--concurrent`: the reference trained in a subprocess at the same moment as "
            "synthset's dcgan (each on one thread), so both saw the same machine load.",
        ]
    if ref and "metrics_eval_mode_bn" in ref:
        e = ref["metrics_eval_mode_bn"]
        lines += [
            "",
            f"The reference generator sampled with batch norm in eval mode (running statistics) "
            f"instead of the tutorial's training mode: domain FID {_fmt(e['domain']['fid'])}, "
            f"ImageNet FID {_fmt(e['imagenet']['fid'])}.",
        ]
    if report["ratios"]:
        lines += [
            "",
            "## Ratios (synthset / reference)",
            "",
            "Throughput ratios above 1 mean synthset is faster; FID ratios below 1 mean synthset's "
            "samples are closer to the real test images.",
            "",
            "| pair | train img/s | train img/CPU-s | sample img/s | domain FID | ImageNet FID |",
            "|---|---|---|---|---|---|",
        ]
        for k, r in report["ratios"].items():
            lines.append(
                f"| {k} | {_fmt(r['train_images_per_s'])} | {_fmt(r['train_images_per_cpu_s'])} "
                f"| {_fmt(r['sample_images_per_s'])} | {_fmt(r['fid_domain'])} | "
                f"{_fmt(r['fid_imagenet'])} |"
            )
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=("fashion_mnist", "mnist"), default="fashion_mnist")
    p.add_argument("--budget", type=float, default=120.0, help="training seconds per model")
    p.add_argument(
        "--model-budget",
        action="append",
        default=[],
        metavar="MODEL=SECONDS",
        help="a budget for one model (repeatable), e.g. dcgan=300 reference=300",
    )
    p.add_argument("--models", default=DEFAULT_MODELS, help="comma list; 'reference' = tutorial")
    p.add_argument("--n-eval", type=int, default=5_000)
    p.add_argument("--n-sample", type=int, default=10_000, help="images sampled for timing")
    p.add_argument("--imagenet-resolution", type=int, default=128)
    p.add_argument("--amp", default="auto", choices=("auto", "bf16", "off"))
    p.add_argument("--pythae-epochs", type=int, default=None, help="default: 1 (fashion), 5")
    p.add_argument("--pythae-nets", default="conv,mlp")
    p.add_argument("--pythae-python", default=PYTHAE_VENV_PYTHON)
    p.add_argument("--no-pythae", action="store_true")
    p.add_argument(
        "--concurrent",
        action="store_true",
        help="train the reference in a subprocess at the same time as synthset's dcgan, so that "
        "both see the same load on a shared machine",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--name", default=None, help="file stem (default images_vs_reference_<data>)")
    p.add_argument("--overwrite", action="store_true", help="replace existing results")
    a = p.parse_args(argv)
    if a.pythae_epochs is None:
        a.pythae_epochs = 1 if a.dataset == "fashion_mnist" else 5
    return a


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    import synthset
    from synthset.registry import list_synthesizers

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or f"images_vs_reference_{args.dataset}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    if (json_path.exists() or md_path.exists()) and not args.overwrite:
        sys.exit(f"{json_path} already exists; pass --overwrite to replace it")
    budgets = {}
    for item in args.model_budget:
        k, _, v = item.partition("=")
        budgets[k.strip()] = float(v)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    from importlib import metadata

    versions = {}
    for pkg in ("torch", "numpy"):
        versions[pkg] = metadata.version(pkg)
    versions["synthset"] = synthset.__version__
    cpu = cpu_name()
    report: dict[str, Any] = {
        "command": "OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python "
        + shlex.join(["benchmarks/images_vs_reference.py", *argv]),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "args": vars(args),
        "versions": versions,
        "machine": {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "load_avg_start": _load_avg(),
            "platform": platform.platform(),
        },
        "runs": {},
        "ratios": {},
        "notes": [],
    }

    def save() -> None:
        report["ratios"] = ratios(report["runs"])
        report["machine"]["load_avg_end"] = _load_avg()
        _write_atomic(json_path, json.dumps(report, indent=2, default=str))
        _write_atomic(md_path, to_markdown(report))

    train, test, split = load_data(args.dataset, args.seed)
    print(f"[data] {len(train)} train / {len(test)} test", file=sys.stderr, flush=True)
    scorer = Scorer(train, test, args.n_eval, args.imagenet_resolution, args.seed)
    report["data"] = {
        "split": split,
        "train": len(train),
        "test": len(test),
        "n_eval": scorer.n_eval,
    }
    report["domain_classifier"] = scorer.domain_info
    report["floor"] = scorer.floor
    print(f"[floor] {scorer.floor}", file=sys.stderr, flush=True)
    save()
    available = set(list_synthesizers())
    concurrent_ref = None
    for model in models:
        budget = budgets.get(model, args.budget)
        print(f"[{model}] budget {budget} s", file=sys.stderr, flush=True)
        try:
            if model == REFERENCE:
                if REFERENCE in report["runs"]:
                    continue  # trained beside dcgan
                entry = run_reference(train, args, budget, out, stem, scorer)
            elif model not in available:
                report["runs"][model] = {"skipped": f"{model} is not registered in this synthset"}
                report["notes"].append(f"{model} skipped: not registered when this ran")
                save()
                continue
            else:
                params = {
                    "epochs": 100_000,
                    "max_seconds": budget,
                    "random_state": args.seed,
                    "amp": args.amp,
                }
                if model == "dcgan" and args.concurrent and REFERENCE in models:
                    ref_budget = budgets.get(REFERENCE, args.budget)
                    concurrent_ref = ConcurrentReference(train, args, ref_budget)
                entry = run_synthset(model, params, train, args, out, stem, scorer, concurrent_ref)
                entry["concurrent_with_reference"] = concurrent_ref is not None
            entry["budget"] = budget
            report["runs"][model] = entry
        except Exception as exc:  # record and go on
            report["runs"][model] = {"error": _error(exc)}
            traceback.print_exc()
        if concurrent_ref is not None:
            try:
                done = concurrent_ref.result()
                ref_budget = budgets.get(REFERENCE, args.budget)
                entry = run_reference(train, args, ref_budget, out, stem, scorer, done)
                entry["budget"] = ref_budget
                report["runs"][REFERENCE] = entry
            except Exception as exc:
                report["runs"][REFERENCE] = {"error": _error(exc)}
                traceback.print_exc()
            concurrent_ref = None
        save()
    if not args.no_pythae:
        key = f"vae@{args.pythae_epochs}ep"
        print(f"[{key}] synthset vae at {args.pythae_epochs} epochs", file=sys.stderr, flush=True)
        try:
            params = {"epochs": args.pythae_epochs, "random_state": args.seed, "amp": args.amp}
            report["runs"][key] = run_synthset(
                "vae", params, train, args, out, stem, scorer, key=key
            )
        except Exception as exc:
            report["runs"][key] = {"error": _error(exc)}
            traceback.print_exc()
        save()
        for net in [n.strip() for n in args.pythae_nets.split(",") if n.strip()]:
            print(f"[pythae {net}] {args.pythae_epochs} epochs", file=sys.stderr, flush=True)
            try:
                if not Path(args.pythae_python).exists():
                    raise FileNotFoundError(f"no pythae venv python at {args.pythae_python}")
                report["runs"][f"pythae_{net}"] = run_pythae(net, train, args, out, stem, scorer)
            except Exception as exc:
                report["runs"][f"pythae_{net}"] = {"library": "pythae", "error": _error(exc)}
                traceback.print_exc()
            save()
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "pythae-worker":
        pythae_worker(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "reference-worker":
        reference_worker(sys.argv[2:])
    else:
        main(sys.argv[1:])
