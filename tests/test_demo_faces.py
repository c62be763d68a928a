"""``synthset demo --faces`` end to end on the LFW subset (one epoch, small ImageNet input)."""

from __future__ import annotations

from synthset.cli.demo_faces import run_faces
from synthset.data.image_io import read_images


def test_faces_demo_writes_everything(tmp_path):
    out = tmp_path / "faces"
    run_faces(out, epochs=1, overwrite=False, quiet=True, image_resolution=32)
    for name in ("train", "holdout", "model", "synthetic", "augmented"):
        assert (out / name).is_dir(), name
    assert (out / "samples.png").stat().st_size > 0
    augmented = read_images(out / "augmented", dedup=False)
    assert augmented.class_counts() == {"face": 160, "non-face": 160}
    html = (out / "report.html").read_text()
    assert "fid_domain" in html and "cas_ratio" in html and "data:image/png;base64" in html
