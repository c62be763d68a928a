"""Augmentation gain on Fashion-MNIST: a fixed small CNN trained on few real images vs on the same
real images plus class-conditional samples from synthset's ``cgan`` and ``cvae``.

For every ``n`` in ``--n-per-class`` (default 20 and 50) and every seed in ``--seeds`` (0-4):

1. take ``n`` images of every class from the Fashion-MNIST training split (``per_class(n,
   seed=seed)``: a different subset per seed);
2. fit ``cgan`` and ``cvae`` on them (``random_state=seed``, batch 64, a fixed number of steps,
   ``--cgan-steps`` / ``--cvae-steps``, so the result does not depend on how busy the machine
   is; DiffAugment switches itself on below 2,000 images);
3. sample ``k`` images of every class for each ``k`` in ``--n-syn-per-class``; for each ``k`` in
   ``--filter-syn-per-class`` also a *filtered* arm: the ``k`` of ``--filter-pool``·k samples
   of each class that the real-only CNN of step 4 finds most typical of that class;
4. train the same CNN (below: architecture, optimizer, number of steps and batch size fixed, its
   initial weights and batch order fixed by the seed) on real only and on real + synthetic,
   and score it on the 10,000 test images.

It reports the test accuracy of every arm as mean ± std over the seeds and the gain over
real-only (mean ± std of the per-seed paired differences). Every arm trains for the same number
of steps, so a larger training set is not also more optimisation.

    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_augmentation_gain.py
    OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/images_augmentation_gain.py \\
        --n-per-class 20 --seeds 0 --cgan-steps 30 --cvae-steps 30 --cnn-steps 50 \\
        --out /tmp/bench --name smoke                     # a quick check of the pipeline

Results: ``benchmarks/results/<name>.json`` and ``.md`` (rewritten after every seed) and sample
grids of seed 0 (a row per class) as PNG.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported
os.environ.setdefault("SYNTHSET_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _images_common import cpu_name  # noqa: E402
from _images_common import error_record as _error  # noqa: E402
from _images_common import load_avg as _load_avg  # noqa: E402
from _images_common import save_png as _save_png  # noqa: E402
from _images_common import write_atomic as _write_atomic  # noqa: E402
from torch import nn  # noqa: E402

GENERATORS = ("cgan", "cvae")
GEN_BATCH = {"cgan": 64, "cvae": 64}  # capped at the number of real images


# --- the fixed downstream classifier ---------------------------------------------------------
class FixedCNN(nn.Module):
    """Two 3×3 conv blocks (32, 64 channels, batch norm, ReLU, 2×2 max-pool), a 128-unit layer
    with dropout 0.3, and a linear head: 28×28×1 → 10 logits."""

    def __init__(self, n_classes: int = 10, channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 14×14
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 7×7
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(128, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _to_input(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def train_and_score(
    pixels: np.ndarray,
    labels: np.ndarray,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    *,
    seed: int,
    steps: int,
    batch_size: int,
    lr: float,
) -> tuple[float, FixedCNN]:
    """Train :class:`FixedCNN` for ``steps`` Adam steps on the images; return its test accuracy
    and the model (eval mode). ``seed`` fixes the initial weights, the batch order and dropout."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FixedCNN(int(test_y.max()) + 1, pixels.shape[-1])
        x, y = _to_input(pixels), torch.from_numpy(labels.astype(np.int64))
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        model.train()
        b = min(batch_size, len(x))
        perm, pos = torch.randperm(len(x), generator=gen), 0
        for _ in range(steps):
            if pos + b > len(x):
                perm, pos = torch.randperm(len(x), generator=gen), 0
            idx = perm[pos : pos + b]
            pos += b
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            pred = torch.cat(
                [model(test_x[i : i + 2_000]).argmax(1) for i in range(0, len(test_x), 2_000)]
            )
    return float((pred == test_y).float().mean()), model


@torch.no_grad()
def filter_by_classifier(model: FixedCNN, pixels: np.ndarray, label: int, k: int) -> np.ndarray:
    """The ``k`` images that ``model`` (trained on the real images only) gives the highest
    probability of class ``label`` (the class they were generated for)."""
    probs = torch.cat(
        [model(_to_input(pixels[i : i + 2_000])).softmax(1) for i in range(0, len(pixels), 2_000)]
    )
    keep = torch.argsort(probs[:, label], descending=True)[:k]
    return pixels[np.sort(keep.numpy())]


# --- helpers ---------------------------------------------------------------------------------


def _mean_std(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def summarise(report: dict) -> dict:
    """Mean ± std per arm and the paired gain over real-only, per n per class."""
    out: dict[str, Any] = {}
    for n_key, seeds in report["results"].items():
        arms: dict[str, list[float]] = {}
        for res in seeds.values():
            for arm, acc in res.get("accuracy", {}).items():
                arms.setdefault(arm, []).append(acc)
        real = {
            s: r["accuracy"]["real"] for s, r in seeds.items() if "real" in r.get("accuracy", {})
        }
        rows = {}
        for arm, accs in arms.items():
            m, s = _mean_std(accs)
            row: dict[str, Any] = {"mean": m, "std": s, "n_seeds": len(accs)}
            if arm != "real":
                diffs = [
                    r["accuracy"][arm] - real[sd]
                    for sd, r in seeds.items()
                    if arm in r.get("accuracy", {}) and sd in real
                ]
                gm, gs = _mean_std(diffs)
                row.update(gain_mean=gm, gain_std=gs, gain_per_seed=diffs)
                real_std = _mean_std(arms["real"])[1] if "real" in arms else 0.0
                row["gain_over_real_std"] = gm / real_std if real_std > 0 else None
            rows[arm] = row
        out[n_key] = rows
    return out


def to_markdown(report: dict) -> str:
    a = report["args"]
    lines = [
        "# Augmentation gain on Fashion-MNIST (cgan / cvae samples added to few real images)",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"Date {report['date']}; {report['machine']['cpu']} ({report['machine']['cores']} cores), "
        f"torch {report['versions'].get('torch')}, one thread. Other agents' processes shared the "
        "cores (load average "
        f"{report['machine']['load_avg_start']} at the start, "
        f"{report['machine'].get('load_avg_end')} at the end); the generators train for a "
        "fixed number of epochs, so this changes the times, not the results.",
        "",
        f"Setup: `n` real images per class from the training split (a different subset per seed, "
        f"seeds {a['seeds']}); `cgan` and `cvae` trained with batch 64 for about "
        f"{a['cgan_steps']:,} / {a['cvae_steps']:,} steps (whole epochs: ceil(steps / steps per "
        "epoch)), `random_state` = seed, DiffAugment on (auto, below 2,000 images) for cgan; `k` "
        "synthetic images per class added (sampled per class, conditions={'label': c}). "
        "*filtered*: the k of "
        f"{a['filter_pool']}·k samples of each class to which the real-only CNN of the same seed "
        "gives the highest probability of that class (no test data involved). "
        "The classifier is the fixed CNN of the script (conv 32 → conv "
        f"64 → 128 → 10, dropout 0.3), Adam lr {a['cnn_lr']}, weight decay 1e-4, cosine schedule, "
        f"{a['cnn_steps']} steps of batch {a['cnn_batch_size']} for every arm, initial weights "
        "and batch order fixed by the seed; accuracy on the 10,000 test images.",
        "",
        "| n real / class | arm | test accuracy (mean ± std) | gain vs real (mean ± std, paired) "
        "| gain / std(real) | per seed |",
        "|---|---|---|---|---|---|",
    ]
    for n_key, rows in report.get("summary", {}).items():
        for arm, r in rows.items():
            per_seed = [
                f"{res['accuracy'][arm]:.4f}"
                for res in report["results"][n_key].values()
                if arm in res.get("accuracy", {})
            ]
            gain = f"{r['gain_mean']:+.4f} ± {r['gain_std']:.4f}" if "gain_mean" in r else "–"
            ratio = r.get("gain_over_real_std")
            lines.append(
                f"| {n_key} | {arm} | {r['mean']:.4f} ± {r['std']:.4f} | {gain} | "
                f"{'–' if ratio is None else f'{ratio:+.1f}'} | {', '.join(per_seed)} |"
            )
    if report.get("grids"):
        lines += [
            "",
            "Sample grids (seed 0, a row per class): "
            + ", ".join(f"`{Path(p).name}`" for p in report["grids"]),
        ]
    timings = []
    for n_key, seeds in report["results"].items():
        for seed, res in seeds.items():
            g = res.get("generators", {})
            if g:
                parts = [
                    f"{k} {v['epochs']} epochs in {v['fit_seconds']:.0f} s"
                    for k, v in g.items()
                    if "fit_seconds" in v
                ]
                timings.append(f"{n_key} seed {seed}: " + ", ".join(parts))
    if timings:
        lines += ["", "Generator fits: " + "; ".join(timings) + "."]
    errors = [
        f"{n_key} seed {seed}: {e['type']}: {e['message'][:200]}"
        for n_key, seeds in report["results"].items()
        for seed, res in seeds.items()
        for e in res.get("errors", {}).values()
    ]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in errors]
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-per-class", default="20,50")
    p.add_argument("--seeds", default="0,1,2,3,4")
    p.add_argument("--generators", default=",".join(GENERATORS))
    p.add_argument("--n-syn-per-class", default="50,100,200", help="comma list: one arm per value")
    p.add_argument(
        "--filter-syn-per-class",
        default="200",
        help="comma list: arms whose k images per class are the best of filter-pool·k by the "
        "real-only classifier's probability of the intended class ('' for none)",
    )
    p.add_argument("--filter-pool", type=int, default=3)
    p.add_argument("--cgan-steps", type=int, default=1_000, help="cgan training steps (about)")
    p.add_argument("--cvae-steps", type=int, default=1_000, help="cvae training steps (about)")
    p.add_argument("--cnn-steps", type=int, default=300)
    p.add_argument("--cnn-batch-size", type=int, default=64)
    p.add_argument("--cnn-lr", type=float, default=1e-3)
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--name", default="images_augmentation_gain")
    p.add_argument("--overwrite", action="store_true", help="replace existing results")
    return p.parse_args(argv)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    torch.set_num_threads(1)
    from importlib import metadata

    import synthset
    from synthset import datasets, make_synthesizer
    from synthset.data.images import image_grid

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{args.name}.json", out / f"{args.name}.md"
    if (json_path.exists() or md_path.exists()) and not args.overwrite:
        sys.exit(f"{json_path} already exists; pass --overwrite to replace it")
    cpu = cpu_name()
    report: dict[str, Any] = {
        "command": "OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python "
        + shlex.join(["benchmarks/images_augmentation_gain.py", *argv]),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "args": vars(args),
        "versions": {
            "synthset": synthset.__version__,
            "torch": metadata.version("torch"),
            "numpy": metadata.version("numpy"),
        },
        "machine": {"cpu": cpu, "cores": os.cpu_count(), "load_avg_start": _load_avg()},
        "results": {},
        "grids": [],
        "notes": [],
    }

    def save() -> None:
        report["summary"] = summarise(report)
        report["machine"]["load_avg_end"] = _load_avg()
        _write_atomic(json_path, json.dumps(report, indent=2, default=str))
        _write_atomic(md_path, to_markdown(report))

    train = datasets.load("fashion_mnist", split="train")
    test = datasets.load("fashion_mnist", split="test")
    test_x, test_y = _to_input(test.pixels), torch.from_numpy(test.labels.astype(np.int64))
    n_classes = train.spec.n_classes
    generators = [g.strip() for g in args.generators.split(",") if g.strip()]
    n_syns = _ints(args.n_syn_per_class)
    filter_ks = _ints(args.filter_syn_per_class)
    cnn = {"steps": args.cnn_steps, "batch_size": args.cnn_batch_size, "lr": args.cnn_lr}
    for n in _ints(args.n_per_class):
        n_key = f"{n}/class"
        report["results"][n_key] = {}
        for seed in _ints(args.seeds):
            res: dict[str, Any] = {"accuracy": {}, "generators": {}, "errors": {}}
            report["results"][n_key][str(seed)] = res
            real = train.per_class(n, seed=seed)
            t0 = time.perf_counter()
            res["accuracy"]["real"], real_model = train_and_score(
                real.pixels, real.labels, test_x, test_y, seed=seed, **cnn
            )
            res["real_cnn_seconds"] = time.perf_counter() - t0
            print(f"[{n_key} seed {seed}] real {res['accuracy']['real']:.4f}", file=sys.stderr)
            for name in generators:
                target = args.cgan_steps if name == "cgan" else args.cvae_steps
                batch = min(GEN_BATCH[name], len(real))
                epochs = max(1, math.ceil(target / max(len(real) // batch, 1)))
                info: dict[str, Any] = {"epochs": epochs}
                res["generators"][name] = info
                try:
                    synth = make_synthesizer(
                        name, epochs=epochs, batch_size=batch, random_state=seed
                    )
                    t0 = time.perf_counter()
                    synth.fit(real)
                    info["fit_seconds"] = time.perf_counter() - t0
                    info["diffaugment"] = getattr(synth, "diffaugment_used_", None)
                    info["batch_size"] = synth.batch_size
                    info["steps"] = sum(int(h["steps"]) for h in synth.history_)
                    k_max = max([*n_syns, *[args.filter_pool * k for k in filter_ks]])
                    parts = [
                        synth.sample(k_max, seed=seed * 1_000 + c, conditions={"label": c}).pixels
                        for c in range(n_classes)
                    ]
                    if seed == 0:
                        grid = image_grid(np.concatenate([p[:10] for p in parts]), nrow=10)
                        path = out / f"{args.name}_{name}_n{n}.png"
                        _save_png(grid, path)
                        report["grids"].append(str(path))
                    arms = [(f"real+{name}×{k}", [p[:k] for p in parts]) for k in n_syns]
                    for k in filter_ks:  # top k of filter_pool·k by the real-only classifier
                        chosen = [
                            filter_by_classifier(real_model, p[: args.filter_pool * k], c, k)
                            for c, p in enumerate(parts)
                        ]
                        arms.append((f"real+{name}×{k} filtered", chosen))
                    for arm, syn in arms:
                        px = np.concatenate([real.pixels, *syn])
                        lab = np.concatenate(
                            [real.labels, *[np.full(len(p), c) for c, p in enumerate(syn)]]
                        )
                        res["accuracy"][arm], _ = train_and_score(
                            px, lab, test_x, test_y, seed=seed, **cnn
                        )
                        print(
                            f"[{n_key} seed {seed}] {arm} {res['accuracy'][arm]:.4f}",
                            file=sys.stderr,
                            flush=True,
                        )
                except Exception as exc:  # record and go on
                    res["errors"][name] = _error(exc)
                    traceback.print_exc()
                save()
            save()
    print(f"wrote {json_path} and {md_path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
