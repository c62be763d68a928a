"""Audio augmentation on spoken digits: classification accuracy score (CAS) and augmentation gain.

For each seed, ``--n-per-class`` real training clips per digit are drawn from the bundled
``spoken_digits`` train split (espeak-ng voices + room reverberation + background noise, see
``synthset.datasets.audio_loaders``). Each synthesizer is fitted on those clips only (every fit
is bounded by ``max_seconds``) and draws ``--synthetic-per-class`` clips per digit (several
values: the first k clips of each digit of one draw). One fixed
classifier — synthset's log-mel CNN (``synthset.evaluation.audio.classifier``), with the same
seed for every condition of a seed — is trained on

* the real clips only (the baseline),
* the synthetic clips only (CAS: how much of each digit the generator captured; chance is 10%),
* the real clips plus the synthetic ones (augmentation gain = this − real only),

and scored on the whole test split (held-out voices). ``audio_augment`` (noise, gain, shift,
speed, pitch) is the classic baseline augmenter; its "CAS" is that of perturbed real clips.
Reports mean ± std over seeds and saves a picture of real and generated log-mel spectrograms.
Reproduce:

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src \\
        .venv/bin/python benchmarks/audio_augmentation.py --overwrite

Results are rewritten after every (seed, synthesizer), so a long run can be watched and resumed
with ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

# per-synthesizer settings, sized for a 2-core CPU: every neural fit is bounded by max_seconds
SYNTHS: dict[str, dict[str, Any]] = {
    "audio_augment": {},
    "specgan": {"epochs": 2_000},
    "spec_vae": {"epochs": 2_000},
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--synths", nargs="+", default=list(SYNTHS))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--n-per-class", type=int, default=10)
    p.add_argument("--synthetic-per-class", type=int, nargs="+", default=[10, 50])
    p.add_argument("--max-seconds", type=float, default=150.0, help="per neural fit")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "audio_augmentation"))
    p.add_argument("--resume", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    from synthset import datasets, make_synthesizer
    from synthset.data.audio import concat_audio
    from synthset.evaluation.audio.classifier import accuracy, train_audio_classifier
    from synthset.evaluation.audio.features import log_mel, make_mel

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_suffix(".json")
    if json_path.exists() and not (args.resume or args.overwrite):
        raise SystemExit(f"{json_path} exists; pass --resume or --overwrite")
    runs: list[dict[str, Any]] = []
    if args.resume and json_path.exists():
        runs = json.loads(json_path.read_text())["runs"]
    done = {(r["seed"], r["synth"]) for r in runs}

    t0 = time.perf_counter()
    train = datasets.load("spoken_digits", split="train")
    test = datasets.load("spoken_digits", split="test")
    build_s = time.perf_counter() - t0
    device = torch.device("cpu")
    mel = make_mel(train.spec.sample_rate)
    x_test = log_mel(test.waveforms, mel, device)
    n_classes = train.spec.n_classes

    def score(audio, seed: int) -> float:
        model = train_audio_classifier(
            log_mel(audio.waveforms, mel, device), audio.labels, n_classes, seed=seed,
            device=device,
        )  # fmt: skip
        return accuracy(model, x_test, test.labels)

    full = score(train, 0)
    print(f"classifier on all {len(train)} training clips: {full:.3f}", flush=True)
    pictures: dict[str, Any] = {}
    for seed in range(args.seeds):
        real = train.per_class(args.n_per_class, seed=seed)
        base_key = (seed, "real")
        if base_key not in done:
            acc = score(real, seed)
            runs.append({"seed": seed, "synth": "real", "accuracy": acc})
            print(f"seed {seed} real only: {acc:.3f}", flush=True)
        for name in args.synths:
            if (seed, f"{name} x{max(args.synthetic_per_class)}") in done:
                continue
            params = dict(SYNTHS.get(name, {}))
            if name != "audio_augment":
                params["max_seconds"] = args.max_seconds
            synth = make_synthesizer(name, random_state=seed, **params)
            t = time.perf_counter()
            synth.fit(real)
            fit_s = time.perf_counter() - t
            t = time.perf_counter()
            top = max(args.synthetic_per_class)
            fake = concat_audio(
                [
                    synth.sample(top, seed=1_000 + seed, conditions={"label": c})
                    for c in real.spec.classes
                ]
            )
            sample_s = time.perf_counter() - t
            cas = score(fake, seed)  # on every sample drawn
            base = next(r["accuracy"] for r in runs if r["seed"] == seed and r["synth"] == "real")
            rank = np.zeros(len(fake), np.int64)  # position of each clip within its class
            for c in range(n_classes):
                pos = np.flatnonzero(fake.labels == c)
                rank[pos] = np.arange(len(pos))
            for k in sorted(args.synthetic_per_class):
                aug = score(concat_audio([real, fake[rank < k]]), seed)
                row = {
                    "seed": seed,
                    "synth": f"{name} x{k}",
                    "synthesizer": name,
                    "synthetic_per_class": k,
                    "params": params,
                    "fit_seconds": round(fit_s, 1),
                    "epochs_done": len(getattr(synth, "history_", []) or []),
                    "sample_seconds": round(sample_s, 1),
                    "cas": cas,
                    "accuracy": aug,
                    "gain": aug - base,
                }
                runs.append(row)
                print(
                    f"seed {seed} {name} +{k}/class: CAS {cas:.3f}  real+synthetic {aug:.3f} "
                    f"(gain {aug - base:+.3f})  fit {fit_s:.0f}s sample {sample_s:.0f}s",
                    flush=True,
                )
            if seed == 0:
                pictures[name] = fake
            write(out, args, runs, full, len(train), len(test), build_s)
        if seed == 0 and pictures:
            picture(out.with_name(out.name + "_spectrograms.png"), real, pictures, mel)
    write(out, args, runs, full, len(train), len(test), build_s)


def summary(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["synth"] for r in runs):
        rows = [r for r in runs if r["synth"] == name]
        s: dict[str, Any] = {"seeds": len(rows)}
        for k in ("accuracy", "cas", "gain", "fit_seconds", "sample_seconds"):
            vals = [r[k] for r in rows if k in r]
            if vals:
                s[k] = {"mean": float(np.mean(vals)), "std": float(np.std(vals))}
        out[name] = s
    return out


def write(out: Path, args, runs, full: float, n_train: int, n_test: int, build_s: float) -> None:
    import synthset

    summ = summary(runs)
    doc = {
        "benchmark": "audio_augmentation",
        "command": "OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python "
        "benchmarks/audio_augmentation.py "
        + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items()
            if k not in ("out", "resume", "overwrite")
        ),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"platform": platform.platform(), "cpu_threads": torch.get_num_threads()},
        "versions": {"synthset": synthset.__version__, "torch": torch.__version__},
        "data": {"train_clips": n_train, "test_clips": n_test, "dataset_load_seconds": build_s},
        "classifier_on_all_training_clips": full,
        "summary": summ,
        "runs": runs,
    }
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
    lines = [
        "# Audio augmentation on spoken digits",
        "",
        f"{args.n_per_class} real clips per digit (10 digits), plus "
        f"{' or '.join(map(str, args.synthetic_per_class))} synthetic clips per digit, "
        f"{len({r['seed'] for r in runs})} seeds; test: {n_test} "
        f"clips of held-out voices. The same log-mel CNN is trained on all {n_train} training "
        f"clips: {full:.3f}. Chance: 0.100.",
        "",
        "| training data | accuracy | CAS (synthetic only) | gain over real only | fit s "
        "| sample s |",
        "|---|---|---|---|---|---|",
    ]

    def ms(s: dict[str, Any], k: str, fmt: str = "{:.3f}") -> str:
        if k not in s:
            return "–"
        return f"{fmt.format(s[k]['mean'])} ± {fmt.replace('+', '').format(s[k]['std'])}"

    for name, s in summ.items():
        label = "real only" if name == "real" else f"real + {name.replace(' x', ' (+')}/digit)"
        lines.append(
            f"| {label} | {ms(s, 'accuracy')} | {ms(s, 'cas')} | {ms(s, 'gain', '{:+.3f}')} "
            f"| {ms(s, 'fit_seconds', '{:.0f}')} | {ms(s, 'sample_seconds', '{:.0f}')} |"
        )
    lines += ["", f"Command: `{doc['command']}`", ""]
    out.with_suffix(".md").write_text("\n".join(lines))


def picture(path: Path, real, fakes: dict[str, Any], mel) -> None:
    """Log-mel spectrograms: a column per digit, a row for real clips and each synthesizer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {"real": real, **fakes}
    classes = real.spec.classes
    fig, axes = plt.subplots(len(rows), len(classes), figsize=(1.6 * len(classes), 1.5 * len(rows)))
    for i, (name, audio) in enumerate(rows.items()):
        for j, _c in enumerate(classes):
            pos = np.flatnonzero(audio.labels == j)
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if len(pos):
                m = mel.log_mel(torch.from_numpy(audio.waveforms[pos[:1]]))[0].numpy()
                ax.imshow(m, origin="lower", aspect="auto", cmap="magma", vmin=m.max() - 9)
            if i == 0:
                ax.set_title(classes[j], fontsize=9)
            if j == 0:
                ax.set_ylabel(name, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
