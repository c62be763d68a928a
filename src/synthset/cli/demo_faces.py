"""``synthset demo --faces``: the image workflow on the bundled LFW face subset.

collect (load + clean) → split → train a class-conditional GAN → generate a dataset and a
sample grid → augment every class → evaluate generation quality (FID / KID / PRDC on two
feature extractors), usefulness for a downstream face / non-face classifier (classification
accuracy score) and memorisation (nearest training image), in an HTML report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table as RichTable

from synthset.cli._common import info, out_console
from synthset.data.images import Images

DATASET = "lfw_faces"
SYNTHESIZER = "cgan"
DEFAULT_EPOCHS = 200


@dataclass
class FacesRun:
    """What the faces demo has produced so far; each step reads and fills it."""

    out: Path
    epochs: int
    overwrite: bool
    quiet: bool
    image_resolution: int = 224  # side the ImageNet network sees in the evaluation
    train: Images | None = None
    holdout: Images | None = None
    model: Any = None
    synthetic: Images | None = None
    augmented: Images | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    def log(self, message: str) -> None:
        if not self.quiet:
            info(message)

    def write(self, key: str, images: Images, name: str) -> None:
        from synthset.data.image_io import write_images

        self.paths[key] = write_images(images, self.out / name, overwrite=self.overwrite)


def load_faces(run: FacesRun) -> None:
    """Load the 200 LFW images (faces and non-faces) and split them 80 / 20 by class."""
    from synthset import datasets

    images = datasets.load(DATASET)
    run.train, run.holdout = images.split(0.8, seed=0)
    run.write("train", run.train, "train")
    run.write("holdout", run.holdout, "holdout")
    h, w, c = images.spec.shape
    run.log(
        f"[1/5] {DATASET}: {len(run.train)} train + {len(run.holdout)} holdout images "
        f"{h}×{w}×{c}, classes {run.train.class_counts()}"
    )


def fit_gan(run: FacesRun) -> None:
    """Train the class-conditional GAN (DiffAugment is on: the set is small) and save it."""
    from synthset.registry import make_synthesizer
    from synthset.reporting.images import save_image_grid

    run.model = make_synthesizer(
        SYNTHESIZER, epochs=run.epochs, batch_size=16, random_state=0, verbose=not run.quiet
    )
    start = time.perf_counter()
    run.model.fit(run.train)
    seconds = time.perf_counter() - start
    run.paths["model"] = run.model.save(run.out / "model", overwrite=run.overwrite)
    grid = run.model.sample_grid(10, seed=0)
    run.paths["grid"] = save_image_grid(
        grid[None], run.out / "samples.png", nrow=1, padding=0, scale=3, overwrite=run.overwrite
    )
    run.log(
        f"[2/5] trained {SYNTHESIZER} ({run.epochs} epochs, DiffAugment "
        f"{run.model.diffaugment_used_ or 'off'}) in {seconds:.1f} s; a row per class in "
        "samples.png"
    )


def generate(run: FacesRun) -> None:
    """Generate as many images as the train split holds, in its class proportions."""
    run.synthetic = run.model.sample(len(run.train), seed=1)
    run.write("synthetic", run.synthetic, "synthetic")
    run.log(f"[3/5] generated {len(run.synthetic)} images {run.synthetic.class_counts()}")


def augment_classes(run: FacesRun) -> None:
    """Double every class with generated images; labels.csv marks real and synthetic."""
    from synthset.sampling.augment import augment

    per_class = max(run.train.class_counts().values())
    run.augmented = augment(run.train, run.model, n_per_class=per_class, seed=2)
    run.write("augmented", run.augmented, "augmented")
    added = len(run.augmented) - len(run.train)
    run.log(
        f"[4/5] augmented: {len(run.train)} real + {added} generated images, {per_class} per class"
    )


def evaluate_report(run: FacesRun) -> None:
    """Score the generated images against the holdout and write report.html."""
    from synthset.evaluation import evaluate

    run.log("[5/5] evaluating: FID / KID / PRDC, classification accuracy, memorisation …")
    start = time.perf_counter()
    report = evaluate(
        run.train, run.synthetic, run.holdout, seed=0, image_resolution=run.image_resolution
    )
    path = run.out / "report.html"
    report.to_html(path, overwrite=run.overwrite)
    run.paths["report"] = path
    counts = {s: sum(m.status == s for m in report.metrics) for s in ("pass", "warn", "fail")}
    run.log(
        f"      {len(report.metrics)} metrics in {time.perf_counter() - start:.1f} s: "
        f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail"
    )
    out_console.print(scores(report))


def scores(report: Any) -> RichTable:
    """The headline numbers of the faces report."""
    table = RichTable(title="Generated faces: headline scores")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_column("status")
    for name in ("fid_domain", "fid_imagenet", "precision_domain", "recall_domain", "cas_ratio"):
        if name in report:
            m = report[name]
            table.add_row(name, f"{m.value:.3g}", m.status or "–")
    for name in ("image_dcr", "image_exact_copies"):
        if name in report:
            m = report[name]
            table.add_row(name, f"{m.value:.3g}", m.status or "–")
    return table


def show_paths(run: FacesRun) -> None:
    for key, path in run.paths.items():
        out_console.print(f"{key:>10}: {path}", highlight=False, soft_wrap=True)


STEPS: list[Callable[[FacesRun], None]] = [
    load_faces,
    fit_gan,
    generate,
    augment_classes,
    evaluate_report,
    show_paths,
]


def run_faces(
    out: Path, epochs: int | None, overwrite: bool, quiet: bool, image_resolution: int = 224
) -> None:
    """Run every step of the faces demo, writing into ``out``."""
    run = FacesRun(
        out=out,
        epochs=epochs or DEFAULT_EPOCHS,
        overwrite=overwrite,
        quiet=quiet,
        image_resolution=image_resolution,
    )
    start = time.perf_counter()
    for step in STEPS:
        step(run)
    run.log(f"done in {time.perf_counter() - start:.1f} s; outputs in {out}/")
