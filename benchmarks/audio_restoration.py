"""Audio super-resolution (×2, ×4) and gap filling (100 ms) on spoken digits, against the
classical baselines.

``audio_sr`` is fitted on the ``spoken_digits`` train split (500 clips of 1 s at 16 kHz:
espeak-ng voices + room + noise) and repairs the test split (200 clips of held-out voices)
after it was low-passed and decimated by the factor; cubic interpolation (scipy's cubic
spline) and windowed-sinc (polyphase) upsampling are the baselines. ``audio_inpaint`` is
fitted on the same training clips (10% of them held out for early stopping on the SNR in
their gaps; the test split is never looked at before the final scoring) and fills one 100 ms
gap per test clip (seeded positions); zeros, linear interpolation and LPC extrapolation
(autoregressive model from each side, cross-faded: ``lpc`` of order 32 on 1024 samples, and
``lpc128`` of order 128 on 2048 samples, which is also the model's own pre-fill) are the
baselines. ``audio_sr`` uses its per-factor default STFT-loss weight (0.3 for ×2, 0.03 for ×4,
chosen on 100 clips held out from the training split). Every number comes from
``synthset.evaluation.audio.restoration.evaluate_restoration``: SNR in dB (over the gap for
inpainting) and log-spectral distance (LSD, dB; the high band only for super-resolution as
well as the full band), mean ± std over clips. Fits are bounded by ``--max-seconds``.
Reproduce:

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src \\
        .venv/bin/python benchmarks/audio_restoration.py --overwrite
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", nargs="+", default=["sr2", "sr4", "inpaint"])
    p.add_argument("--max-seconds", type=float, default=300.0, help="per fit")
    p.add_argument("--gap-ms", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "audio_restoration"))
    p.add_argument("--report-dir", default=None, help="also write each task's HTML report here")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    from synthset import datasets, make_synthesizer
    from synthset.evaluation.audio.restoration import evaluate_restoration

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_suffix(".json")
    if json_path.exists() and not (args.resume or args.overwrite):
        raise SystemExit(f"{json_path} exists; pass --resume or --overwrite")
    results: dict[str, Any] = {}
    if args.resume and json_path.exists():
        results = json.loads(json_path.read_text())["tasks"]
    train = datasets.load("spoken_digits", split="train")
    test = datasets.load("spoken_digits", split="test")
    for task in args.tasks:
        if task in results:
            continue
        if task.startswith("sr"):
            factor = int(task[2:])
            synth = make_synthesizer(
                "audio_sr", factor=factor, max_seconds=args.max_seconds, epochs=10_000,
                random_state=args.seed,
            )  # fmt: skip
            kwargs: dict[str, Any] = {"factor": factor}
        elif task == "inpaint":
            synth = make_synthesizer(
                "audio_inpaint", max_seconds=args.max_seconds, epochs=10_000,
                random_state=args.seed,
            )  # fmt: skip
            kwargs = {"gap_ms": args.gap_ms}
        else:
            raise SystemExit(f"unknown task {task!r}: sr2, sr4 or inpaint")
        t = time.perf_counter()
        synth.fit(train)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        report = evaluate_restoration(synth, test, seed=args.seed, **kwargs)
        eval_s = time.perf_counter() - t
        if args.report_dir:
            Path(args.report_dir).mkdir(parents=True, exist_ok=True)
            report.to_html(Path(args.report_dir) / f"audio_restoration_{task}.html", overwrite=True)
        results[task] = {
            "synthesizer": synth.name,
            "params": {k: v for k, v in synth.get_params().items() if k != "callbacks"},
            "fit_seconds": round(fit_s, 1),
            "epochs_done": len(synth.history_),
            "final_loss": synth.history_[-1] if synth.history_ else None,
            "steps_done": int(synth.steps_done_) if hasattr(synth, "steps_done_") else None,
            "best_step": getattr(synth, "best_step_", None),
            "validation": getattr(synth, "validation_", None) or None,
            "evaluate_seconds": round(eval_s, 1),
            "metrics": {
                m.name: {"value": m.value, "higher_is_better": m.higher_is_better, **_summary(m)}
                for m in report.metrics
            },
            "meta": {k: v for k, v in report.meta.items() if k != "seconds"},
        }
        line = "  ".join(
            f"{m.name} {m.value:.2f}" for m in report.metrics if m.value == m.value
        )  # skip NaN
        print(f"{task}: fit {fit_s:.0f}s ({len(synth.history_)} epochs)  {line}", flush=True)
        write(out, args, results, len(train), len(test))
    write(out, args, results, len(train), len(test))


def _summary(m: Any) -> dict[str, Any]:
    d = m.details or {}
    return {k: d[k] for k in ("std", "n", "median") if k in d and not isinstance(d[k], list)}


def write(out: Path, args, results: dict[str, Any], n_train: int, n_test: int) -> None:
    import synthset

    doc = {
        "benchmark": "audio_restoration",
        "command": "OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python "
        f"benchmarks/audio_restoration.py --tasks {' '.join(args.tasks)} --max-seconds "
        f"{args.max_seconds:g} --gap-ms {args.gap_ms:g} --seed {args.seed}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"platform": platform.platform(), "cpu_threads": torch.get_num_threads()},
        "versions": {"synthset": synthset.__version__, "torch": torch.__version__},
        "data": {"train_clips": n_train, "test_clips": n_test},
        "tasks": results,
    }
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1, default=str))
    lines = [
        "# Audio restoration on spoken digits (test split: held-out voices)",
        "",
        f"Fitted on {n_train} training clips (1 s, 16 kHz), scored on {n_test} test clips. "
        "SNR in dB (higher is better); LSD in dB (lower is better); mean ± std over clips.",
        "",
    ]
    for task, r in results.items():
        title = (
            f"Super-resolution ×{task[2:]}"
            if task.startswith("sr")
            else f"Gap filling, {args.gap_ms:g} ms"
        )
        lines += [
            f"## {title}",
            "",
            f"`{r['synthesizer']}` fit {r['fit_seconds']:.0f} s ({r['epochs_done']} epochs, "
            f"{r.get('steps_done')} steps"
            + (
                f"; early stopping kept step {r['best_step']}"
                if r.get("best_step") is not None
                else ""
            )
            + ").",
            "",
            "| metric | value | std |",
            "|---|---|---|",
        ]
        for name, m in r["metrics"].items():
            std = f"{m['std']:.2f}" if "std" in m else ""
            lines.append(f"| {name} | {m['value']:.3f} | {std} |")
        lines.append("")
    lines += [f"Command: `{doc['command']}`", ""]
    out.with_suffix(".md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
