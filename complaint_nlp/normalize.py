"""Text normalisation with an offset map back to the original text.

``normalize(text)`` folds width and compatibility forms (NFKC: ``１２３１５`` → ``12315``,
``！`` → ``!``), strips HTML tags and decodes entities, collapses whitespace, drops invisible
format/control characters, converts Traditional to Simplified Chinese (OpenCC ``t2s``) and keeps
emoji as they are. Every character of the normalised text knows the span of the ORIGINAL text it
came from, so rules can run on clean text and still report evidence in the user's own string.

The map is stored as a short list of pieces (a piece is either a 1:1 run or a block where every
output character maps to the whole input span), so normalising a 1 MB string costs memory in
proportion to the number of edits, not to its length.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NormalizedText", "normalize", "to_simplified"]

# Characters that never change under our normalisation: CJK ideographs, printable ASCII other
# than the HTML-significant < and &, and the common CJK punctuation NFKC leaves alone.
_SAFE = "\u4e00-\u9fff\u3400-\u4dbf!-%'-;=?-~\u3001\u3002\u300a-\u3011\u201c\u201d\u2018\u2019\u2014\u00b7"
_TAG = r"<!--[\s\S]{0,4000}?-->|</?[A-Za-z][A-Za-z0-9]{0,15}(?:\s[^<>]{0,1000})?/?>"
_SPECIAL = re.compile(
    # 1: a run of whitespace and/or HTML tags and/or &nbsp; → one space
    rf"((?:\s|{_TAG}|&nbsp;|&#160;|&#xa0;)+)"
    # 2: any other entity
    r"|(&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,15});)"
    # 3: a run of characters that may change under NFKC or be dropped
    rf"|([^{_SAFE}\s<&]+)",
    re.IGNORECASE,
)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_opencc_lock = threading.Lock()
_opencc: Any = None


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese with OpenCC's ``t2s`` table (loaded once, lazily)."""
    global _opencc
    if _opencc is None:
        with _opencc_lock:
            if _opencc is None:
                import opencc

                _opencc = opencc.OpenCC("t2s")
    return str(_opencc.convert(text))


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus the map from its characters to spans of ``original``.

    Attributes:
        original: the text exactly as the caller passed it.
        text: the normalised text (what rules and models read).
    """

    original: str
    text: str
    # piece i covers text[_nstart[i]:_nstart[i+1]] and original[_ostart[i]:_oend[i]]
    _nstart: tuple[int, ...] = field(repr=False)
    _ostart: tuple[int, ...] = field(repr=False)
    _oend: tuple[int, ...] = field(repr=False)
    _linear: tuple[bool, ...] = field(repr=False)

    def _locate(self, i: int) -> tuple[int, int]:
        """Original span of normalised character ``i``."""
        p = bisect_right(self._nstart, i) - 1
        if self._linear[p]:
            o = self._ostart[p] + (i - self._nstart[p])
            return o, o + 1
        return self._ostart[p], self._oend[p]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``text[start:end]`` to ``(ostart, oend)`` in ``original``.

        The original span covers every input character that produced the normalised span, so
        ``original[ostart:oend]`` is the evidence to show a person.
        """
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span ({start}, {end}) outside normalised text of length {n}")
        if not self._nstart:
            return 0, 0
        if start == end:
            if start == n:
                return self._oend[-1], self._oend[-1]
            s, _ = self._locate(start)
            return s, s
        return self._locate(start)[0], self._locate(end - 1)[1]


_fold_lock = threading.Lock()
_fold_table: dict[int, str] | None = None


def _one_to_one_folds() -> dict[int, str]:
    """str.translate table of every BMP character whose NFKC form is ONE other character
    (full-width ASCII, ideographic space, compatibility ideographs…). Applying it first is a C-speed
    1:1 pass that keeps offsets, leaving only the rare expanding characters to the slow path."""
    global _fold_table
    if _fold_table is None:
        with _fold_lock:
            if _fold_table is None:
                table: dict[int, str] = {}
                for cp in range(0x80, 0x10000):
                    ch = chr(cp)
                    cat = unicodedata.category(ch)
                    if cat in ("Cc", "Cf", "Cs", "Mn", "Me") or 0xFE00 <= cp <= 0xFE0F:
                        continue
                    folded = unicodedata.normalize("NFKC", ch)
                    if len(folded) == 1 and folded != ch:
                        table[cp] = folded
                _fold_table = table
    return _fold_table


def _nfkc_run(run: str, base: int, out: list[tuple[str, int, int]]) -> None:
    """Fold one run of non-trivial characters; emit (text, ostart, oend) chunks."""
    for k, ch in enumerate(run):
        cat = unicodedata.category(ch)
        if cat == "Cs":  # lone surrogate (e.g. from surrogateescape): keep a visible placeholder
            folded = "\ufffd"
        elif cat in ("Cc", "Cf") or "\ufe00" <= ch <= "\ufe0f":
            continue  # control, invisible format chars (ZWSP, BOM…) and emoji variation selectors
        else:
            folded = unicodedata.normalize("NFKC", ch)
            if folded.isspace():
                folded = " "
            elif len(folded) > 1:
                folded = "".join(folded.split())  # ´ → " ́": no stray space from a decomposition
        if folded:
            out.append((folded, base + k, base + k + 1))


def normalize(text: str, *, simplify: bool = True) -> NormalizedText:
    """Normalise ``text`` for rules and models, keeping a map back to it.

    Args:
        text: any ``str`` (empty allowed).
        simplify: convert Traditional to Simplified Chinese (default True).

    Returns:
        NormalizedText with ``.text`` and ``.to_original(start, end)``.

    Raises:
        TypeError: ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() needs str, got {type(text).__name__}")
    original = text
    text = text.translate(_one_to_one_folds())  # same length: offsets unchanged
    chunks: list[tuple[str, int, int]] = []  # (output, ostart, oend)
    pos = 0
    for m in _SPECIAL.finditer(text):
        if m.start() > pos:
            chunks.append((text[pos : m.start()], pos, m.start()))
        if m.group(1) is not None:
            chunks.append((" ", m.start(), m.end()))
        elif m.group(2) is not None:
            decoded = html.unescape(m.group(2))
            if decoded == m.group(2):  # unknown entity: keep it as text
                chunks.append((decoded, m.start(), m.end()))
            else:
                _nfkc_run(decoded, 0, tmp := [])
                folded = "".join(t for t, _, _ in tmp)
                if folded:
                    chunks.append((" " if folded.isspace() else folded, m.start(), m.end()))
        else:
            _nfkc_run(m.group(3), m.start(), chunks)
        pos = m.end()
    if pos < len(text):
        chunks.append((text[pos:], pos, len(text)))

    # merge 1:1 neighbours, collapse spaces, strip the ends
    pieces: list[list[Any]] = []  # [out, ostart, oend, linear]
    for out, s, e in chunks:
        linear = len(out) == e - s
        if out == " ":
            if not pieces or pieces[-1][0].endswith(" "):
                if pieces:  # extend the previous space to cover this one too
                    if pieces[-1][0] == " ":
                        pieces[-1][2] = e
                        pieces[-1][3] = False
                continue
        if pieces and linear and pieces[-1][3] and pieces[-1][2] == s:
            pieces[-1][0] += out
            pieces[-1][2] = e
        else:
            pieces.append([out, s, e, linear])
    while pieces and pieces[-1][0] == " ":
        pieces.pop()
    if pieces and pieces[-1][0].endswith(" ") and pieces[-1][3]:
        stripped = pieces[-1][0].rstrip(" ")
        pieces[-1][2] -= len(pieces[-1][0]) - len(stripped)
        pieces[-1][0] = stripped
    if pieces and pieces[0][0].startswith(" ") and pieces[0][3]:
        stripped = pieces[0][0].lstrip(" ")
        pieces[0][1] += len(pieces[0][0]) - len(stripped)
        pieces[0][0] = stripped
    pieces = [p for p in pieces if p[0]]

    if simplify:
        for p in pieces:
            if _CJK_RUN.search(p[0]):
                conv = to_simplified(p[0])
                if len(conv) != len(p[0]):
                    # rare phrase conversion that changes length: keep the map honest per CJK run
                    conv = _CJK_RUN.sub(lambda r: _same_len(r.group(0)), p[0])
                p[0] = conv

    nstart: list[int] = []
    n = 0
    for p in pieces:
        nstart.append(n)
        n += len(p[0])
    return NormalizedText(
        original=original,
        text="".join(p[0] for p in pieces),
        _nstart=tuple(nstart),
        _ostart=tuple(p[1] for p in pieces),
        _oend=tuple(p[2] for p in pieces),
        _linear=tuple(bool(p[3]) for p in pieces),
    )


def _same_len(run: str) -> str:
    """Convert a CJK run; fall back to character-by-character when a phrase changes length."""
    conv = to_simplified(run)
    if len(conv) == len(run):
        return conv
    chars = [to_simplified(c) for c in run]
    return "".join(c if len(c) == 1 else o for c, o in zip(chars, run))
