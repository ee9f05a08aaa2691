"""Rule lexicons: loading, validation and compilation.

A lexicon is a TOML file (``complaint_nlp/data/lexicon.toml`` is the shipped one): rules are
data with a name, a TAXONOMY code, keywords and/or regular expressions, a score, context words
and veto words. Each TAXONOMY code gets ONE compiled alternation (keywords longest first), so
matching is one linear scan per code, with no per-pattern loop on the hot path.
"""

from __future__ import annotations

import re
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Mapping

from ._data import data_file
from ._firstchars import CandidateScanner, candidate_regex, case_variants, first_chars, start_pairs
from .errors import ConfigError
from .saferegex import compile_alternation, compile_checked
from .schema import LexiconSpec, Rule, Settings, build, check_partial
from .taxonomy import SIGNALS, TRAITS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Rule", "Lexicon", "LexiconSpec", "Settings", "default_lexicon_path", "LexiconError", "read_toml"]


_GROUP = re.compile(r"\(\?P<")


def _compile(src: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(src, re.IGNORECASE)
    except re.error as exc:  # pragma: no cover - every part was checked already
        raise LexiconError(f"{where}: bad regular expression: {exc}") from exc


class LexiconError(ConfigError):
    """A lexicon file is malformed (unknown section or key, bad code, bad or unsafe regex)."""


def default_lexicon_path() -> Path:
    return data_file("lexicon.toml")


def _merge(base: dict[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """The shipped lexicon with a user file on top: its settings, cue lists and words override
    the shipped ones key by key; its rules are added."""
    out = dict(base)
    for section, value in user.items():
        if section in ("signals", "traits"):
            out[section] = list(base.get(section, [])) + list(value)
        elif isinstance(value, Mapping):
            merged = dict(base.get(section, {}))
            merged.update(value)
            out[section] = merged
        else:
            out[section] = value
    return out


class Lexicon:
    """A validated, compiled rule set, built in one step from a :class:`LexiconSpec`.

    Immutable after construction and safe to share between threads. ``Lexicon(spec)`` is ready
    to :meth:`scan`; :meth:`load` and :meth:`from_dict` read and validate a file first.
    """

    def __init__(self, spec: LexiconSpec, *, source: str = "<dict>") -> None:
        self.spec = spec
        self.source = source
        self.settings: Settings = spec.settings
        rules: list[Rule] = []
        for kind, codes, section in (("signal", SIGNALS, spec.signals), ("trait", TRAITS, spec.traits)):
            for r in section:
                where = f"{source}: rule {r.name!r}"
                if r.code not in codes:
                    raise LexiconError(f"{where}: key 'code': unknown {kind} code {r.code!r}; use one of {', '.join(sorted(codes))}")
                if not r.keywords and not r.patterns:
                    raise LexiconError(f"{where}: needs 'keywords' or 'patterns'")
                if r.details and kind != "signal":
                    raise LexiconError(f"{where}: key 'details': detail extractors apply to signals only")
                for p in r.patterns:
                    if _GROUP.search(p):
                        raise LexiconError(f"{where}: key 'patterns': named groups are not allowed in {p!r}")
                    compile_checked(p, f"{where}: key 'patterns'", flags=re.IGNORECASE)
                rules.append(r if r.kind == kind else replace(r, kind=kind))
        names = [r.name for r in rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise LexiconError(f"{source}: duplicate rule name(s) {dup} across [[signals]] and [[traits]]")
        self.rules: tuple[Rule, ...] = tuple(rules)
        cues = spec.modality
        self.cues: Mapping[str, re.Pattern[str]] = {
            f.name: compile_alternation(getattr(cues, f.name), f"{source}: [modality]: key {f.name!r}", flags=re.IGNORECASE) for f in fields(cues)
        }
        inten = spec.intensity
        self.profanity: re.Pattern[str] = compile_alternation(inten.profanity, f"{source}: [intensity]: key 'profanity'", flags=re.IGNORECASE)
        self.acronyms = frozenset(a.upper() for a in inten.acronyms)
        laugh = "|".join(f"{re.escape(c)}+" for c in inten.laughter)
        self.laughter: re.Pattern[str] | None = re.compile(f"^(?:{laugh})$") if laugh else None
        det = spec.details
        self.repair_context = compile_alternation(det.repair_context, f"{source}: [details]: key 'repair_context'")
        self.contact_words = compile_alternation(det.contact_words, f"{source}: [details]: key 'contact_words'")
        self.repair_words = compile_alternation(det.repair_words, f"{source}: [details]: key 'repair_words'")
        am = spec.amounts
        self.demand_before = compile_alternation(am.demand_before, f"{source}: [amounts]: key 'demand_before'")
        self.not_demand = compile_alternation(am.not_demand, f"{source}: [amounts]: key 'not_demand'")
        self.demand_after = compile_alternation(am.demand_after, f"{source}: [amounts]: key 'demand_after'")
        self._by_code: dict[tuple[str, str], tuple[re.Pattern[str], tuple[Rule, ...]]] = {}
        self._veto: dict[str, re.Pattern[str]] = {}
        self._veto_ctx: dict[str, re.Pattern[str]] = {}
        self._context: dict[str, re.Pattern[str]] = {}
        self._build()

    def __repr__(self) -> str:
        return f"Lexicon(source={self.source!r}, rules={len(self.rules)})"

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, *, extend: bool = False) -> "Lexicon":
        """Load a lexicon TOML file.

        Args:
            path: a lexicon file; ``None`` loads the shipped default.
            extend: with a ``path``, add its rules (and override its settings, cue lists and
                words key by key) on top of the shipped default instead of replacing it.

        Raises:
            LexiconError: (a :class:`~complaint_nlp.errors.ConfigError`) naming the file, the
                rule or section, and the key.
        """
        default = default_lexicon_path()
        if path is None:
            return cls.from_dict(read_toml(default), source=str(default))
        data = read_toml(Path(path))
        if not extend:
            return cls.from_dict(data, source=str(path))
        check_partial(LexiconSpec, data, str(path))
        return cls.from_dict(_merge(read_toml(default), data), source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> "Lexicon":
        """Build a lexicon from parsed TOML data, validating every section, rule and key, and
        checking every regular expression (:mod:`~complaint_nlp.saferegex`)."""
        try:
            spec = build(LexiconSpec, data, source)
        except ConfigError as exc:
            raise LexiconError(str(exc)) from None
        return cls(spec, source=source)

    def _build(self) -> None:
        self.profanity_scan = CandidateScanner(self.profanity)
        groups: dict[tuple[str, str], list[Rule]] = {}
        for r in self.rules:
            groups.setdefault((r.kind, r.code), []).append(r)
        # dispatch tables: which codes can start at a position, keyed by the two characters
        # there (most CJK keywords) or, when the second is not pinned down, by the first
        by_pair: dict[str, set[int]] = {}
        by_char: dict[str, set[int]] = {}
        self._entries: list[tuple[str, re.Pattern[str], tuple[Rule, ...]]] = []
        self._fallback: list[int] = []
        for key, rules in groups.items():
            src = "|".join(f"(?P<r{i}>{r.regex_source()})" for i, r in enumerate(rules))
            rx = _compile(src, f"{self.source}: {key[1]}")
            self._by_code[key] = (rx, tuple(rules))
            idx = len(self._entries)
            self._entries.append((key[0], rx, tuple(rules)))
            starts = start_pairs(src)
            if starts is None:  # too many prefixes: dispatch on the first character alone
                chars = first_chars(src)
                if chars is None:
                    self._fallback.append(idx)  # may start anywhere: plain finditer
                    continue
                starts = frozenset(), frozenset(v for c in chars for v in case_variants(c))
            pairs, singles = starts
            for pair in pairs:
                by_pair.setdefault(pair, set()).add(idx)
            for ch in singles:
                by_char.setdefault(ch, set()).add(idx)
        # a pair's codes include those keyed by its first character alone; sorted, so hits at
        # one position come out in code order
        self._by_char = {ch: tuple(sorted(v)) for ch, v in by_char.items()}
        self._by_pair = {pair: tuple(sorted(v | by_char.get(pair[0], set()))) for pair, v in by_pair.items()}
        # candidate positions (found in C) for every pair and single of every code
        self._candidates = candidate_regex(by_pair, by_char)
        for r in self.rules:
            if r.veto:
                self._veto[r.name] = _compile("|".join(re.escape(v) for v in r.veto), r.name)
            if r.veto_context:
                self._veto_ctx[r.name] = _compile("|".join(re.escape(v) for v in r.veto_context), r.name)
            if r.context:
                self._context[r.name] = _compile("|".join(re.escape(c) for c in r.context), r.name)

    # ------------------------------------------------------------------ matching
    def scan(self, text: str) -> dict[str, list[tuple[Rule, int, int]]]:
        """Every rule hit in ``text`` in ONE pass: ``{"signal": [...], "trait": [...]}``.

        Candidate start positions are found by one C-level scan; at each, only the codes that can
        start with the two characters there are tried. Per code the result equals that code's own
        ``finditer`` (leftmost, non-overlapping), which the tests check.
        """
        hits: dict[str, list[tuple[Rule, int, int]]] = {"signal": [], "trait": []}
        entries = self._entries
        last_end = [0] * len(entries)
        pair_get, char_get = self._by_pair.get, self._by_char.get
        if self._candidates is not None:
            for c in self._candidates.finditer(text):
                p = c.start()
                codes = pair_get(text[p : p + 2])
                if codes is None:
                    codes = char_get(text[p], ())
                for ei in codes:
                    if last_end[ei] > p:
                        continue
                    kind, rx, rules = entries[ei]
                    m = rx.match(text, p)
                    if m is not None and m.end() > p:
                        last_end[ei] = m.end()
                        hits[kind].append((rules[int(m.lastgroup[1:])], p, m.end()))  # type: ignore[index]
        for ei in self._fallback:
            kind, rx, rules = entries[ei]
            for m in rx.finditer(text):
                if m.end() > m.start():
                    hits[kind].append((rules[int(m.lastgroup[1:])], m.start(), m.end()))  # type: ignore[index]
        return hits

    def iter_matches(self, kind: str, text: str):  # type: ignore[no-untyped-def]
        """Yield ``(rule, start, end)`` for every hit of every rule of ``kind``: each code's plain
        ``finditer``. This is the definition :meth:`scan` must reproduce (tested); scan is faster."""
        for (k, _code), (rx, rules) in self._by_code.items():
            if k != kind:
                continue
            for m in rx.finditer(text):
                if m.end() == m.start():
                    continue
                rule = rules[int(m.lastgroup[1:])]  # type: ignore[index]
                yield rule, m.start(), m.end()

    def vetoed(self, rule: Rule, text: str, start: int, end: int) -> bool:
        """True when a ``veto`` word overlaps the hit, or a ``veto_context`` word stands within
        ``context_window`` characters of it (胎压…报警 is a dashboard light, not the police)."""
        rx = self._veto.get(rule.name)
        if rx is not None:
            w = self.settings.veto_window
            lo = max(0, start - w)
            for m in rx.finditer(text, lo, min(len(text), end + w)):
                if m.start() < end and m.end() > start:  # the veto word overlaps the hit
                    return True
        cx = self._veto_ctx.get(rule.name)
        if cx is not None:
            w = self.settings.context_window
            if cx.search(text, max(0, start - w), min(len(text), end + w)):
                return True
        return False

    def scored(self, rule: Rule, text: str, start: int, end: int) -> float:
        rx = self._context.get(rule.name)
        score = rule.score
        if rx is not None:
            w = self.settings.context_window
            lo, hi = max(0, start - w), min(len(text), end + w)
            if rx.search(text, lo, start) or rx.search(text, end, hi):
                score = min(1.0, score + self.settings.context_boost)
        return score

    def cue(self, name: str) -> re.Pattern[str] | None:
        return self.cues.get(name)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML rule file, with a :class:`~complaint_nlp.errors.ConfigError` naming the file
    on any problem."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"rule file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
