"""Professional-complainant traits (TAXONOMY §4), always with their evidence span.

Keyword/regex traits come from the lexicon; ``excessive_demand`` also reads demanded amounts
(8万, 50万元, ￥80,000, 八万五千) with cn2an and compares them with the lexicon's
``excessive_amount`` setting. Three or more distinct traits make a suspected professional
complainant, but the library only ever reports the evidence next to that flag.
"""

from __future__ import annotations

import re
from typing import Iterable

from ._firstchars import CandidateScanner
from .lexicon import Lexicon, Rule
from .normalize import NormalizedText
from .numerals import AMOUNT_RE, parse_amount
from .result import Trait
from .signals import decide_modality
from .taxonomy import PROFESSIONAL_COMPLAINANT_MIN_TRAITS

__all__ = ["detect_traits", "is_professional_complainant"]

# a demand verb shortly before an amount: 要求赔偿8万, 索赔50万元, 精神损失费八万五千
_DEMAND = re.compile(r"赔偿?|补偿|索赔|索要|损失费?|给我|拿出|赔付|要价|开价|要求.{0,6}(?:赔|补|给)")
# the amount is a price paid or a refund, not a claim
_NOT_DEMAND = re.compile(r"车价|价格|售价|花了|买的|首付|贷款|退款|退还|全款|总价|报价|车款|月供|工资|余额|额度|价值|原价|收入|欠款|账单|扣了|扣款|充值|交了|付了|支付")
_DEMAND_AFTER = re.compile(r"\s?(?:的|块钱的|元的)?\s?(?:赔偿|补偿|损失费|精神损失|赔付|封口费)")
_LEFT = 12
_STOP = re.compile(r"[。!?；;\n]")
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

    for rule, s, e in (hits if hits is not None else lexicon.scan(text)["trait"]):
        if lexicon.vetoed(rule, text, s, e):
            continue
        modality, _ = decide_modality(text, s, e, rule.code, lexicon)
        if modality in ("negated", "mentioned"):  # "我不要精神损失费", "客服说可以私了"
            continue
        emit(rule.code, s, e, lexicon.scored(rule, text, s, e), rule.name, rule.explanation)

    limit = float(lexicon.settings.get("excessive_amount", 10000))
    for m in _AMOUNT_SCAN.finditer(text):
        value = parse_amount(m)
        if value is None or value < limit:
            continue
        lo = max(0, m.start() - _LEFT)
        for stop in _STOP.finditer(text, lo, m.start()):  # the claim starts after the last stop
            lo = stop.end()
        left = text[lo : m.start()]
        d = None
        for d in _DEMAND.finditer(left):
            pass
        after = _DEMAND_AFTER.match(text, m.end())  # 八万五千的赔偿, 5万精神损失费
        if d is not None and not _NOT_DEMAND.search(left[d.start():] + m.group(0)):
            s_, e_ = lo + d.start(), m.end()
        elif after is not None and not _NOT_DEMAND.search(left[-6:]):
            s_, e_ = m.start(), after.end()
        else:
            continue
        emit("excessive_demand", s_, e_, 0.8, "demand.amount", f"索赔金额 {value:,.0f} 元, 超过 {limit:,.0f} 元", {"amount": value})

    out.sort(key=lambda t: (t.start, t.end))
    return out


def is_professional_complainant(traits: Iterable[Trait]) -> bool:
    """True at three or more DISTINCT trait codes."""
    return len({t.code for t in traits}) >= PROFESSIONAL_COMPLAINANT_MIN_TRAITS
