"""Direct identifiers: find the columns that name a person outright, then drop or fake them.

A synthesizer must never learn a column whose values point at one person (a customer number, an
e-mail address, a phone number, a name, a free-text note): modelling it can only reproduce it.
:func:`detect_identifiers` flags such columns from two kinds of evidence:

* **the values**, on a seeded sample of at most ``SAMPLE_ROWS`` non-missing values per column,
  tested with vectorised ``pandas.Series.str`` regular expressions (e-mail, phone, IPv4/IPv6,
  card numbers with a Luhn check, US social security numbers, person names, free text);
* **the column name** (``email``, ``phone``, ``first_name``, ``ssn``, ``customer_id`` ...), which
  lowers the share of values that must match but never flags a column on its own, except a
  national-id name over nearly unique values (such ids have no universal shape).

Id-like columns are those the spec already calls ``id`` (unique strings, or integers that are
named like ids or consecutive), strings that are distinct in at least 95% of rows, and
integers named like an id that are distinct in at least 95% of rows. Cardinality is measured on
the whole column (``nunique`` is one hash pass); only the regular expressions use the sample.

False positives cost a useful column, so every test asks for strong evidence: 80% of the sampled
values (50% with a name hint), shapes that ordinary categories and measurements do not have,
and, for phones, names and free text, many distinct values. None of the bundled tables (adult,
penguins, breast_cancer) has a flagged column. Findings carry counts and shares, never values.

:func:`strip_identifiers` then drops the flagged columns, or replaces them with fake but
well-formed values generated from a seed alone (:func:`fake_identifiers`): nothing in them
comes from the real values. Free text cannot be faked safely (any generator of plausible notes
would have to learn from the real ones), so it is dropped under both actions.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthset.data.spec import ColumnSpec, TableSpec
from synthset.errors import ConfigError
from synthset.utils import derive_seed, make_rng

IDENTIFIER_KINDS = (
    "id",
    "email",
    "phone",
    "name",
    "free_text",
    "ip",
    "credit_card",
    "national_id",
)
ACTIONS = ("drop", "replace")
REPLACEABLE = frozenset(IDENTIFIER_KINDS) - {"free_text"}

SAMPLE_ROWS = 2_000  # values per column the regular expressions read
MIN_SHARE = 0.8  # share of sampled values that must match a pattern
HINTED_SHARE = 0.5  # ... when the column name hints at the kind
MIN_VALUES = 10  # fewer sampled values than this: only a name hint can flag a pattern
ID_DISTINCT = 0.95  # distinct share of an id-like column
ID_MIN_ROWS = 20  # as the spec's id detection: uniqueness means nothing in tinier columns
PHONE_DISTINCT = 0.3  # phones of different people differ; brackets like "50000-75000" repeat
NAME_MIN_DISTINCT = 10  # a column of 3 distinct capitalised words is a category, not names
FREE_TEXT_TOKENS = 5.0  # mean words per value of free text (3 with a name hint)
FREE_TEXT_DISTINCT = 0.5

# --- patterns (matched against whole, stripped values) -------------------------------------
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
IPV4 = r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})"
IPV6 = r"(?=.*::|(?:[^:]*:){3})[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
CARD = r"(?:\d[ \-]?){12,18}\d"
SSN = r"\d{3}-\d{2}-\d{4}"
PHONE_CHARS = r"\+?[\d\s().\-/]+"
PLAIN_NUMBER = r"[+\-]?\d+(?:\.\d+)?"
DATE_LIKE = r"\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}|\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}"
# a leading + or (, or three digit groups ("555 123 4567"); "1000-1999" is a range, not a phone
PHONE_SHAPE = r"[+(].*|\d+[\s.\-/)(]+\d+[\s.\-/)(]+\d+.*"
_PARTICLE = r"(?:de|da|del|della|der|di|du|la|le|van|von|bin|al|y)"
_NAME_TOKEN = r"[A-Z][A-Za-z'’\-]*\.?"
NAME_SHAPE = rf"{_NAME_TOKEN}(?:\s+(?:{_PARTICLE}\s+)*{_NAME_TOKEN}){{0,3}}"

# --- column-name hints: tokens of the lower-cased, camelCase-split name --------------------
EMAIL_HINTS = frozenset({"email", "mail", "emailaddress"})
PHONE_HINTS = frozenset(
    {"phone", "telephone", "tel", "mobile", "cell", "fax", "phonenumber", "msisdn"}
)
IP_HINTS = frozenset({"ip", "ipaddress", "ipv4", "ipv6"})
CARD_HINTS = frozenset({"card", "cc", "creditcard", "pan", "ccnumber"})
NATIONAL_ID_HINTS = frozenset(
    {
        "ssn",
        "nino",
        "passport",
        "nhs",
        "nationalid",
        "socialsecurity",
        "taxid",
        "taxpayer",
        "license",
        "licence",
        "insee",
        "bsn",
        "aadhaar",
    }
)
ID_HINTS = frozenset(
    {"id", "uuid", "guid", "key", "mrn", "account", "accountnumber", "record", "identifier"}
)
NAME_COMPOUNDS = frozenset(
    {
        "surname",
        "firstname",
        "lastname",
        "fullname",
        "forename",
        "givenname",
        "familyname",
        "middlename",
        "maidenname",
        "username",
    }
)
PERSON_WORDS = frozenset(
    {
        "first",
        "last",
        "given",
        "family",
        "full",
        "middle",
        "maiden",
        "patient",
        "customer",
        "client",
        "employee",
        "user",
        "contact",
        "person",
        "owner",
        "holder",
        "member",
        "student",
        "author",
        "father",
        "mother",
        "spouse",
        "applicant",
        "sender",
        "recipient",
        "driver",
        "doctor",
        "physician",
    }
)
FREE_TEXT_HINTS = frozenset(
    {
        "comment",
        "comments",
        "note",
        "notes",
        "description",
        "text",
        "message",
        "remarks",
        "remark",
        "feedback",
        "review",
        "body",
        "narrative",
        "complaint",
    }
)

# Common US given names and surnames (public census frequency lists): evidence for the name
# detector, and the pool fake names are drawn from.
FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy "
    "Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
    "Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela "
    "Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine "
    "Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria "
    "Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce Henry Virginia "
    "Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Noah Joan Ethan Evelyn Jeremy "
    "Judith Walter Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Austin "
    "Martha Sean Gloria Gerald Teresa Carl Ann Harold Sara Dylan Madison Arthur Frances Lawrence "
    "Kathryn Jordan Janice Jesse Jean Bryan Abigail Billy Alice Bruce Judy Gabriel Sophia Joe "
    "Grace Logan Denise Alan Amber Juan Doris Albert Marilyn Willie Danielle Elijah Beverly "
    "Wayne Isabella Randy Theresa Vincent Diana Mason Natalie Roy Brittany Ralph Charlotte "
    "Bobby Marie Russell Kayla Bradley Alexis Philip Lori"
).split()
SURNAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales "
    "Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos "
    "Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes "
    "Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry "
    "Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons "
    "Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West "
    "Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro "
    "Marshall Owens Harrison Fernandez Mcdonald Woods Washington Kennedy Wells Vargas Henry "
    "Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd "
    "Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols "
    "Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins"
).split()
_KNOWN_NAMES = frozenset(n.lower() for n in FIRST_NAMES + SURNAMES)


@dataclass(frozen=True)
class IdentifierFinding:
    """A column flagged as a direct identifier, with the evidence (never the values).

    Attributes:
        column: the column's name.
        kind: one of :data:`IDENTIFIER_KINDS`.
        share: share of the sampled non-missing values that passed the kind's test (for ids:
            the share of distinct values in the whole column).
        matched: how many sampled values passed it.
        sampled: how many non-missing values were tested.
        distinct_share: distinct values / non-missing values, over the whole column.
        name_hint: whether the column's name suggests the kind.
        reason: one sentence saying why the column was flagged.
        tokens: mean number of words per sampled value (shapes the fake names: a full-name
            column gets "First Last", a first-name column one word).
    """

    column: str
    kind: str
    share: float
    matched: int
    sampled: int
    distinct_share: float
    name_hint: bool
    reason: str
    tokens: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- detection -----------------------------------------------------------------------------
def detect_identifiers(
    df: pd.DataFrame | Any,
    spec: TableSpec | None = None,
    *,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
) -> list[IdentifierFinding]:
    """Flag the columns of ``df`` that hold direct identifiers.

    Args:
        df: a DataFrame or :class:`~synthset.data.table.Table`.
        spec: the table's spec (its ``id`` columns are flagged); detected when omitted.
        sample_rows: non-missing values per column the patterns are tested on.
        seed: seed of that sample.

    Returns:
        One :class:`IdentifierFinding` per flagged column, in column order.
    """
    if hasattr(df, "spec") and hasattr(df, "data"):
        spec = spec if spec is not None else df.spec
        df = df.data
    if not isinstance(df, pd.DataFrame):
        raise ConfigError(f"expected a DataFrame or Table, got {type(df).__name__}")
    if spec is None:
        spec = TableSpec.detect(df)
    if not isinstance(sample_rows, int) or sample_rows < 1:
        raise ConfigError(f"`sample_rows` must be an int ≥ 1, got {sample_rows!r}")
    findings = []
    for i, name in enumerate(df.columns):
        col_spec = spec[name] if name in spec else None
        finding = _detect_column(df[name], col_spec, sample_rows, derive_seed(seed, i))
        if finding is not None:
            findings.append(finding)
    return findings


def _detect_column(
    s: pd.Series, col_spec: ColumnSpec | None, sample_rows: int, seed: int | None
) -> IdentifierFinding | None:
    kind = col_spec.kind if col_spec is not None else None
    dtype = s.dtype
    if kind in ("datetime", "boolean", "continuous") or pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return None
    nonnull = s.dropna()
    if not len(nonnull):
        return None
    hints = _name_tokens(str(s.name))
    distinct = float(nonnull.nunique()) / len(nonnull)
    numeric = pd.api.types.is_numeric_dtype(dtype)
    if numeric:
        if pd.api.types.is_float_dtype(dtype) and not np.all(np.mod(nonnull, 1) == 0):
            return None  # measurements, not keys
        values = nonnull.astype("int64").astype(str)
    elif isinstance(dtype, pd.CategoricalDtype) or _is_string(dtype):
        values = nonnull.astype(str).str.strip()
    else:
        return None
    if len(values) > sample_rows:
        values = values.sample(sample_rows, random_state=int(seed or 0) % 2**32)
    values = values.reset_index(drop=True)
    ctx = _Column(str(s.name), values, hints, distinct, len(nonnull), kind == "id")
    tests = _NUMERIC_TESTS if numeric else _STRING_TESTS
    for test in tests:
        finding = test(ctx)
        if finding is not None:
            return finding
    return None


def _is_string(dtype: Any) -> bool:
    return pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_numeric_dtype(dtype)


def _name_tokens(name: str) -> frozenset[str]:
    """Lower-case words of a column name (``customerEmail`` → customer, email), plus the words
    joined (``first_name`` → firstname) so compound hints match either spelling."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    joined = "".join(words)
    pairs = {a + b for a, b in zip(words, words[1:], strict=False)}
    return frozenset({*words, *pairs, joined})


@dataclass
class _Column:
    name: str
    values: pd.Series  # stripped string values of the sample
    hints: frozenset[str]
    distinct: float  # over the whole column
    n_nonnull: int
    spec_says_id: bool

    def finding(
        self, kind: str, mask: pd.Series | np.ndarray, hinted: bool, why: str
    ) -> IdentifierFinding:
        matched = int(np.asarray(mask).sum())
        n = len(self.values)
        hint = " (the column name hints it)" if hinted else ""
        return IdentifierFinding(
            column=self.name,
            kind=kind,
            share=matched / n if n else 0.0,
            matched=matched,
            sampled=n,
            distinct_share=self.distinct,
            name_hint=hinted,
            reason=f"{matched:,} of {n:,} sampled values {why}{hint}",
            tokens=float(self.values.str.split().str.len().mean()) if n else 1.0,
        )

    def enough(self, mask: pd.Series | np.ndarray, hinted: bool) -> bool:
        """Whether the matches are strong evidence (share, and enough values without a hint)."""
        n = len(self.values)
        if n == 0 or (n < MIN_VALUES and not hinted):
            return False
        return float(np.asarray(mask).mean()) >= (HINTED_SHARE if hinted else MIN_SHARE)


def _full(values: pd.Series, pattern: str) -> pd.Series:
    return values.str.fullmatch(pattern).fillna(False).astype(bool)


def _digits(values: pd.Series) -> pd.Series:
    return values.str.replace(r"\D", "", regex=True)


def luhn_valid(digits: pd.Series) -> np.ndarray:
    """Whether each string of 1-19 digits passes the Luhn checksum (vectorised)."""
    if not len(digits):
        return np.zeros(0, dtype=bool)
    padded = digits.str.zfill(19).str[-19:]
    arr = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).reshape(-1, 19) - 48
    arr = arr.astype(np.int64)
    doubled = arr[:, 18 - 1 :: -2] * 2  # every second digit from the right, check digit excluded
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = arr[:, 18::-2].sum(1) + doubled.sum(1)
    return total % 10 == 0


# --- one test per kind (the first that fires wins) -----------------------------------------
def _email(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & EMAIL_HINTS)
    mask = _full(c.values, EMAIL)
    if c.enough(mask, hinted):
        return c.finding("email", mask, hinted, "look like e-mail addresses")
    return None


def _credit_card(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & CARD_HINTS)
    shaped = _full(c.values, CARD)
    mask = shaped.copy()
    if shaped.any():
        mask[shaped] = luhn_valid(_digits(c.values[shaped]))
    if c.enough(mask, hinted) and (hinted or len(c.values) >= MIN_VALUES):
        return c.finding("credit_card", mask, hinted, "are 13-19 digit numbers passing Luhn")
    return None


def _national_id(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & NATIONAL_ID_HINTS)
    mask = _full(c.values, SSN)
    if c.enough(mask, hinted):
        return c.finding("national_id", mask, hinted, "look like US social security numbers")
    if hinted and c.distinct >= ID_DISTINCT and c.n_nonnull >= MIN_VALUES:
        everything = np.ones(len(c.values), dtype=bool)
        return c.finding("national_id", everything, True, "are nearly all distinct")
    return None


def _ip(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & IP_HINTS)
    parts = c.values.str.extract(f"^{IPV4}$")
    v4 = parts.notna().all(axis=1)
    if v4.any():
        octets = parts[v4].astype("int64")
        v4[v4] = (octets <= 255).all(axis=1)
    mask = v4 | _full(c.values, IPV6)
    if c.enough(mask, hinted):
        return c.finding("ip", mask, hinted, "look like IP addresses")
    return None


def _phone(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & PHONE_HINTS)
    n_digits = _digits(c.values).str.len()
    mask = _full(c.values, PHONE_CHARS) & n_digits.between(7, 15)
    if not hinted:
        # a bare number or a date has the characters of a phone number but not its shape
        mask &= ~_full(c.values, PLAIN_NUMBER) & ~_full(c.values, DATE_LIKE)
        mask &= _full(c.values, PHONE_SHAPE)
        if c.distinct < PHONE_DISTINCT:
            return None
    if c.enough(mask, hinted):
        return c.finding("phone", mask, hinted, "look like phone numbers")
    return None


def _free_text(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & FREE_TEXT_HINTS)
    words = c.values.str.count(r"\S+")
    need = 3.0 if hinted else FREE_TEXT_TOKENS
    if len(c.values) == 0 or float(words.mean()) < need or c.distinct < FREE_TEXT_DISTINCT:
        return None
    mask = words >= 3
    if c.enough(mask, hinted):
        return c.finding("free_text", mask, hinted, "are sentences of 3 or more words")
    return None


def _name(c: _Column) -> IdentifierFinding | None:
    words = c.hints
    hinted = bool(words & NAME_COMPOUNDS) or (
        "name" in words and (len(words) == 1 or bool(words & PERSON_WORDS))
    )
    shaped = _full(c.values, NAME_SHAPE)
    n_distinct = c.distinct * c.n_nonnull
    if hinted:
        # "species name" with three values is a category: names vary (or the table is tiny)
        varied = n_distinct >= NAME_MIN_DISTINCT or c.distinct >= 0.5
        if varied and c.enough(shaped, True):
            return c.finding("name", shaped, True, "look like person names")
        return None
    if n_distinct < NAME_MIN_DISTINCT:
        return None
    tokens = c.values.str.lower().str.split().explode()
    known = tokens.isin(_KNOWN_NAMES).groupby(level=0).any().reindex(c.values.index)
    known = known.fillna(False).astype(bool)
    # capitalised words alone are places and products too: ask for known given / family names
    mask = shaped & known
    if c.enough(shaped, False) and float(known.mean()) >= 0.5:
        return c.finding("name", mask, False, "look like person names (common given names)")
    return None


def _string_id(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & ID_HINTS)
    if c.spec_says_id or (c.n_nonnull >= ID_MIN_ROWS and c.distinct >= ID_DISTINCT):
        return _id_finding(c, hinted)
    return None


def _numeric_id(c: _Column) -> IdentifierFinding | None:
    hinted = bool(c.hints & ID_HINTS)
    if c.spec_says_id or (hinted and c.n_nonnull >= ID_MIN_ROWS and c.distinct >= ID_DISTINCT):
        return _id_finding(c, hinted)
    return None


def _id_finding(c: _Column, hinted: bool) -> IdentifierFinding:
    why = "the spec detected a key" if c.spec_says_id else "distinct in nearly every row"
    hint = " (the column name hints it)" if hinted else ""
    return IdentifierFinding(
        column=c.name,
        kind="id",
        share=c.distinct,
        matched=int(round(c.distinct * c.n_nonnull)),
        sampled=c.n_nonnull,
        distinct_share=c.distinct,
        name_hint=hinted,
        reason=f"{c.distinct:.0%} of {c.n_nonnull:,} values are distinct: {why}{hint}",
    )


def _numeric_phone(c: _Column) -> IdentifierFinding | None:
    if not c.hints & PHONE_HINTS:
        return None
    mask = c.values.str.len().between(7, 15)
    if c.enough(mask, True):
        return c.finding("phone", mask, True, "are 7-15 digit numbers")
    return None


def _numeric_national_id(c: _Column) -> IdentifierFinding | None:
    if not c.hints & NATIONAL_ID_HINTS or c.distinct < ID_DISTINCT:
        return None
    everything = np.ones(len(c.values), dtype=bool)
    return c.finding("national_id", everything, True, "are nearly all distinct numbers")


_STRING_TESTS = (_email, _credit_card, _national_id, _ip, _phone, _free_text, _name, _string_id)
_NUMERIC_TESTS = (_credit_card, _numeric_national_id, _numeric_phone, _numeric_id)


# --- removal and replacement ---------------------------------------------------------------
def identifier_actions(findings: list[IdentifierFinding], action: str) -> dict[str, str]:
    """``{column: "drop" | "replace"}`` for ``action`` (free text is always dropped)."""
    if action not in ACTIONS:
        raise ConfigError(f"`identifiers` must be one of {ACTIONS}, got {action!r}")
    return {
        f.column: "replace" if action == "replace" and f.kind in REPLACEABLE else "drop"
        for f in findings
    }


def strip_identifiers(
    df: pd.DataFrame,
    findings: list[IdentifierFinding],
    action: str = "drop",
    *,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Remove the flagged columns, or replace their values with fakes.

    Args:
        df: the frame the findings were made on.
        findings: from :func:`detect_identifiers`.
        action: ``"drop"`` removes the columns; ``"replace"`` puts fake, well-formed values
            in their place (see :func:`fake_identifiers`), except free text, which is dropped
            because it cannot be faked without learning from it.
        seed: seed of the fake values.

    Returns:
        A new frame; ``df`` is not modified.
    """
    actions = identifier_actions(findings, action)
    missing = [c for c in actions if c not in df.columns]
    if missing:
        raise ConfigError(f"findings name columns the frame lacks: {missing}")
    kept = df.drop(columns=list(actions))
    if action == "drop":
        return kept
    return add_fake_identifiers(
        kept, findings, list(df.columns), seed=seed, dtypes=df.dtypes.to_dict()
    )


def add_fake_identifiers(
    df: pd.DataFrame,
    findings: list[IdentifierFinding],
    columns: list[str],
    *,
    seed: int | None = 0,
    dtypes: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Insert a fake column for every replaceable finding, at its place in ``columns``.

    Used on synthetic output: the identifier columns were dropped before fitting, and each gets
    ``len(df)`` fresh values drawn from ``seed`` alone. Free-text findings stay out.

    Args:
        df: the frame without the identifier columns.
        findings: the identifiers found on the real data.
        columns: the real data's column order.
        seed: seed of the fake values (each column derives its own).
        dtypes: the real columns' dtypes (integer ids stay integers).
    """
    fakes = {
        f.column: fake_identifiers(
            f.kind,
            len(df),
            seed=derive_seed(seed, i),
            dtype=(dtypes or {}).get(f.column),
            tokens=f.tokens,
        )
        for i, f in enumerate(findings)
        if f.kind in REPLACEABLE
    }
    out = {}
    for name in columns:
        if name in fakes:
            out[name] = fakes[name].to_numpy()
        elif name in df.columns:
            out[name] = df[name]
    out.update({c: df[c] for c in df.columns if c not in out})  # columns not in `columns`
    return pd.DataFrame(out, index=df.index)


def fake_identifiers(
    kind: str,
    n: int,
    *,
    seed: int | None = 0,
    dtype: Any = None,
    tokens: float = 1.0,
) -> pd.Series:
    """``n`` fake, well-formed values of an identifier ``kind``, from ``seed`` alone.

    * ``id``: fresh sequential ids 1..n (integers if ``dtype`` is an integer type, else
      ``"ID000001"``...);
    * ``email``: ``user1@example.com``... (example.com is reserved for documentation, RFC 2606);
    * ``phone``: ``(NNN) 555-01NN``, the 555-0100 to 555-0199 range reserved for fiction;
    * ``name``: drawn from a built-in list of common given names (``tokens`` ≥ 1.5: "Given
      Family", as full-name columns hold);
    * ``ip``: addresses in the documentation ranges of RFC 5737 (192.0.2.0/24, ...);
    * ``credit_card``: 16 digits with a valid Luhn check digit, starting with 0, which no card
      issuer uses;
    * ``national_id``: ``000-NN-NNNN``; area number 000 is never issued.

    Raises:
        ConfigError: ``free_text`` or an unknown kind.
    """
    if kind not in REPLACEABLE:
        raise ConfigError(
            f"cannot fake identifiers of kind {kind!r}; fakeable kinds: {sorted(REPLACEABLE)}"
            + (" (free text is dropped instead)" if kind == "free_text" else "")
        )
    rng = make_rng(seed)
    k = pd.Series(np.arange(1, n + 1))
    if kind == "id":
        if dtype is not None and pd.api.types.is_integer_dtype(dtype):
            return pd.Series(np.arange(1, n + 1, dtype=np.int64))
        return "ID" + k.astype(str).str.zfill(max(6, len(str(n))))
    if kind == "email":
        return "user" + k.astype(str) + "@example.com"
    if kind == "phone":
        area = pd.Series(rng.integers(201, 990, n)).astype(str)
        line = pd.Series(rng.integers(0, 100, n)).astype(str).str.zfill(2)
        return "(" + area + ") 555-01" + line
    if kind == "name":
        first = pd.Series(np.asarray(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)])
        if tokens < 1.5:
            return first
        last = pd.Series(np.asarray(SURNAMES)[rng.integers(0, len(SURNAMES), n)])
        return first + " " + last
    if kind == "ip":
        nets = np.asarray(["192.0.2.", "198.51.100.", "203.0.113."])
        net = pd.Series(nets[rng.integers(0, 3, n)])
        return net + pd.Series(rng.integers(1, 255, n)).astype(str)
    if kind == "credit_card":
        body = rng.integers(0, 10, (n, 15))
        body[:, 0] = 0
        number = body @ (10 ** np.arange(14, -1, -1, dtype=np.int64))  # 15 digits fit int64
        number = number * 10 + _luhn_check_digit(body)
        digits = pd.Series(number).astype(str).str.zfill(16)
        return digits.str.replace(r"(\d{4})(?=\d)", r"\1 ", regex=True)
    # national_id
    group = pd.Series(rng.integers(1, 100, n)).astype(str).str.zfill(2)
    serial = pd.Series(rng.integers(1, 10_000, n)).astype(str).str.zfill(4)
    return "000-" + group + "-" + serial


def _luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """The Luhn check digit of each row of 15 digits (the check digit goes last)."""
    # from the right of the final 16-digit number, the body's last digit is doubled
    doubled = body[:, ::-1][:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(1) + body[:, ::-1][:, 1::2].sum(1)
    return (10 - total % 10) % 10
