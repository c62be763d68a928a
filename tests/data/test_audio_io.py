"""Audio I/O: folders, labels files, single files and Parquet; resampling, lengths, round trips."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from synthset.data.audio import Audio
from synthset.data.audio_io import (
    AudioLengthWarning,
    crop_rows,
    is_audio_parquet,
    read_audio,
    trim_silence_rows,
    write_audio,
)
from synthset.errors import ConfigError, DataError, OutputExistsError

SR = 8_000


def tone(freq: float, seconds: float = 0.25, sr: int = SR, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def tiny_audio(n: int = 16, seed: int = 0) -> Audio:
    """``n`` clips of 0.25 s at 8 kHz: "low" tones (200-400 Hz) and "high" noise bursts."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, SR // 4), np.float32)
    for i in range(n):
        if i % 2 == 0:
            x[i] = tone(rng.uniform(200, 400), amp=rng.uniform(0.2, 0.8))
        else:
            x[i, 500:1500] = rng.uniform(-0.5, 0.5, 1000)
    return Audio.from_arrays(
        x, SR, labels=["low", "high"] * (n // 2), classes=["low", "high"], name="tiny"
    )


def save(path, wave: np.ndarray, sr: int = SR) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, sr, subtype="FLOAT" if path.suffix == ".wav" else "PCM_16")


# --- reading folders --------------------------------------------------------------------------
def test_read_class_subfolders_labels_each_clip_by_its_folder(tmp_path):
    # Setup
    save(tmp_path / "dog" / "a.wav", tone(300))
    save(tmp_path / "cat" / "deep" / "b.flac", tone(500))
    save(tmp_path / "cat" / "c.wav", tone(700))
    (tmp_path / "notes.txt").write_text("not audio")

    # Run
    clips = read_audio(tmp_path)

    # Assert
    assert clips.shape == (3, SR // 4) and clips.sample_rate == SR
    assert clips.spec.classes == ["cat", "dog"]
    assert clips.label_names.tolist() == ["cat", "cat", "dog"]  # sorted files per class
    np.testing.assert_allclose(clips.waveforms[2], tone(300), atol=1e-6)
    np.testing.assert_allclose(clips.waveforms[0], tone(700), atol=1e-6)  # c.wav < deep/b.flac
    np.testing.assert_allclose(clips.waveforms[1], tone(500), atol=1 / 32768)
    assert clips.name == tmp_path.name


def test_read_labels_csv_and_unknown_column_error(tmp_path):
    # Setup
    save(tmp_path / "x.wav", tone(300))
    save(tmp_path / "y.wav", tone(600))
    (tmp_path / "labels.csv").write_text("file,word\nx.wav,yes\ny.wav,no\n")

    # Run
    clips = read_audio(tmp_path)

    # Assert: the only other column is the label, whatever its name
    assert clips.label_names.tolist() == ["yes", "no"] and clips.spec.label_name == "word"
    (tmp_path / "labels.csv").write_text("file,word,speaker\nx.wav,yes,a\ny.wav,no,b\n")
    with pytest.raises(DataError, match="no column 'label'"):
        read_audio(tmp_path)
    assert read_audio(tmp_path, label_column="speaker").label_names.tolist() == ["a", "b"]


def test_read_resamples_to_most_common_rate_and_mixes_to_mono(tmp_path):
    # Setup: two files at 8 kHz, one stereo file at 16 kHz
    save(tmp_path / "a.wav", tone(440))
    save(tmp_path / "b.wav", tone(220))
    stereo = np.stack([tone(440, sr=16_000), np.zeros(4000, np.float32)], axis=1)
    save(tmp_path / "c.wav", stereo, sr=16_000)

    # Run
    clips = read_audio(tmp_path)

    # Assert: 8 kHz wins; the stereo clip is the mean of its channels, resampled
    assert clips.sample_rate == SR and clips.shape == (3, SR // 4)
    mid = slice(100, -100)  # away from the resampling filter's edges
    np.testing.assert_allclose(clips.waveforms[2][mid], 0.5 * tone(440)[mid], atol=0.02)
    with pytest.raises(DataError, match="c.wav.*channels"):
        read_audio(tmp_path, mono=False)


def test_read_fixes_length_duration_and_normalizes(tmp_path):
    # Setup: clips of 0.1 s, 0.1 s and 0.5 s
    save(tmp_path / "short.wav", tone(300, 0.1))
    save(tmp_path / "short2.wav", tone(400, 0.1))
    save(tmp_path / "long.wav", tone(300, 0.5, amp=0.1))

    # Run
    with pytest.warns(AudioLengthWarning, match="pass duration="):
        padded = read_audio(tmp_path)  # median length 0.1 s < half of 0.5 s: warned
    cut = read_audio(tmp_path, duration=0.2, sample_rate=16_000, normalize=-20.0)

    # Assert
    assert padded.shape == (3, 4000)
    assert not padded.waveforms[1, 800:].any()  # "short" zero-padded
    assert cut.shape == (3, 3200) and cut.sample_rate == 16_000
    rms = np.sqrt(np.mean(cut.waveforms.astype(np.float64) ** 2, axis=1))
    np.testing.assert_allclose(20 * np.log10(rms), -20.0, atol=0.1)
    with pytest.raises(ConfigError, match="not both"):
        read_audio(tmp_path, duration=1.0, length=100)


def test_read_trim_silence_cuts_leading_and_trailing_silence(tmp_path):
    # Setup: 0.1 s silence, 0.2 s tone, 0.2 s silence
    wave = np.concatenate([np.zeros(800), tone(300, 0.2), np.zeros(1600)]).astype(np.float32)
    save(tmp_path / "a.wav", wave)

    # Run
    clips = read_audio(tmp_path / "a.wav", trim_silence=True)

    # Assert: the tone alone is left, to within a 10 ms frame
    assert abs(clips.spec.length - 1600) <= 80
    assert np.abs(clips.waveforms[0, :80]).max() > 0.1


def test_read_errors_name_the_problem(tmp_path):
    # empty folder
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="is empty"):
        read_audio(tmp_path / "empty")
    # no audio files
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    with pytest.raises(DataError, match="no audio files"):
        read_audio(tmp_path / "docs")
    # unreadable file, named
    save(tmp_path / "mixed" / "ok.wav", tone(300))
    (tmp_path / "mixed" / "broken.wav").write_bytes(b"RIFF not really a wave file")
    with pytest.raises(DataError, match="broken.wav"):
        read_audio(tmp_path / "mixed")
    with pytest.raises(DataError, match="no such file"):
        read_audio(tmp_path / "missing")
    with pytest.raises(DataError, match="unknown extension"):
        read_audio(tmp_path / "docs" / "a.txt")


# --- vectorised helpers -----------------------------------------------------------------------
def test_crop_rows_places_each_row_at_its_offset():
    x = np.arange(20, dtype=np.float32).reshape(2, 10) + 1
    out = crop_rows(x, start=np.array([2, 0]), count=np.array([3, 10]), width=6, offset=[1, 4])
    np.testing.assert_array_equal(out[0], [0, 3, 4, 5, 0, 0])
    np.testing.assert_array_equal(out[1], [0, 0, 0, 0, 11, 12])


def test_trim_silence_rows_matches_per_row_bounds():
    x = np.zeros((2, 1000), np.float32)
    x[0, 300:500] = 0.5
    x[1, :100] = 0.5
    out, lengths = trim_silence_rows(x, np.array([1000, 1000]), 1000)  # 10-sample frames
    assert lengths.tolist() == [200, 100]
    assert (out[0, :200] == 0.5).all() and (out[1, :100] == 0.5).all()


# --- writing and round trips ------------------------------------------------------------------
def test_wav_folder_round_trip_within_one_16bit_step(tmp_path):
    # Setup
    clips = tiny_audio()
    clips.waveforms[0, :3] = [1.0, -1.0, 0.99999]  # full scale is representable

    # Run
    write_audio(clips, tmp_path / "out")
    back = read_audio(tmp_path / "out")

    # Assert
    assert sorted(p.name for p in (tmp_path / "out").iterdir())[:2] == ["000000.wav", "000001.wav"]
    assert np.abs(back.waveforms - clips.waveforms).max() <= 1 / 32768
    np.testing.assert_array_equal(back.labels, clips.labels)
    assert back.spec.classes == ["low", "high"]  # class order kept through spec.json
    assert json.loads((tmp_path / "out" / "spec.json").read_text())["sample_rate"] == SR


def test_flac_and_parquet_round_trips(tmp_path):
    # Setup
    clips = tiny_audio()

    # Run
    write_audio(clips, tmp_path / "flac", format="flac")
    write_audio(clips, tmp_path / "clips.parquet")
    from_flac = read_audio(tmp_path / "flac")
    from_parquet = read_audio(tmp_path / "clips.parquet")

    # Assert
    assert (tmp_path / "flac" / "000000.flac").is_file()
    for back in (from_flac, from_parquet):
        assert np.abs(back.waveforms - clips.waveforms).max() <= 1 / 32768
        np.testing.assert_array_equal(back.labels, clips.labels)
        assert back.spec.classes == ["low", "high"] and back.sample_rate == SR
    table = pq.read_table(tmp_path / "clips.parquet")
    assert table.column_names == ["audio", "label", "sample_rate"]
    assert table.column("audio")[0]["bytes"].as_py()[:4] == b"fLaC"
    meta = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert meta["audio"] == {"_type": "Audio", "sampling_rate": SR}
    assert is_audio_parquet(tmp_path / "clips.parquet")


def test_read_hugging_face_parquet_struct_and_string_labels(tmp_path):
    # Setup: {"bytes", "path"} structs (one by path only), string labels, no metadata
    wav_bytes = io.BytesIO()
    sf.write(wav_bytes, tone(300), SR, format="WAV")
    save(tmp_path / "side.wav", tone(600))
    audio = pa.array(
        [{"bytes": wav_bytes.getvalue(), "path": "a.wav"}, {"bytes": None, "path": "side.wav"}],
        pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
    )
    pq.write_table(pa.table({"audio": audio, "word": ["yes", "no"]}), tmp_path / "hf.parquet")

    # Run
    clips = read_audio(tmp_path / "hf.parquet", label_column="word")

    # Assert
    assert clips.label_names.tolist() == ["yes", "no"] and clips.shape == (2, SR // 4)
    np.testing.assert_allclose(clips.waveforms[1], tone(600), atol=1e-4)
    with pytest.raises(DataError, match="no column 'speaker'"):
        read_audio(tmp_path / "hf.parquet", label_column="speaker")


def test_write_refuses_overwrite_and_bad_formats(tmp_path):
    clips = tiny_audio()
    write_audio(clips, tmp_path / "out")
    with pytest.raises(OutputExistsError):
        write_audio(clips, tmp_path / "out")
    write_audio(clips[:2], tmp_path / "out", overwrite=True)
    assert len(read_audio(tmp_path / "out")) == 2
    with pytest.raises(ConfigError, match="unknown extension"):
        write_audio(clips, tmp_path / "out.mp4")
    with pytest.raises(ConfigError, match="single file"):
        write_audio(clips, tmp_path / "one.wav")
    with pytest.raises(ConfigError, match="subtype"):
        write_audio(clips, tmp_path / "f", format="flac", subtype="FLOAT")
    write_audio(clips[:1], tmp_path / "one.flac")
    assert read_audio(tmp_path / "one.flac").shape == (1, SR // 4)


def test_unlabelled_with_source_writes_provenance(tmp_path):
    clips = Audio(tiny_audio().waveforms, sample_rate=SR)
    clips.source = np.array(["real"] * 8 + ["synthetic"] * 8, dtype=object)
    write_audio(clips, tmp_path / "out")
    assert (tmp_path / "out" / "provenance.csv").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read_audio(tmp_path / "out")
    assert back.labels is None and len(back) == 16
