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

from ._data import data_file

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
# Anything the general path would change. Without it the text is one 1:1 piece: single spaces
# between words stay as they are, so "iPhone 15 屏幕" takes the fast path too.
_NEEDS_WORK = re.compile(rf"\A\s|\s\Z|\s\s|[^\S ]|[^{_SAFE}\s]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_opencc_lock = threading.Lock()
_opencc: Any = None


_t2s_guard: "re.Pattern[str] | None" = None
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


def _converter() -> Any:
    global _opencc, _t2s_guard
    if _opencc is None:
        with _opencc_lock:
            if _opencc is None:
                import opencc

                cc = opencc.OpenCC("t2s")
                # Which characters can t2s change? Those it converts on their own (asked of the
                # installed OpenCC in one call, a few ms) plus those only its phrase table changes
                # (shipped list, checked against the installed dictionary by the tests). Text with
                # none of them is already Simplified: the OpenCC call (tens of µs) is skipped.
                chars = [chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi)]
                conv = str(cc.convert("\n".join(chars))).split("\n")
                changed = {c for c, o in zip(chars, conv) if c != o} if len(conv) == len(chars) else set(chars)
                lines = data_file("t2s_phrase_chars.txt").read_text(encoding="utf-8").splitlines()
                changed.update("".join(line.strip() for line in lines if not line.startswith("#")))
                cls = "".join(re.escape(c) for c in sorted(changed))
                # astral ideographs (extensions B and later) are rare: always ask OpenCC
                _t2s_guard = re.compile(f"[{cls}\U00020000-\U0003FFFF]")
                _opencc = cc
    return _opencc


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese with OpenCC's ``t2s`` table (loaded once, lazily)."""
    cc = _converter()
    assert _t2s_guard is not None
    if _t2s_guard.search(text) is None:
        return text
    return str(cc.convert(text))


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
_fold_re: "re.Pattern[str] | None" = None


# full-width punctuation common in Chinese messages (their NFKC forms), most frequent first
_COMMON_FOLDS = (("，", ","), ("？", "?"), ("：", ":"), ("！", "!"), ("；", ";"), ("（", "("), ("）", ")"))


def _folds() -> tuple["re.Pattern[str]", dict[int, str]]:
    """The 1:1 fold table and a pattern for runs of characters it changes: translating only
    those runs is several times faster than ``str.translate`` over a whole CJK message."""
    global _fold_re
    table = _one_to_one_folds()
    if _fold_re is None:
        with _fold_lock:
            if _fold_re is None:
                _fold_re = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]+")
    return _fold_re, table


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
    fold_re, table = _folds()
    for wide, narrow in _COMMON_FOLDS:  # str.replace is C-speed; covers most messages entirely
        if wide in text:
            text = text.replace(wide, narrow)
    if fold_re.search(text) is not None:
        text = fold_re.sub(lambda m: m.group().translate(table), text)  # same length: offsets unchanged
    if text and _NEEDS_WORK.search(text) is None:
        # the common case: one 1:1 piece (no HTML, no run of spaces, nothing NFKC would expand)
        return NormalizedText(original, _simplify_piece(text) if simplify else text, (0,), (0,), (len(text),), (True,))
    return _general(original, text, simplify)


def _general(original: str, text: str, simplify: bool) -> NormalizedText:
    """The general path of :func:`normalize`, after the 1:1 folds (``text``)."""
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
            p[0] = _simplify_piece(p[0])

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


def _simplify_piece(piece: str) -> str:
    """t2s of one piece, keeping its length (so the offset map stays exact)."""
    conv = to_simplified(piece)
    if len(conv) != len(piece):
        # rare phrase conversion that changes length: keep the map honest per CJK run
        conv = _CJK_RUN.sub(lambda r: _same_len(r.group(0)), piece)
    return conv


def _same_len(run: str) -> str:
    """Convert a CJK run; fall back to character-by-character when a phrase changes length."""
    conv = to_simplified(run)
    if len(conv) == len(run):
        return conv
    chars = [to_simplified(c) for c in run]
    return "".join(c if len(c) == 1 else o for c, o in zip(chars, run))
