"""Regular expressions that cannot run away.

Rules, cue lists and placeholder types are regular expressions from data files, some written by
users. Python's ``re`` backtracks: ``(a+)+b`` takes seconds on 30 characters. Rather than a second
engine (RE2 has no look-behind, which the rules use to say "报警 but not 报警灯"), every pattern is
checked before it is compiled, and one that can backtrack without bound is refused with a
:class:`~complaint_nlp.errors.ConfigError` that names the file, the rule and the key:

* no unbounded repeat (``*``, ``+``, ``{n,}``): write a bound, ``{0,8}``;
* no repeat inside a repeat (``(?:a{1,9}){1,9}``), also across groups and look-arounds;
* no back-reference (``\\1``, ``(?P=name)``) and no conditional group;
* the **ways** of a pattern, an upper bound on how many different matches it can try from one
  position, at most :data:`MAX_WAYS` (:data:`MAX_WAYS_SHIPPED` for a pattern that is, character
  for character, one of the patterns shipped with the library: those are reviewed and
  benchmarked, so a user who copies a shipped file and edits it is not refused for them). Ways multiply along a sequence, add up over
  alternatives, count ``hi - lo + 1`` for a repeat ``{lo,hi}`` of one character, and count an
  alternation of plain words once per distinct word length (two different words of one length
  cannot both match at one position).

With that budget a pattern's work per start position is bounded, so matching is linear in the
text length; ``bench/bench_rules.py`` measures the worst accepted pattern.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .errors import ConfigError

try:  # Python 3.11+
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _p  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

__all__ = ["MAX_WAYS", "MAX_WAYS_SHIPPED", "UnsafePattern", "pattern_ways", "compile_checked", "compile_alternation", "budget_for"]

#: ways budget of a user pattern: about 50 ms on 1,000 characters in the worst case measured
MAX_WAYS = 10_000
#: ways budget of the shipped, reviewed rule files (two long escalation criteria need more)
MAX_WAYS_SHIPPED = 200_000

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_LOOK = {_c.ASSERT, _c.ASSERT_NOT}
_BACKREF = {_c.GROUPREF, _c.GROUPREF_EXISTS} | ({_c.GROUPREF_IGNORE} if hasattr(_c, "GROUPREF_IGNORE") else set())


class UnsafePattern(ValueError):
    """Why a pattern may backtrack without bound."""


def _children(op: Any, av: Any) -> list[Any]:
    if op is _c.SUBPATTERN:
        return [av[3]]
    if op is _c.BRANCH:
        return list(av[1])
    if op in _LOOK:
        return [av[1]]
    if op is _ATOMIC:
        return [av]
    if op in _REPEATS:
        return [av[2]]
    return []


def _has_repeat(sub: Any) -> bool:
    for op, av in sub:
        if op in _REPEATS and av[1] > 1:
            return True
        if any(_has_repeat(ch) for ch in _children(op, av)):
            return True
    return False


def _literal(sub: Any) -> str | None:
    out = []
    for op, av in sub:
        if op is not _c.LITERAL:
            return None
        out.append(chr(av))
    return "".join(out)


def _ways(sub: Any) -> int:
    total = 1
    for op, av in sub:
        if op in _BACKREF:
            raise UnsafePattern("back-references and conditional groups are not allowed")
        if op in _REPEATS:
            lo, hi, item = av
            if hi == _c.MAXREPEAT:
                raise UnsafePattern("unbounded repeat (*, + or {n,}); write a bound such as {0,8}")
            if hi > 1 and _has_repeat(item):
                raise UnsafePattern("a repeat inside a repeat can backtrack exponentially; flatten it")
            k = _ways(item)
            c = (hi - lo + 1) if k == 1 else sum(k**i for i in range(lo, hi + 1))
        elif op is _c.BRANCH:
            widths: set[int] = set()
            c = 0
            for branch in av[1]:
                word = _literal(branch)
                if word is None:
                    c += _ways(branch)
                else:
                    widths.add(len(word))
            c += len(widths)
        elif op in _LOOK:
            _ways(av[1])  # checked, but a look-around is atomic: it adds no choices
            c = 1
        elif op is _c.SUBPATTERN or op is _ATOMIC:
            c = _ways(_children(op, av)[0])
        else:
            c = 1
        total *= c
        if total > 10**12:  # no need to count further
            return total
    return total


def pattern_ways(src: str) -> int:
    """Upper bound on the matches ``src`` can try from one position (see the module docstring).

    Raises :class:`UnsafePattern` for a construct that can backtrack without bound and
    ``re.error`` for a pattern that does not parse."""
    return _ways(_p.parse(src))


_SHIPPED: frozenset[str] | None = None


def _shipped_patterns() -> frozenset[str]:
    global _SHIPPED
    if _SHIPPED is None:
        import tomllib

        from ._data import data_file

        found: set[str] = set()

        def walk(v: Any) -> None:
            if isinstance(v, str):
                found.add(v)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)

        for name in ("lexicon.toml", "escalation.toml", "demands.toml", "customer_types.toml", "playbook.toml"):
            with open(data_file(name), "rb") as f:
                walk(tomllib.load(f))
        _SHIPPED = frozenset(found)
    return _SHIPPED


def budget_for(src: str) -> int:
    """:data:`MAX_WAYS_SHIPPED` for a pattern shipped with the library, else :data:`MAX_WAYS`."""
    return MAX_WAYS_SHIPPED if src in _shipped_patterns() else MAX_WAYS


def compile_checked(src: str, where: str, *, flags: int = 0, budget: int | None = None) -> re.Pattern[str]:
    """Check ``src`` (:func:`pattern_ways` ≤ ``budget``, by default :func:`budget_for`) and
    compile it; any problem is one :class:`ConfigError` line that starts with ``where``."""
    if budget is None:
        budget = budget_for(src)
    try:
        ways = pattern_ways(src)
    except UnsafePattern as exc:
        raise ConfigError(f"{where}: unsafe regular expression {src!r}: {exc}") from None
    except (re.error, RecursionError, OverflowError) as exc:
        raise ConfigError(f"{where}: bad regular expression {src!r}: {exc}") from None
    if ways > budget:
        raise ConfigError(f"{where}: regular expression {src!r} can try {ways:,} matches from one position (limit {budget:,}); shorten its bounded repeats or split it into several patterns")
    try:
        return re.compile(src, flags)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ConfigError(f"{where}: bad regular expression {src!r}: {exc}") from None


def alternation_source(keywords: Sequence[str], patterns: Sequence[str]) -> str:
    """One regex alternative of a rule: its keywords (escaped, longest first), then its
    patterns, each in a group of its own."""
    alts = [re.escape(k) for k in sorted(set(keywords), key=lambda k: (-len(k), k))]
    alts.extend(f"(?:{p})" for p in patterns)
    return "|".join(alts)


def checked_rule_source(keywords: Sequence[str], patterns: Sequence[str], where: str) -> str:
    """:func:`alternation_source` of a rule whose patterns are each checked first
    (:func:`compile_checked`); a rule with neither keywords nor patterns is refused."""
    if not keywords and not patterns:
        raise ConfigError(f"{where}: needs `keywords` or `patterns`")
    for p in patterns:
        compile_checked(p, f"{where}: key 'patterns'")
    return alternation_source(keywords, patterns)


def compile_alternation(patterns: Sequence[str], where: str, *, flags: int = 0) -> re.Pattern[str]:
    """Check every pattern (:func:`compile_checked`) and compile them as one alternation, each in
    its own group, so one pattern's ``|`` cannot leak into the next."""
    for p in patterns:
        compile_checked(p, where, flags=flags)
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)
