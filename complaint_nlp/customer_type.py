"""Customer type (投诉客户类型): dominant, analytical, social, persistent or unknown.

Scores are sums of evidence weights from ``complaint_nlp/data/customer_types.toml`` (or a file of
your own): word cues (马上, 我是VIP, 《消费者权益保护法》第五十五条, 家人们, 就要个说法…) and
measured features (precise numbers, numbered points, emoji). Every point of a score is a span of
the original text. The top type wins when it reaches ``min_score`` and leads the next one by
``min_margin``; otherwise the text says too little and the type is ``unknown``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ._data import LazyDefault, data_file
from ._firstchars import CandidateScanner, candidate_regex
from .errors import ConfigError
from .lexicon import read_toml
from .normalize import NormalizedText
from .result import CustomerType, TypeEvidence
from .saferegex import checked_rule_source
from .schema import CustomerTypeSpec, TypeCue, build
from .taxonomy import CUSTOMER_TYPES

__all__ = ["CustomerTypeRules", "detect_customer_type", "combine_customer_types", "decide_type", "default_customer_type_rules", "FEATURES"]

# ---------------------------------------------------------------- measured features
# Each yields the spans (of the normalised text) that it counts.

_PRECISE = re.compile(
    r"[0-9]{4}\s?[-./年]\s?[0-9]{1,2}(?:\s?[-./月]\s?[0-9]{1,2}\s?[日号]?)?"  # 2023-05-03, 2023年5月
    r"|[0-9]{1,2}\s?月\s?[0-9]{1,2}\s?[日号]"  # 5月3日
    r"|[0-9]{1,2}:[0-9]{2}"  # 14:30
    r"|[0-9]+(?:\.[0-9]+)?\s?(?:万公里|公里|km|KM|Km|万|元|块|%|小时|分钟|mbps|Mbps|M|G|GB|MB|kg|斤|℃|度|毫米|mm|cm|V|W|天|次|个月|年|月|日|号|分贝|T|L)"
    r"|[A-Za-z]{1,4}[0-9]{4,}[A-Za-z0-9]*|[0-9]{6,}"  # part/order numbers
)
_POINTS = re.compile(r"(?:^|(?<=[\s。;；,!?:]))(?:[1-9][.、)]|[一二三四五六七八九十][、.]|第[一二三四五六七八九十]\s?[,、:]|\([1-9一二三四五]\)|[①②③④⑤⑥⑦⑧⑨])")
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2764]|\\[[^\\[\\]\\s]{1,4}\\]|[(][^()]{0,3}[╥﹏ω▽︶´`ò•_^><;][^()]{0,4}[)]")


def _precise(text: str) -> Iterator[tuple[int, int]]:
    for m in _PRECISE.finditer(text):
        yield m.start(), m.end()


def _points(text: str) -> Iterator[tuple[int, int]]:
    for m in _POINTS.finditer(text):
        yield m.start(), m.end()


def _emoji(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMOJI.finditer(text):
        yield m.start(), m.end()


#: feature name (``[[features]] feature``) → the spans it counts
FEATURES: dict[str, Callable[[str], Iterator[tuple[int, int]]]] = {
    "precise_numbers": _precise,
    "numbered_points": _points,
    "emoji": _emoji,
}


class CustomerTypeRules:
    """The customer-type rules of one file, compiled. Read-only after construction."""

    def __init__(self, spec: CustomerTypeSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.cues: list[tuple[TypeCue, CandidateScanner]] = []
        for c in spec.cues:
            src = checked_rule_source(c.keywords, c.patterns, f"{source}: rule {c.name!r}")
            # finditer tried only where the cue can start (one C-level scan per cue)
            self.cues.append((c, CandidateScanner(re.compile(src, re.IGNORECASE))))
        codes = [t.code for t in spec.types]
        missing = [c for c in CUSTOMER_TYPES if c not in codes]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if missing or dup:
            raise ConfigError(f"{source}: [[types]]: " + (f"missing {missing}" if missing else f"duplicate {dup}") + "; every type code needs exactly one table")
        names = [f.name for f in spec.features] + [c.name for c in spec.cues]
        dupn = sorted({n for n in names if names.count(n) > 1})
        if dupn:
            raise ConfigError(f"{source}: duplicate cue/feature name(s) {dupn}")
        self.handling = {t.code: t.handling for t in spec.types}
        self.settings = spec.settings
        self._union = _UnionScan([sc for _, sc in self.cues])

    @classmethod
    def load(cls, path: str | Path | None = None) -> "CustomerTypeRules":
        """The shipped rules (``None``) or a file of your own, read strictly."""
        p = Path(path) if path is not None else data_file("customer_types.toml")
        return cls(build(CustomerTypeSpec, read_toml(p), str(p)), str(p))

    def evidence(self, text: str) -> list[tuple[str, int, int, float, str]]:
        """(type, start, end, weight, rule) of every scored span of ``text`` (normalised)."""
        out: list[tuple[str, int, int, float, str]] = []
        cues = self.cues
        for i, s, e in self._union.hits(text, [c.max_hits for c, _ in cues]):
            c = cues[i][0]
            out.append((c.type, s, e, c.weight, c.name))
        self._features(text, out)
        return out

    def evidence_plain(self, text: str) -> list[tuple[str, int, int, float, str]]:
        """:meth:`evidence` with one ``finditer`` per cue (the reference the fast path is tested
        against)."""
        out: list[tuple[str, int, int, float, str]] = []
        for cue, sc in self.cues:
            n = 0
            for m in sc.regex.finditer(text):
                if m.end() == m.start():
                    continue
                out.append((cue.type, m.start(), m.end(), cue.weight, cue.name))
                n += 1
                if n >= cue.max_hits:
                    break
        self._features(text, out)
        return out

    def _features(self, text: str, out: list[tuple[str, int, int, float, str]]) -> None:
        for f in self.spec.features:
            spans = list(FEATURES[f.feature](text))
            if len(spans) < f.min:
                continue
            total = min(f.cap, f.weight * (1 + (len(spans) - f.min) / f.per))
            each = total / len(spans)
            for s, e in spans:
                out.append((f.type, s, e, each, f.name))


class _UnionScan:
    """Every cue's ``finditer`` from ONE C-level scan for the positions where some cue can start.

    At a candidate position each cue whose two-character prefixes (or first character) fit is
    tried with ``match``; a cue's next hit must start after its previous one ends, and it stops
    after ``max_hits``, exactly as its own ``finditer`` would (a test compares the two on the
    corpus). A cue whose start cannot be analysed falls back to its own ``finditer``."""

    def __init__(self, scanners: list[CandidateScanner]) -> None:
        self.scanners = scanners
        self.pair_map: dict[str, list[int]] = {}
        self.single_map: dict[str, list[int]] = {}
        self.fallback: list[int] = []
        pairs: set[str] = set()
        singles: set[str] = set()
        for i, sc in enumerate(scanners):
            if sc.pairs is None or sc.starts is None:
                self.fallback.append(i)
                continue
            for p in sc.pairs:
                self.pair_map.setdefault(p, []).append(i)
            for ch in sc.singles:
                self.single_map.setdefault(ch, []).append(i)
            pairs |= sc.pairs
            singles |= sc.singles
        self.starts = candidate_regex(pairs, singles)

    def hits(self, text: str, max_hits: list[int]) -> list[tuple[int, int, int]]:
        """(cue index, start, end), grouped by cue in the order of ``scanners``, each cue's hits
        left to right, as a loop of per-cue ``finditer`` gives them."""
        found: list[list[tuple[int, int]]] = [[] for _ in self.scanners]
        nxt = [0] * len(self.scanners)
        if self.starts is not None:
            pair_map, single_map, scanners = self.pair_map, self.single_map, self.scanners
            empty: list[int] = []
            for c in self.starts.finditer(text):
                p = c.start()
                idx = pair_map.get(text[p : p + 2], empty) + single_map.get(text[p], empty)
                for i in idx:
                    if p < nxt[i] or len(found[i]) >= max_hits[i]:
                        continue
                    m = scanners[i].regex.match(text, p)
                    if m is None or m.end() == p:
                        continue
                    found[i].append((p, m.end()))
                    nxt[i] = m.end()
        for i in self.fallback:
            for m in self.scanners[i].regex.finditer(text):
                if m.end() == m.start():
                    continue
                found[i].append((m.start(), m.end()))
                if len(found[i]) >= max_hits[i]:
                    break
        return [(i, s, e) for i, hs in enumerate(found) for s, e in hs]


_default = LazyDefault(CustomerTypeRules.load)


def default_customer_type_rules() -> CustomerTypeRules:
    """The shipped rules, built on first use."""
    return _default()  # type: ignore[no-any-return]


def decide_type(rules: CustomerTypeRules, scores: dict[str, float]) -> str:
    """The type ``scores`` show under ``rules``' thresholds (``unknown`` when none clearly leads)."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    (top, s1), (_, s2) = ranked[0], ranked[1]
    st = rules.settings
    if s1 >= st.min_score and s1 - s2 >= st.min_margin:
        return top
    return "unknown"


def _result(rules: CustomerTypeRules, code: str, scores: dict[str, float], evidence: list[TypeEvidence]) -> CustomerType:
    shown = [e for e in evidence if e.type == code] if code != "unknown" else evidence
    shown.sort(key=lambda e: (-e.weight, e.start))
    shown = sorted(shown[: rules.settings.max_evidence], key=lambda e: e.start)
    return CustomerType(code, CUSTOMER_TYPES[code], scores, tuple(shown), rules.handling[code])


def detect_customer_type(nt: NormalizedText, rules: CustomerTypeRules | None = None) -> CustomerType:
    """The customer type ``nt``'s writer shows, with every type's score and the evidence of the
    chosen one (of all types when ``unknown``). Spans index ``nt.original``."""
    rules = rules or default_customer_type_rules()
    scores = {c: 0.0 for c in CUSTOMER_TYPES if c != "unknown"}
    evidence: list[TypeEvidence] = []
    for t, s, e, w, rule in rules.evidence(nt.text):
        scores[t] += w
        os_, oe = nt.to_original(s, e)
        evidence.append(TypeEvidence(t, os_, oe, nt.original[os_:oe], w, rule))
    scores = {k: round(v, 4) for k, v in scores.items()}
    return _result(rules, decide_type(rules, scores), scores, evidence)


def combine_customer_types(types: Iterable[CustomerType], rules: CustomerTypeRules | None = None) -> CustomerType:
    """The type over a whole ticket: scores summed over its messages, decided as for one message.
    Evidence spans index their own messages (the caller keeps which)."""
    rules = rules or default_customer_type_rules()
    scores = {c: 0.0 for c in CUSTOMER_TYPES if c != "unknown"}
    evidence: list[TypeEvidence] = []
    for t in types:
        for k, v in t.scores.items():
            scores[k] = scores.get(k, 0.0) + float(v)
        evidence.extend(t.evidence)
    scores = {k: round(v, 4) for k, v in scores.items()}
    return _result(rules, decide_type(rules, scores), scores, evidence)
