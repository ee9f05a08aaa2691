"""First-character sets of regular expressions, for a fast candidate scan.

Python's ``re`` scans an alternation of many branches position by position, trying every branch.
When we know every character a match can START with, one C-level scan for those characters finds
the few candidate positions, and the full pattern is only tried there. The result is exactly
``finditer``'s (tested); any construct we cannot analyse makes us fall back to plain ``finditer``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

__all__ = ["first_char_class", "first_chars", "CandidateScanner"]


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
                items.append("0-9")
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
    """``finditer`` for ``regex``, trying the full pattern only where a match can start."""

    def __init__(self, regex: re.Pattern[str], max_chars: int = 400) -> None:
        self.regex = regex
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
        while True:
            c = search(text, pos)
            if c is None:
                return
            m = match(text, c.start())
            if m is None or m.end() == m.start():
                pos = c.start() + 1
                continue
            yield m
            pos = m.end()
