"""Professional-complainant traits (TAXONOMY §4), always with their evidence span.

Keyword/regex traits come from the lexicon; ``excessive_demand`` also reads demanded amounts
(8万, 50万元, ￥80,000, 八万五千) with cn2an and compares them with the lexicon's
``excessive_amount`` setting. Three or more distinct traits make a suspected professional
complainant, but the library only ever reports the evidence next to that flag.
"""

from __future__ import annotations

from typing import Iterable

from ._firstchars import CandidateScanner
from .lexicon import Lexicon, Rule
from .normalize import NormalizedText
from .numerals import AMOUNT_RE, parse_amount
from .result import Trait
from .modality import SENT_END, Stops, decide_modality
from .taxonomy import PROFESSIONAL_COMPLAINANT_MIN_TRAITS

__all__ = ["detect_traits", "is_professional_complainant"]

# the claim words (demand_before, not_demand, demand_after) are the lexicon's [amounts] lists
_LEFT = 12
# finditer of AMOUNT_RE, trying it only at digits, numerals and currency signs: 3x faster
_AMOUNT_SCAN = CandidateScanner(AMOUNT_RE)


def detect_traits(nt: NormalizedText, lexicon: Lexicon, hits: list[tuple[Rule, int, int]] | None = None) -> list[Trait]:
    """All trait evidence in ``nt``, sorted by position. Spans index ``nt.original``.

    ``hits`` are this text's trait hits from :meth:`Lexicon.scan`, when the caller already has them.
    """
    text = nt.text
    out: list[Trait] = []

    def emit(code: str, s: int, e: int, score: float, rule: str, expl: str, details: dict[str, object] | None = None) -> None:
        os_, oe = nt.to_original(s, e)
        out.append(Trait(code, os_, oe, nt.original[os_:oe], score, rule, expl, details or {}))

    stops: Stops | None = None
    for rule, s, e in (hits if hits is not None else lexicon.scan(text)["trait"]):
        if lexicon.vetoed(rule, text, s, e):
            continue
        if stops is None:
            stops = Stops(text)
        modality, _ = decide_modality(text, s, e, rule.code, lexicon, stops)
        if modality in ("negated", "mentioned"):  # "我不要精神损失费", "客服说可以私了"
            continue
        emit(rule.code, s, e, lexicon.scored(rule, text, s, e), rule.name, rule.explanation)

    limit = lexicon.settings.excessive_amount
    for m in _AMOUNT_SCAN.finditer(text):
        value = parse_amount(m)
        if value is None or value < limit:
            continue
        lo = max(0, m.start() - _LEFT)
        for stop in SENT_END.finditer(text, lo, m.start()):  # the claim starts after the last stop
            lo = stop.end()
        left = text[lo : m.start()]
        d = None
        for d in lexicon.demand_before.finditer(left):
            pass
        after = lexicon.demand_after.match(text, m.end())  # 八万五千的赔偿, 5万精神损失费
        if d is not None and not lexicon.not_demand.search(left[d.start():] + m.group(0)):
            s_, e_ = lo + d.start(), m.end()
        elif after is not None and not lexicon.not_demand.search(left[-6:]):
            s_, e_ = m.start(), after.end()
        else:
            continue
        emit("excessive_demand", s_, e_, 0.8, "demand.amount", f"索赔金额 {value:,.0f} 元, 超过 {limit:,.0f} 元", {"amount": value})

    out.sort(key=lambda t: (t.start, t.end))
    return out


def is_professional_complainant(traits: Iterable[Trait]) -> bool:
    """True at three or more DISTINCT trait codes."""
    return len({t.code for t in traits}) >= PROFESSIONAL_COMPLAINANT_MIN_TRAITS
