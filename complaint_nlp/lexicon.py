"""Rule lexicons: loading, validation and compilation.

A lexicon is a TOML file (``complaint_nlp/data/lexicon.toml`` is the shipped one): rules are
data with a name, a TAXONOMY code, keywords and/or regular expressions, a score, context words
and veto words. Each TAXONOMY code gets ONE compiled alternation (keywords longest first), so
matching is one linear scan per code, with no per-pattern loop on the hot path.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ._data import data_file
from ._firstchars import CandidateScanner, candidate_regex, case_variants, first_chars, start_pairs
from .taxonomy import MODALITIES, SIGNALS, TRAITS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Rule", "Lexicon", "default_lexicon_path", "LexiconError"]


class LexiconError(ValueError):
    """A lexicon file is malformed (bad code, bad regex, missing field)."""


def default_lexicon_path() -> Path:
    return data_file("lexicon.toml")


@dataclass(frozen=True)
class Rule:
    """One recognizer: what to match and what it means."""

    name: str
    code: str
    kind: str  # "signal" or "trait"
    score: float
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    veto: tuple[str, ...] = ()
    veto_context: tuple[str, ...] = ()
    modality: str = "auto"
    explanation: str = ""

    def regex_source(self) -> str:
        """This rule as one regex alternative: keywords (escaped, longest first) then patterns."""
        alts = [re.escape(k) for k in sorted(set(self.keywords), key=lambda k: (-len(k), k))]
        alts.extend(f"(?:{p})" for p in self.patterns)
        return "|".join(alts)


_GROUP = re.compile(r"\(\?P<")


def _strs(d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    v = d.get(key, [])
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise LexiconError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(v)


_SECTIONS = frozenset({"version", "settings", "modality", "intensity", "signals", "traits"})


def _compile(src: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(src, re.IGNORECASE)
    except re.error as exc:
        raise LexiconError(f"{where}: bad regular expression: {exc}") from exc


@dataclass
class Lexicon:
    """A validated, compiled rule set. Read-only after construction (safe to share)."""

    rules: tuple[Rule, ...]
    settings: Mapping[str, Any]
    cues: Mapping[str, re.Pattern[str]]  # modality cue name → compiled alternation
    profanity: re.Pattern[str] | None
    acronyms: frozenset[str]
    source: str = "<dict>"
    _by_code: dict[tuple[str, str], tuple[re.Pattern[str], tuple[Rule, ...]]] = field(
        default_factory=dict, repr=False
    )
    _veto: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)
    _veto_ctx: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)
    _context: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None, *, extend: bool = False) -> "Lexicon":
        """Load a lexicon TOML file.

        Args:
            path: a lexicon file; ``None`` loads the shipped default.
            extend: with a ``path``, add its rules (and override its settings/cues) on top of
                the shipped default instead of replacing it.
        """
        default = default_lexicon_path()
        if path is None:
            return cls.from_dict(read_toml(default), source=str(default))
        data = read_toml(Path(path))
        if extend:
            base = read_toml(default)
            for section in ("settings", "modality", "intensity"):
                merged = dict(base.get(section, {}))
                merged.update(data.get(section, {}))
                base[section] = merged
            for section in ("signals", "traits"):
                base[section] = list(base.get(section, [])) + list(data.get(section, []))
            data = base
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> "Lexicon":
        """Build a lexicon from parsed TOML data, validating every rule."""
        unknown = sorted(set(data) - _SECTIONS)
        if unknown:  # "[[signal]]" for "[[signals]]" would otherwise load zero rules silently
            raise LexiconError(f"{source}: unknown section(s) {unknown}; expected {sorted(_SECTIONS)}")
        rules: list[Rule] = []
        names: set[str] = set()
        for kind, section, codes in (("signal", "signals", SIGNALS), ("trait", "traits", TRAITS)):
            for i, raw in enumerate(data.get(section, [])):
                where = f"{source}: [[{section}]] #{i + 1}"
                name = raw.get("name")
                if not isinstance(name, str) or not name:
                    raise LexiconError(f"{where}: missing 'name'")
                where = f"{source}: rule {name!r}"
                if name in names:
                    raise LexiconError(f"{where}: duplicate rule name")
                names.add(name)
                code = raw.get("code")
                if code not in codes:
                    raise LexiconError(f"{where}: unknown {kind} code {code!r}; use one of {sorted(codes)}")
                score = raw.get("score", 0.8)
                if not isinstance(score, (int, float)) or not 0 <= score <= 1:
                    raise LexiconError(f"{where}: 'score' must be a number in 0..1")
                modality = raw.get("modality", "auto")
                if modality != "auto" and modality not in MODALITIES:
                    raise LexiconError(f"{where}: 'modality' must be 'auto' or one of {sorted(MODALITIES)}")
                rule = Rule(
                    name=name,
                    code=code,
                    kind=kind,
                    score=float(score),
                    keywords=_strs(raw, "keywords", where),
                    patterns=_strs(raw, "patterns", where),
                    context=_strs(raw, "context", where),
                    veto=_strs(raw, "veto", where),
                    veto_context=_strs(raw, "veto_context", where),
                    modality=modality,
                    explanation=str(raw.get("explanation", "")),
                )
                if not rule.keywords and not rule.patterns:
                    raise LexiconError(f"{where}: needs 'keywords' or 'patterns'")
                for p in rule.patterns:
                    if _GROUP.search(p):
                        raise LexiconError(f"{where}: named groups are not allowed in patterns")
                    _compile(p, where)
                rules.append(rule)
        settings = dict(data.get("settings", {}))
        cues = {
            name: _compile("|".join(f"(?:{p})" for p in pats), f"{source}: [modality] {name}")
            for name, pats in data.get("modality", {}).items()
            if pats
        }
        inten = data.get("intensity", {})
        prof = inten.get("profanity", [])
        lex = cls(
            rules=tuple(rules),
            settings=settings,
            cues=cues,
            profanity=_compile("|".join(f"(?:{p})" for p in prof), f"{source}: [intensity]") if prof else None,
            acronyms=frozenset(a.upper() for a in inten.get("acronyms", [])),
            source=source,
        )
        lex._build()
        return lex

    def _build(self) -> None:
        if self.profanity is not None:
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
            w = int(self.settings.get("veto_window", 3))
            lo = max(0, start - w)
            for m in rx.finditer(text, lo, min(len(text), end + w)):
                if m.start() < end and m.end() > start:  # the veto word overlaps the hit
                    return True
        cx = self._veto_ctx.get(rule.name)
        if cx is not None:
            w = int(self.settings.get("context_window", 12))
            if cx.search(text, max(0, start - w), min(len(text), end + w)):
                return True
        return False

    def scored(self, rule: Rule, text: str, start: int, end: int) -> float:
        rx = self._context.get(rule.name)
        score = rule.score
        if rx is not None:
            w = int(self.settings.get("context_window", 12))
            lo, hi = max(0, start - w), min(len(text), end + w)
            if rx.search(text, lo, start) or rx.search(text, end, hi):
                score = min(1.0, score + float(self.settings.get("context_boost", 0.05)))
        return score

    def cue(self, name: str) -> re.Pattern[str] | None:
        return self.cues.get(name)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, with a :class:`LexiconError` naming the file on any problem."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise LexiconError(f"lexicon file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML: {exc}") from exc
