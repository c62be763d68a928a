"""``augment()`` for images: real images plus generated ones, to expand or balance classes.

* ``balance_on="label"`` fills every class up to the largest one with class-conditional samples
  (``cgan``, ``cvae``, or any conditional image synthesizer);
* ``n_per_class=k`` adds ``k`` generated images to every class (expansion of small datasets);
* ``n_new`` / ``ratio`` add that many images (following the class frequencies for a conditional
  model, unlabelled for an unconditional one on unlabelled data).

The result is one :class:`~synthset.data.images.Images` whose ``source`` marks each image
``"real"`` or ``"synthetic"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synthset.data.images import Images, concat_images
from synthset.errors import ConfigError
from synthset.utils import derive_seed

if TYPE_CHECKING:
    from synthset.synthesizers.base import Synthesizer

REAL, SYNTHETIC = "real", "synthetic"


def augment_images(
    images: Images,
    synth: Synthesizer,
    *,
    n_new: int | None,
    ratio: float | None,
    balance_on: str | None,
    n_per_class: int | None,
    seed: int | None,
) -> Images:
    """Real ``images`` followed by generated ones (see the module docstring)."""
    spec = synth.spec_
    if spec.shape != images.spec.shape:
        raise ConfigError(
            f"the synthesizer was fitted on {spec.shape} images but these are "
            f"{images.spec.shape}; refit it (fit=True) or pass matching images"
        )
    wants_classes = balance_on is not None or n_per_class is not None
    if wants_classes:
        if balance_on is not None and balance_on != spec.label_name:
            raise ConfigError(
                f"images can only be balanced on their label {spec.label_name!r}, got "
                f"{balance_on!r}"
            )
        if images.labels is None or not getattr(synth, "conditional", False):
            raise ConfigError(
                "balancing or expanding classes needs labelled images and a class-conditional "
                f"synthesizer (cgan or cvae); {synth.name} with "
                f"{'labelled' if images.labels is not None else 'unlabelled'} images cannot"
            )
        if images.spec.classes != spec.classes:
            raise ConfigError(
                f"the synthesizer knows classes {spec.classes}, the images {images.spec.classes}"
            )
        counts = np.bincount(images.labels, minlength=spec.n_classes)
        wanted = (
            counts.max() - counts if balance_on is not None else np.full_like(counts, n_per_class)
        )
        parts = [
            # one child seed per class: a class's images do not depend on the other classes
            synth.sample(int(k), seed=derive_seed(seed, c), conditions={spec.label_name: c})
            for c, k in enumerate(wanted)
            if k > 0
        ]
    else:
        n = n_new if n_new is not None else int(round(ratio * len(images)))
        if n < 1:
            raise ConfigError(
                f"ratio={ratio} × {len(images)} images rounds to 0; use a larger `ratio` or "
                "pass `n_new`"
            )
        parts = [synth.sample(n, seed=seed)]
    real = Images(images.pixels, images.labels, images.spec, name=images.name)
    real.source = np.full(len(images), REAL, dtype=object)
    fakes = []
    for p in parts:
        labels = p.labels if images.labels is not None else None
        if images.labels is not None and labels is None:
            raise ConfigError(
                f"{synth.name} generates unlabelled images, so they cannot join labelled data; "
                "use n_new with a conditional synthesizer, or drop the labels"
            )
        fake = Images(p.pixels, labels, images.spec)
        fake.source = np.full(len(p), SYNTHETIC, dtype=object)
        fakes.append(fake)
    return concat_images([real, *fakes])
