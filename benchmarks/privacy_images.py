"""Differentially private image synthesis on Fashion-MNIST: DP-VAE and DP-DCGAN vs their
non-private fits, same epochs, scored by synthset's image metrics.

For each model and ε ∈ {1, 10, ∞} (∞ = no DP), δ = 1e-6 (< 1/60,000): fit on the 60,000
training images, sample 2,000, and score them against the 10,000 test images: domain FID (a small
CNN trained on the real images, cached), CAS (a classifier trained on the synthetic images, tested
on real ones; the VAE is unconditional, so CAS is for cvae) and the image membership signal
(``image_closer_than_holdout``). Reproduce:

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python \\
        benchmarks/privacy_images.py --epochs 1 --overwrite
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DELTA = 1e-6
METRICS = ["fid_domain", "cas", "image_closer_than_holdout", "image_exact_copies"]
MODELS = {
    "cvae": {"batch_size": 256, "lr": 2e-3},
    "cgan": {"batch_size": 256, "ema": None},
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--epsilons", default="1,10,inf")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--n-samples", type=int, default=2_000)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "privacy_images"))
    p.add_argument("--overwrite", action="store_true")
    args = p.parse_args()
    out = Path(args.out)
    if (
        out.with_suffix(".md").exists() or out.with_suffix(".json").exists()
    ) and not args.overwrite:
        raise SystemExit(f"{out}.md exists; pass --overwrite")

    from synthset.datasets import load
    from synthset.evaluation import evaluate
    from synthset.registry import make_synthesizer

    train, test = load("fashion_mnist", split="train"), load("fashion_mnist", split="test")
    rows = []
    t_all = time.perf_counter()
    for name in args.models.split(","):
        for eps_s in args.epsilons.split(","):
            eps = float(eps_s)
            params = {"epochs": args.epochs, "random_state": 0, "device": "cpu", **MODELS[name]}
            if not math.isinf(eps):
                params["dp"] = {"epsilon": eps, "delta": DELTA}
            synth = make_synthesizer(name, **params)
            t0 = time.perf_counter()
            synth.fit(train)
            fit_s = time.perf_counter() - t0
            fake = synth.sample(args.n_samples, seed=1)
            rep = evaluate(train, fake, test, metrics=METRICS, seed=0, image_resolution=64)
            priv = getattr(synth, "privacy_", None) or {}
            row = {
                "model": name,
                "epsilon": eps,
                "epsilon_spent": priv.get("epsilon"),
                "noise_multiplier": priv.get("noise_multiplier"),
                "fit_s": round(fit_s, 1),
                **{m.name: m.value for m in rep.metrics},
            }
            rows.append(row)
            print(row, flush=True)
            write(out, args, rows, time.perf_counter() - t_all)  # after every run


def write(out: Path, args: argparse.Namespace, rows: list[dict], seconds: float) -> None:
    """The JSON and Markdown results so far (atomic renames)."""
    meta = {
        "command": "benchmarks/privacy_images.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "overwrite"
        ),
        "machine": f"{platform.processor() or platform.machine()}, 1 torch thread",
        "epochs": args.epochs,
        "delta": DELTA,
        "n_samples": args.n_samples,
        "seconds": round(seconds, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    tmp.replace(out.with_suffix(".json"))
    lines = [
        "# DP image synthesis on Fashion-MNIST",
        "",
        "Reproduce: `OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python "
        f"benchmarks/privacy_images.py --epochs {args.epochs} --models {args.models} "
        "--overwrite`",
        "",
        f"60,000 training images, {args.n_samples:,} samples scored against the 10,000 test "
        f"images; {args.epochs} epoch(s) at every ε, δ = {DELTA:g}; domain FID on a small CNN "
        "trained on the real images (lower is better); CAS = accuracy on real test images of a "
        "classifier trained on the samples; 'closer than holdout' = share of samples closer to a "
        f"training image than the holdout's 5th percentile. One torch thread on a shared 2-core "
        f"machine; fit seconds include nothing else.",
        "",
        "| model | ε | ε spent | σ | fit s | domain FID | CAS | closer than holdout | copies |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:

        def f(v, fmt="{:.3f}"):
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)

        eps_text = "∞" if math.isinf(r["epsilon"]) else f"{r['epsilon']:g}"
        lines.append(
            f"| {r['model']} | {eps_text} | "
            f"{f(r['epsilon_spent'])} | {f(r['noise_multiplier'])} | {r['fit_s']:.0f} | "
            f"{f(r.get('fid_domain'), '{:.1f}')} | {f(r.get('cas'))} | "
            f"{f(r.get('image_closer_than_holdout'))} | {f(r.get('image_exact_copies'))} |"
        )
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(out.with_suffix(".md"))


if __name__ == "__main__":
    main()
