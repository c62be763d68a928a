"""Image I/O: folders, labels files, numpy and Parquet round trips, cleaning and conversions."""

from __future__ import annotations

import io
import json
import warnings

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from PIL import Image

from synthset.data import Images, as_images, read_images, write_images
from synthset.data.image_io import DuplicateImageWarning, ImageLoadWarning
from synthset.errors import ConfigError, DataError, OutputExistsError


def tiny_images(n: int = 16, size: int = 8, channels: int = 3, seed: int = 0) -> Images:
    """``n`` random distinct images of ``size``×``size`` in two classes, "b" coded before "a"."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, size, size, channels), dtype=np.uint8)
    return Images.from_arrays(x, labels=["a", "b"] * (n // 2), classes=["b", "a"], name="tiny")


def save_png(path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


def read_quietly(path, **kwargs) -> Images:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any cleaning warning fails these tests
        return read_images(path, **kwargs)


# --- folders ----------------------------------------------------------------------------------
def test_read_class_subfolders_labels_each_image_by_its_folder(tmp_path):
    # Setup
    rng = np.random.default_rng(1)
    cats = rng.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
    dogs = rng.integers(0, 256, (2, 6, 5, 3), dtype=np.uint8)
    for i, a in enumerate(cats):
        save_png(tmp_path / "cat" / f"{i}.png", a)
    for i, a in enumerate(dogs):
        save_png(tmp_path / "dog" / "nested" / f"{i}.png", a)
    (tmp_path / "notes.txt").write_text("not an image")

    # Run
    imgs = read_quietly(tmp_path)

    # Assert
    assert imgs.pixels.shape == (5, 6, 5, 3) and imgs.pixels.dtype == np.uint8
    np.testing.assert_array_equal(imgs.pixels, np.concatenate([cats, dogs]))
    assert imgs.label_names.tolist() == ["cat"] * 3 + ["dog"] * 2
    assert imgs.spec.classes == ["cat", "dog"] and imgs.name == tmp_path.name


def test_write_then_read_folder_round_trips_pixels_labels_and_class_order(tmp_path):
    # Setup
    imgs = tiny_images()

    # Run
    out = write_images(imgs, tmp_path / "out")
    back = read_quietly(out)

    # Assert
    assert sorted(p.name for p in out.iterdir())[:2] == ["000000.png", "000001.png"]
    assert (out / "labels.csv").read_text().splitlines()[:2] == ["file,label", "000000.png,a"]
    np.testing.assert_array_equal(back.pixels, imgs.pixels)
    np.testing.assert_array_equal(back.labels, imgs.labels)
    assert back.spec.classes == ["b", "a"]  # kept through spec.json, not re-sorted


def test_read_labels_csv_with_relative_paths_and_custom_column(tmp_path):
    # Setup
    rng = np.random.default_rng(2)
    arrs = rng.integers(0, 256, (3, 4, 4), dtype=np.uint8)
    for i, a in enumerate(arrs):
        save_png(tmp_path / "imgs" / f"x{i}.png", a)
    (tmp_path / "meta.csv").write_text(
        "path,kind,other\nimgs/x2.png,shoe,1\nimgs/x0.png,bag,2\nimgs/x1.png,shoe,3\n"
    )

    # Run
    imgs = read_quietly(tmp_path, labels_file="meta.csv", label_column="kind")

    # Assert
    np.testing.assert_array_equal(imgs.pixels[..., 0], arrs[[2, 0, 1]])  # the CSV's order
    assert imgs.label_names.tolist() == ["shoe", "bag", "shoe"]
    assert imgs.spec.label_name == "kind" and imgs.spec.channels == 1


def test_labels_csv_without_the_label_column_names_the_columns(tmp_path):
    save_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "labels.csv").write_text("file,kind,extra\na.png,x,1\n")

    with pytest.raises(DataError, match="no column 'label'.*file, kind, extra"):
        read_images(tmp_path)


def test_read_flat_folder_is_unlabelled_and_sorted_by_name(tmp_path):
    # Setup
    arrs = [np.full((3, 3), v, np.uint8) for v in (30, 10, 20)]
    for name, a in zip(["c.png", "a.png", "b.jpeg"], arrs, strict=True):
        save_png(tmp_path / name, a)

    # Run
    imgs = read_quietly(tmp_path, dedup=False)

    # Assert
    assert imgs.labels is None and imgs.spec.classes is None
    assert imgs.pixels.shape == (3, 3, 3, 1)
    assert imgs.pixels[:, 0, 0, 0].tolist() == [10, 20, 30]  # a.png, b.jpeg, c.png


def test_read_single_image_file(tmp_path):
    save_png(tmp_path / "one.png", np.full((2, 3, 3), 7, np.uint8))

    imgs = read_quietly(tmp_path / "one.png")

    assert imgs.pixels.shape == (1, 2, 3, 3) and imgs.name == "one"


def test_as_images_reads_a_path(tmp_path):
    write_images(tiny_images(), tmp_path / "out")

    assert len(as_images(tmp_path / "out")) == 16


# --- numpy ------------------------------------------------------------------------------------
def test_npz_with_common_key_names_and_float_pixels(tmp_path):
    # Setup
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (6, 5, 5)).astype(np.float32) / 255.0
    y = np.array([3, 1, 3, 1, 2, 2])
    np.savez(tmp_path / "d.npz", images=x, targets=y)

    # Run
    imgs = read_quietly(tmp_path / "d.npz")

    # Assert
    np.testing.assert_array_equal(imgs.pixels[..., 0], np.rint(x * 255).astype(np.uint8))
    assert imgs.spec.classes == ["1", "2", "3"]
    assert imgs.label_names.tolist() == ["3", "1", "3", "1", "2", "2"]


def test_npz_write_read_round_trip_keeps_classes(tmp_path):
    imgs = tiny_images(channels=1)

    back = read_quietly(write_images(imgs, tmp_path / "d.npz"))

    np.testing.assert_array_equal(back.pixels, imgs.pixels)
    np.testing.assert_array_equal(back.labels, imgs.labels)
    assert back.spec.classes == ["b", "a"]


def test_npy_is_unlabelled_and_channels_first_is_transposed(tmp_path):
    x = np.random.default_rng(4).integers(0, 256, (4, 3, 6, 7), dtype=np.uint8)  # N×C×H×W
    np.save(tmp_path / "x.npy", x)

    imgs = read_quietly(tmp_path / "x.npy")

    assert imgs.labels is None
    np.testing.assert_array_equal(imgs.pixels, x.transpose(0, 2, 3, 1))


def test_npz_without_an_image_key_names_the_keys(tmp_path):
    np.savez(tmp_path / "d.npz", foo=np.zeros((2, 3, 3), np.uint8))

    with pytest.raises(DataError, match="no image array.*foo"):
        read_images(tmp_path / "d.npz")


# --- parquet ----------------------------------------------------------------------------------
def test_parquet_round_trip_and_hugging_face_layout(tmp_path):
    # Setup
    imgs = tiny_images()

    # Run
    path = write_images(imgs, tmp_path / "d.parquet")
    back = read_quietly(path)
    table = pq.read_table(path)

    # Assert: our round trip
    np.testing.assert_array_equal(back.pixels, imgs.pixels)
    np.testing.assert_array_equal(back.labels, imgs.labels)
    assert back.spec.classes == ["b", "a"]
    # Assert: the layout `datasets.load_dataset("parquet", ...)` decodes as Image + ClassLabel
    assert table.schema.field("image").type == pa.struct(
        [("bytes", pa.binary()), ("path", pa.string())]
    )
    assert table.schema.field("label").type == pa.int64()
    meta = json.loads(table.schema.metadata[b"huggingface"])
    assert meta["info"]["features"] == {
        "image": {"_type": "Image"},
        "label": {"_type": "ClassLabel", "names": ["b", "a"]},
    }
    first = table.column("image")[0].as_py()
    with Image.open(io.BytesIO(first["bytes"])) as im:
        assert im.format == "PNG"
        np.testing.assert_array_equal(np.asarray(im), imgs.pixels[0])


def test_parquet_written_by_others_string_labels_and_path_only_rows(tmp_path):
    # Setup: a string label column, an image column named "img", one row with a path, no bytes
    buf = io.BytesIO()
    Image.fromarray(np.full((4, 4), 9, np.uint8)).save(buf, format="PNG")
    save_png(tmp_path / "side.png", np.full((4, 4), 200, np.uint8))
    img = pa.array(
        [{"bytes": buf.getvalue(), "path": None}, {"bytes": None, "path": "side.png"}],
        pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
    )
    pq.write_table(pa.table({"img": img, "kind": ["x", "y"]}), tmp_path / "o.parquet")

    # Run
    imgs = read_quietly(tmp_path / "o.parquet", label_column="kind")

    # Assert
    assert imgs.pixels[:, 0, 0, 0].tolist() == [9, 200]
    assert imgs.label_names.tolist() == ["x", "y"] and imgs.spec.label_name == "kind"


def test_parquet_without_label_column_is_unlabelled(tmp_path):
    imgs = Images.from_arrays(np.arange(2 * 9, dtype=np.uint8).reshape(2, 3, 3))

    back = read_quietly(write_images(imgs, tmp_path / "u.parquet"))

    assert back.labels is None
    np.testing.assert_array_equal(back.pixels, imgs.pixels)


# --- cleaning ---------------------------------------------------------------------------------
def test_corrupt_files_are_skipped_and_counted_in_one_warning(tmp_path):
    # Setup
    for i in range(4):
        save_png(tmp_path / f"ok{i}.png", np.full((5, 5), i * 40, np.uint8))
    (tmp_path / "garbage.png").write_bytes(b"this is not a png")
    good = io.BytesIO()
    Image.fromarray(np.zeros((50, 50), np.uint8)).save(good, format="PNG")
    (tmp_path / "truncated.png").write_bytes(good.getvalue()[:60])

    # Run
    with pytest.warns(ImageLoadWarning, match="skipped 2 of 6 images") as record:
        imgs = read_images(tmp_path)

    # Assert
    assert len(imgs) == 4
    assert len([w for w in record if issubclass(w.category, ImageLoadWarning)]) == 1
    message = str(record[0].message)
    assert "garbage.png" in message and "truncated.png" in message


def test_nothing_readable_raises(tmp_path):
    (tmp_path / "a.png").write_bytes(b"nope")
    (tmp_path / "b.jpg").write_bytes(b"nope")

    with pytest.raises(DataError, match="none of the 2 images"):
        read_images(tmp_path)


def test_empty_folder_raises(tmp_path):
    (tmp_path / "readme.txt").write_text("hi")

    with pytest.raises(DataError, match="no image files"):
        read_images(tmp_path)


def test_exact_duplicates_are_removed_and_label_conflicts_counted(tmp_path):
    # Setup: image A three times (one copy labelled differently), image B once
    a, b = np.full((4, 4, 3), 10, np.uint8), np.full((4, 4, 3), 99, np.uint8)
    x = np.stack([a, b, a, a])
    np.savez(tmp_path / "d.npz", x=x, y=np.array(["cat", "dog", "cat", "dog"]))

    # Run
    with pytest.warns(DuplicateImageWarning, match=r"removed 2 .* of 4 \(1 of them had another"):
        imgs = read_images(tmp_path / "d.npz")
    kept_all = read_quietly(tmp_path / "d.npz", dedup=False)

    # Assert
    assert imgs.pixels[:, 0, 0, 0].tolist() == [10, 99]  # first copies, in order
    assert imgs.label_names.tolist() == ["cat", "dog"]
    assert len(kept_all) == 4


def test_duplicates_after_conversion_are_duplicates(tmp_path):
    # two files that differ only in their size decode to the same pixels once resized
    save_png(tmp_path / "a.png", np.full((4, 4), 50, np.uint8))
    save_png(tmp_path / "b.png", np.full((8, 8), 50, np.uint8))

    with pytest.warns(DuplicateImageWarning, match="removed 1"):
        imgs = read_images(tmp_path, size=4)

    assert len(imgs) == 1


# --- conversions ------------------------------------------------------------------------------
def test_mixed_sizes_need_size(tmp_path):
    save_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    save_png(tmp_path / "b.png", np.full((6, 5), 1, np.uint8))

    with pytest.raises(DataError, match=r"a\.png is 4×4 but b\.png is 6×5; pass size="):
        read_images(tmp_path)
    assert read_quietly(tmp_path, size=(3, 2)).pixels.shape == (2, 3, 2, 1)


def test_resize_and_center_crop_match_pillow(tmp_path):
    # Setup
    arr = np.random.default_rng(5).integers(0, 256, (10, 20, 3), dtype=np.uint8)
    save_png(tmp_path / "wide.png", arr)
    im = Image.fromarray(arr)

    # Run
    resized = read_quietly(tmp_path, size=8)
    cropped = read_quietly(tmp_path, size=8, crop="center")
    only_crop = read_quietly(tmp_path, crop="center")

    # Assert
    expected = np.asarray(im.resize((8, 8), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(resized.pixels[0], expected)
    square = im.crop((5, 0, 15, 10))
    expected = np.asarray(square.resize((8, 8), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(cropped.pixels[0], expected)
    np.testing.assert_array_equal(only_crop.pixels[0], arr[:, 5:15])


def test_grey_and_rgb_modes_match_pillow_for_files_and_arrays(tmp_path):
    # Setup
    rgb = np.random.default_rng(6).integers(0, 256, (2, 5, 5, 3), dtype=np.uint8)
    for i, a in enumerate(rgb):
        save_png(tmp_path / "f" / f"{i}.png", a)
    np.save(tmp_path / "x.npy", rgb)
    pil_grey = np.stack([np.asarray(Image.fromarray(a).convert("L")) for a in rgb])[..., None]

    # Run
    from_files = read_quietly(tmp_path / "f", mode="grey")
    from_array = read_quietly(tmp_path / "x.npy", mode="L")
    back_to_rgb = read_quietly(tmp_path / "x.npy", mode="rgb")

    # Assert
    np.testing.assert_array_equal(from_files.pixels, pil_grey)
    np.testing.assert_array_equal(from_array.pixels, pil_grey)  # vectorised = Pillow, bit for bit
    np.testing.assert_array_equal(back_to_rgb.pixels, rgb)


def test_keep_mode_gives_rgb_when_any_image_is_rgb(tmp_path):
    # Setup: two grey files sort before one RGB file, so the array widens after two images
    save_png(tmp_path / "a.png", np.full((3, 3), 10, np.uint8))
    save_png(tmp_path / "b.png", np.full((3, 3), 20, np.uint8))
    save_png(tmp_path / "c.png", np.full((3, 3, 3), (1, 2, 3), np.uint8))

    # Run
    kept = read_quietly(tmp_path)
    grey = read_quietly(tmp_path, mode="grey")

    # Assert
    assert kept.spec.channels == 3
    assert kept.pixels[:, 0, 0].tolist() == [[10, 10, 10], [20, 20, 20], [1, 2, 3]]
    assert grey.spec.channels == 1 and grey.pixels[:2, 0, 0, 0].tolist() == [10, 20]


def test_alpha_palette_and_16_bit_images_decode_to_8_bit(tmp_path):
    # Setup
    rgba = np.zeros((3, 3, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 0  # fully transparent red
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a_rgba.png")
    Image.fromarray(np.full((3, 3), 65535, np.uint16)).save(tmp_path / "b_16bit.png")
    pal = Image.fromarray(np.full((3, 3, 3), 77, np.uint8)).quantize(colors=4)  # mode "P"
    pal.save(tmp_path / "c_pal.png", transparency=3)  # no Pillow warning may leak

    # Run
    imgs = read_quietly(tmp_path, dedup=False)

    # Assert
    assert imgs.spec.channels == 3
    assert imgs.pixels[:, 0, 0].tolist() == [[200, 0, 0], [255, 255, 255], [77, 77, 77]]


def test_thread_pool_decoding_matches_single_thread(tmp_path, monkeypatch):
    # Setup: enough files for the pool (64+)
    imgs = tiny_images(n=80, size=4)
    write_images(imgs, tmp_path / "out")

    # Run
    monkeypatch.setenv("SYNTHSET_NUM_THREADS", "3")
    pooled = read_quietly(tmp_path / "out", size=3)
    monkeypatch.setenv("SYNTHSET_NUM_THREADS", "1")
    single = read_quietly(tmp_path / "out", size=3)

    # Assert
    np.testing.assert_array_equal(pooled.pixels, single.pixels)
    np.testing.assert_array_equal(pooled.labels, imgs.labels)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(size=0), "`size`"),
        (dict(size=(4, 4, 4)), "`size`"),
        (dict(mode="cmyk"), "`mode`"),
        (dict(crop="left"), "`crop`"),
    ],
)
def test_invalid_options_name_the_parameter(tmp_path, kwargs, match):
    save_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))

    with pytest.raises(ConfigError, match=match):
        read_images(tmp_path, **kwargs)


def test_unknown_extension_and_missing_path(tmp_path):
    (tmp_path / "x.docx").write_text("?")

    with pytest.raises(DataError, match="unknown extension '.docx'"):
        read_images(tmp_path / "x.docx")
    with pytest.raises(DataError, match="no such file"):
        read_images(tmp_path / "missing")


# --- writing ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["out", "out.parquet", "out.npz"])
def test_write_refuses_to_overwrite(tmp_path, name):
    # Setup
    imgs = tiny_images()
    write_images(imgs, tmp_path / name)

    # Run / Assert
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        write_images(imgs, tmp_path / name)
    grey = tiny_images(channels=1, seed=9)
    write_images(grey, tmp_path / name, overwrite=True)
    assert read_quietly(tmp_path / name).spec.channels == 1
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left behind


def test_write_unknown_suffix_or_format_raises(tmp_path):
    with pytest.raises(ConfigError, match="unknown extension '.png'"):
        write_images(tiny_images(), tmp_path / "x.png")
    with pytest.raises(ConfigError, match="`format`"):
        write_images(tiny_images(), tmp_path / "x", format="tar")


def test_write_unlabelled_folder_has_no_labels_file(tmp_path):
    imgs = Images.from_arrays(np.arange(3 * 4, dtype=np.uint8).reshape(3, 2, 2))

    out = write_images(imgs, tmp_path / "plain", format="png")

    assert not (out / "labels.csv").exists()
    np.testing.assert_array_equal(read_quietly(out).pixels, imgs.pixels)


def test_unlabelled_npz_round_trip(tmp_path):
    imgs = Images.from_arrays(np.arange(3 * 4, dtype=np.uint8).reshape(3, 2, 2))

    back = read_quietly(write_images(imgs, tmp_path / "u.npz"))

    assert back.labels is None
    np.testing.assert_array_equal(back.pixels, imgs.pixels)


# --- the small PNG codec ----------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3])),
    )
)
def test_png_codec_round_trips_and_pillow_agrees(img):
    from synthset.data._png import decode_png, encode_png

    data = encode_png(img)

    with Image.open(io.BytesIO(data)) as im:
        np.testing.assert_array_equal(np.asarray(im).reshape(img.shape), img)
    np.testing.assert_array_equal(decode_png(data).reshape(img.shape), img)


@pytest.mark.parametrize("optimize", [False, True])
def test_png_codec_reads_pillow_files_or_declines(optimize):
    from synthset.data._png import decode_png

    img = np.random.default_rng(7).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    img[:, :5] = 40  # some structure, so Pillow picks varied row filters
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=optimize)

    got = decode_png(buf.getvalue())

    assert got is None or np.array_equal(got, img)


def test_png_codec_declines_corrupt_and_palette_files():
    from synthset.data._png import decode_png, encode_png

    data = bytearray(encode_png(np.zeros((4, 4, 1), np.uint8)))
    data[-20] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    buf = io.BytesIO()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).quantize(4).save(buf, format="PNG")

    assert decode_png(bytes(data)) is None
    assert decode_png(buf.getvalue()) is None
    assert decode_png(b"GIF89a...") is None


@pytest.mark.parametrize("filter_type", [0, 1])  # "None" and "Sub" rows, as other writers make
def test_png_codec_reads_none_and_sub_filtered_rows(filter_type):
    import struct
    import zlib

    from synthset.data._png import SIGNATURE, _chunk, decode_png

    img = np.random.default_rng(8).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    px = img.copy()
    if filter_type == 1:
        px[:, 1:] = img[:, 1:] - img[:, :-1]  # each byte minus the same channel one pixel left
    rows = np.concatenate([np.full((5, 1), filter_type, np.uint8), px.reshape(5, 18)], axis=1)
    data = b"".join(
        [
            SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", 6, 5, 8, 2, 0, 0, 0)),
            _chunk(b"IDAT", zlib.compress(rows.tobytes())),
            _chunk(b"IEND", b""),
        ]
    )

    with Image.open(io.BytesIO(data)) as im:
        np.testing.assert_array_equal(np.asarray(im), img)  # a valid PNG
    np.testing.assert_array_equal(decode_png(data), img)


def test_images_beside_class_folders_is_ambiguous(tmp_path):
    save_png(tmp_path / "cat" / "a.png", np.zeros((3, 3), np.uint8))
    save_png(tmp_path / "stray.png", np.ones((3, 3), np.uint8))

    with pytest.raises(DataError, match=r"1 image file\(s\) beside the class folders cat"):
        read_images(tmp_path)
