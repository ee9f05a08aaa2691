"""First-character sets of regular expressions, for a fast candidate scan.

Python's ``re`` scans an alternation of many branches position by position, trying every branch.
When we know every character a match can START with, one C-level scan for those characters finds
the few candidate positions, and the full pattern is only tried there. The result is exactly
``finditer``'s (tested); any construct we cannot analyse makes us fall back to plain ``finditer``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["first_char_class", "first_chars", "start_pairs", "case_variants", "candidate_regex", "CandidateScanner"]


class _Any(Exception):
    """The pattern may start with (almost) any character: no prefilter."""


def _class_items(av: Any) -> list[str]:
    items: list[str] = []
    for op, arg in av:
        if op is C.LITERAL:
            items.append(re.escape(chr(arg)))
        elif op is C.RANGE:
            items.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        else:  # NEGATE, CATEGORY (\d, \s, \w…): too wide or not representable here
            if op is C.CATEGORY and arg is C.CATEGORY_DIGIT:
                items.append(r"\d")  # every Unicode decimal digit, as in the pattern itself
                continue
            raise _Any
    return items


def _first(seq: Any) -> tuple[list[str], bool]:
    """(class items a match of ``seq`` can start with, whether ``seq`` can match empty)."""
    items: list[str] = []
    for op, av in seq:
        f, nullable = _first_op(op, av)
        items.extend(f)
        if not nullable:
            return items, False
    return items, True


def _first_op(op: Any, av: Any) -> tuple[list[str], bool]:
    if op is C.LITERAL:
        return [re.escape(chr(av))], False
    if op is C.IN:
        return _class_items(av), False
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return [], True  # zero-width: look at what follows
    if op is C.SUBPATTERN:
        return _first(av[-1])
    if op is C.BRANCH:
        items: list[str] = []
        nullable = False
        for alt in av[1]:
            f, n = _first(alt)
            items.extend(f)
            nullable = nullable or n
        return items, nullable
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", object())):
        lo, _hi, sub = av
        f, n = _first(sub)
        return f, n or lo == 0
    raise _Any  # ANY, NOT_LITERAL, GROUPREF, …


_MAX_RANGE = 512


def first_chars(pattern: str, ignorecase: bool = False) -> frozenset[str] | None:
    """Every character a match of ``pattern`` can start with, or None (unknown or too many)."""
    cls = first_char_class(pattern)
    if cls is None:
        return None
    try:
        items = P.parse(cls)[0][1]
    except Exception:
        return None
    chars: set[str] = set()
    for op, arg in items:
        if op is C.LITERAL:
            chars.add(chr(arg))
        elif op is C.RANGE:
            if arg[1] - arg[0] > _MAX_RANGE:
                return None
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        else:
            return None
    if ignorecase:
        chars |= {c.lower() for c in chars} | {c.upper() for c in chars}
        chars = {c for c in chars if len(c) == 1}
    return frozenset(chars)


def first_char_class(pattern: str) -> str | None:
    """A ``[...]`` class of every character a match of ``pattern`` can start with, or None."""
    try:
        items, nullable = _first(P.parse(pattern))
    except (_Any, Exception):
        return None
    if nullable or not items:
        return None
    return "[" + "".join(dict.fromkeys(items)) + "]"


class CandidateScanner:
    """``finditer`` for ``regex``, trying the full pattern only where a match can start.

    Where the pattern's two-character prefixes are known (:func:`start_pairs`), a C-level scan
    finds positions whose first character can start a prefix and whose next character can
    continue one, and the pattern is tried only where the pair itself is a prefix. Otherwise
    the first-character class alone is used, or plain ``finditer`` when that is too wide."""

    def __init__(self, regex: re.Pattern[str], max_chars: int = 400) -> None:
        self.regex = regex
        self.pairs: frozenset[str] | None = None  # None: no pair check (first characters only)
        self.singles: frozenset[str] = frozenset()
        self.starts: re.Pattern[str] | None = None
        if regex.flags & re.VERBOSE:  # the analysis parses the pattern without flags
            return
        # case variants are always included: a superset of the starts when case matters
        sp = start_pairs(regex.pattern)
        if sp is not None and len({p[0] for p in sp[0]} | sp[1]) <= max_chars:
            self.pairs, self.singles = sp
            self.starts = candidate_regex(self.pairs, self.singles)
            return
        # a wide start set (every CJK ideograph…) would make the Python loop the slow part:
        # then plain finditer, whose loop is in C, is faster
        chars = first_chars(regex.pattern, ignorecase=bool(regex.flags & re.IGNORECASE))
        cls = first_char_class(regex.pattern) if chars is not None and len(chars) <= max_chars else None
        self.starts = re.compile(cls, regex.flags) if cls else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.starts is None:
            yield from self.regex.finditer(text)
            return
        match = self.regex.match
        pos = 0
        search = self.starts.search
        pairs, singles = self.pairs, self.singles
        while True:
            c = search(text, pos)
            if c is None:
                return
            p = c.start()
            if pairs is not None and text[p : p + 2] not in pairs and text[p] not in singles:
                pos = p + 1
                continue
            m = match(text, p)
            if m is None or m.end() == m.start():
                pos = p + 1
                continue
            yield m
            pos = m.end()


def _cls(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def candidate_regex(pairs: Iterable[str], singles: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern whose matches are the positions where one of ``pairs`` (two-character prefixes)
    or ``singles`` (first characters) may start: a single-keyed character, or a pair-first
    character followed by some pair-second character. A superset of the real pair positions that
    costs one class test in C; the caller checks the pair itself. Case-sensitive on purpose: the
    sets from :func:`start_pairs` already hold every case variant. None when both are empty."""
    pairs, singles = set(pairs), set(singles)
    firsts = {p[0] for p in pairs} | singles
    if not firsts:
        return None
    seconds = {p[1] for p in pairs}
    alts = ([f"(?<={_cls(singles)})"] if singles else []) + ([f"(?={_cls(seconds)})"] if seconds else [])
    return re.compile(_cls(firsts) + "(?:" + "|".join(alts) + ")")


# ---------------------------------------------------------------- two-character prefixes
_WILD = "\x00"  # "any character" inside a prefix: that prefix only pins its first character
_PAIR_CAP = 5000
_SPACES = "".join(chr(c) for c in range(0x3100) if chr(c).isspace())  # what \s matches in str patterns


def _in_chars(av: Any) -> set[str]:
    out: set[str] = set()
    for op, arg in av:
        if op is C.LITERAL:
            out.add(chr(arg))
        elif op is C.RANGE and arg[1] - arg[0] <= 256:
            out.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is C.CATEGORY and arg is C.CATEGORY_SPACE:
            out.update(_SPACES)
        else:  # negated or wide class
            return {_WILD}
    return out


def _extend(parts: set[str], chars: set[str], done: set[str]) -> set[str]:
    grown: set[str] = set()
    for s in parts:
        for c in chars:
            t = s + c
            if len(t) >= 2:
                done.add(t[:2])
            else:
                grown.add(t)
    if len(grown) + len(done) > _PAIR_CAP:
        raise _Any
    return grown


def _pseq(seq: Any, parts: set[str], done: set[str]) -> set[str]:
    for op, av in seq:
        if not parts:
            break
        parts = _pop(op, av, parts, done)
    return parts


def _pop(op: Any, av: Any, parts: set[str], done: set[str]) -> set[str]:
    if op is C.LITERAL:
        return _extend(parts, {chr(av)}, done)
    if op is C.IN:
        return _extend(parts, _in_chars(av), done)
    if op in (C.ANY, C.NOT_LITERAL):
        return _extend(parts, {_WILD}, done)
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return parts  # zero-width: ignoring it only adds candidates
    if op is C.SUBPATTERN:
        return _pseq(av[-1], parts, done)
    if op is C.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            out |= _pseq(alt, set(parts), done)
        return out
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", object())):
        lo, hi, sub = av
        cur, out = set(parts), (set(parts) if lo == 0 else set())
        for i in range(1, 3):  # two characters need at most two non-empty repetitions
            cur = _pseq(sub, cur, done)
            if i >= lo:
                out |= cur
            if i >= hi or not cur:
                break
        else:  # more repetitions may follow, or be required yet match empty: keep what is short
            out |= cur
        return out
    raise _Any


def start_pairs(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """What a match of ``pattern`` can start with: ``(pairs, singles)``.

    ``pairs`` are two-character prefixes; ``singles`` are first characters whose second character
    is not pinned down (a one-character match, or any character next). Both include every case
    variant ``re.IGNORECASE`` allows. Every match starts with a pair or a single, so trying the
    pattern only there finds every match. None when that cannot be said (the pattern may match
    the empty string, start with any character, or has too many prefixes)."""
    done: set[str] = set()
    try:
        short = _pseq(P.parse(pattern), {""}, done)
    except (_Any, Exception):
        return None
    if "" in short:
        return None
    pairs: set[str] = set()
    singles: set[str] = set()
    for p in done | short:
        if p[0] == _WILD:
            return None
        if len(p) == 1 or _WILD in p:
            singles.update(case_variants(p[0]))
        else:  # patterns are matched with IGNORECASE: every case variant of a pair is a pair
            pairs.update(a + b for a in case_variants(p[0]) for b in case_variants(p[1]))
    return frozenset(p for p in pairs if p[0] not in singles), frozenset(singles)


_LATIN = "".join(chr(c) for c in range(0x2200) if not 0xD800 <= c <= 0xDFFF)


def case_variants(ch: str) -> frozenset[str]:
    """Every character that ``re.IGNORECASE`` lets ``ch`` match (k: K, k and the Kelvin sign)."""
    if ch.lower() == ch.upper():
        return frozenset(ch)
    pool = _LATIN + ch.lower() + ch.upper()
    return frozenset(re.findall(re.escape(ch), pool, re.IGNORECASE))
