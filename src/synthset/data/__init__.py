"""Data containers, specs and I/O."""

from synthset.data.audio import Audio, AudioSpec, as_audio, concat_audio
from synthset.data.audio_io import read_audio, write_audio
from synthset.data.image_io import read_images, write_images
from synthset.data.images import Images, ImageSpec, as_images, concat_images
from synthset.data.spec import ColumnSpec, TableSpec
from synthset.data.table import Table, as_table, read_table, write_table
from synthset.data.text_tokenizer import TextTokenizer
from synthset.data.texts import Texts, TextSpec, as_texts, concat_texts, read_texts, write_texts

__all__ = [
    "Audio",
    "AudioSpec",
    "as_audio",
    "concat_audio",
    "ColumnSpec",
    "ImageSpec",
    "Images",
    "Table",
    "TableSpec",
    "TextSpec",
    "TextTokenizer",
    "Texts",
    "as_images",
    "as_table",
    "as_texts",
    "concat_images",
    "concat_texts",
    "read_audio",
    "read_images",
    "read_table",
    "read_texts",
    "write_audio",
    "write_images",
    "write_table",
    "write_texts",
]
