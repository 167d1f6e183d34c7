"""Text rules shared by the store, the exports and every output: folding, search tokens, visibility.

* :func:`fold` compares names: case, accents, dashes, quotes and spacing do not count.
* :func:`index_text` and :func:`match_query` are the one definition of full-text search,
  used by the compiled store and by the SQLite export alike: Latin text matches whole
  words (``port`` is not ``transport``), and in scripts written without spaces (Chinese,
  Japanese, Thai, Lao, Khmer, Burmese) every substring up to :data:`SUBSTRING_MAX`
  characters is a token, so a plain FTS5 ``MATCH '雅万'`` finds ``雅万高铁``.
* :func:`visible` is the one sanitiser: control characters, escape sequences, bidi
  controls and invisible characters from data, file names or arguments are shown as
  escapes (``\\x1b``, ``\\u202e``) and can never drive a terminal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache

_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Fold case, accents, dashes, quotes and spacing: 'Jakarta–Bandung' ~ 'jakarta bandung'."""
    if text.isascii():
        return _NON_WORD.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).strip()


def compact(text: str) -> str:
    return fold(text).replace(" ", "")


# -- full-text search ------------------------------------------------------------------------------------

#: Longest substring indexed in scripts written without spaces between words.
SUBSTRING_MAX = 10
#: The FTS5 tokenizer every search table uses (the store's and the SQLite export's).
FTS_TOKENIZER = "unicode61 remove_diacritics 2"

#: Scripts written without spaces between words, as code point ranges.
_UNSPACED_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3134F),  # CJK Extensions B-G
)
#: The same as a regular expression's character class (its first use compiles it: 1.6 ms).
_UNSPACED = "".join(f"{chr(low)}-{chr(high)}" for low, high in _UNSPACED_RANGES)


def unspaced(text: str) -> bool:
    """Whether ``text`` holds a script written without spaces between words (Chinese, Thai, ...).

    Looked up by code point, not by the regular expression: a table of a few cells (a word at a time)
    would spend more compiling it than it saves."""
    if text.isascii():
        return False
    for char in text:
        code = ord(char)
        if code >= 0x0E00 and any(low <= code <= high for low, high in _UNSPACED_RANGES):
            return True
    return False


@cache
def _unspaced_run() -> re.Pattern[str]:
    return re.compile(f"[{_UNSPACED}]+")


@cache
def _word() -> re.Pattern[str]:
    return re.compile(rf"[{_UNSPACED}]+|[^\W_{_UNSPACED}]+")


@cache
def _ascii_word() -> re.Pattern[str]:
    """``_word`` on ASCII text (where it finds the same words), without compiling the wide classes (4 ms)."""
    return re.compile(r"[^\W_]+", re.ASCII)


def _substrings(run: str) -> str:
    size = len(run)
    return " ".join(
        run[start : start + length]
        for length in range(1, min(size, SUBSTRING_MAX) + 1)
        for start in range(size - length + 1)
    )


def index_text(text: str) -> str:
    """Text as the search index holds it: unspaced scripts expanded into their substrings."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text)
    return _unspaced_run().sub(lambda m: " " + _substrings(m.group()) + " ", text)


def query_words(text: str) -> list[str]:
    """The words of a search, folded; runs of an unspaced script longer than the index holds are cut."""
    words: list[str] = []
    text = unicodedata.normalize("NFKC", text)
    for word in (_ascii_word() if text.isascii() else _word()).findall(text):
        if len(word) > SUBSTRING_MAX and not word.isascii() and _unspaced_run().fullmatch(word):
            step = SUBSTRING_MAX - 1
            words.extend(word[i : i + SUBSTRING_MAX] for i in range(0, len(word) - 1, step) if len(word[i:]) > 1)
        else:
            words.append(fold(word) or word)
    return [w for w in dict.fromkeys(words) if w]


def match_query(words: list[str], *, prefix: bool = False, phrase: bool = False) -> str:
    """An FTS5 MATCH expression for ``words``: all of them, or the phrase, or word beginnings."""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if phrase:
        return '"' + " ".join(w.replace('"', '""') for w in words) + '"'
    if prefix:
        pairs = zip(quoted, words, strict=True)
        return " ".join(q + "*" if w.isascii() or not _unspaced_run().fullmatch(w) else q for q, w in pairs)
    return " ".join(quoted)


# -- what may reach a terminal ---------------------------------------------------------------------------

# C0 and C1 controls and DEL; bidi controls; zero-width and other invisible characters; line and
# paragraph separators; Unicode tag characters; lone surrogates (undecodable bytes of file names).
_DANGER_CLASS = (
    "\x00-\x1f\x7f-\x9f"
    "\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\ud800-\udfff"
    "\U000e0000-\U000e007f"
)


@cache
def _danger(newlines: bool) -> re.Pattern[str]:
    """The pattern of characters :func:`visible` escapes (compiled on first use: most text is plain ASCII)."""
    if newlines:
        return re.compile(
            f"[{_DANGER_CLASS.replace(chr(0) + '-' + chr(0x1F), chr(0) + '-' + chr(9) + chr(11) + '-' + chr(0x1F))}]"
        )
    return re.compile(f"[{_DANGER_CLASS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, newlines: bool = False) -> str:
    """``text`` with every character that could steer or fool a terminal shown as an escape.

    ``newlines=True`` keeps line feeds (for wrapped cells and multi-line values).
    """
    if text.isascii() and (text.isprintable() or (newlines and text.replace("\n", "").isprintable())):
        return text  # printable ASCII (and line feeds, if kept) holds none of them
    pattern = _danger(newlines)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


#: Compact JSON (no spaces; NaN and infinities refused with ValueError): a record as stored, a line of a JSON
#: Lines file, a list in an exported cell. One encoder, made once: ``json.dumps`` with options makes one a call.
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


@cache
def _json_unsafe() -> re.Pattern[str]:
    """JSON: characters the encoder leaves raw that must not reach a terminal (C0 is escaped by json itself)."""
    return re.compile(
        "[\x7f-\x9f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\uffa0\ufff9-\ufffb"
        "\ud800-\udfff\U000e0000-\U000e007f]"
    )


def json_safe(encoded: str) -> str:
    """Escape, inside already-encoded JSON, what may not reach a terminal raw; the value is unchanged."""
    if encoded.isascii() and "\x7f" not in encoded:  # no other unsafe character is ASCII (isascii costs nothing)
        return encoded
    unsafe = _json_unsafe()
    if unsafe.search(encoded) is None:
        return encoded

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return unsafe.sub(escape, encoded)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise_formula(cell: str) -> str:
    """Keep a spreadsheet from running a text cell as a formula (OWASP CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
