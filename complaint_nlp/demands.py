"""Demands (诉求): what the customer asks for, with the evidence span, the modality and amounts.

The rules are data (``complaint_nlp/data/demands.toml``, or a file of your own): each rule names a
demand kind and the words that carry it. A hit's modality comes from cue lists in the same file:

1. ``negated``: the customer refuses it, before the hit (``我不要赔偿``, ``不为钱``);
2. ``mentioned``: someone else offers or reports it (``客服说可以补偿50元``, ``店里只同意维修``),
   unless a ``reclaim`` word in the clause makes it the customer's ask (``希望老板可以退``);
3. ``negated``: the customer refuses it, after the hit (``道歉就不用了``);
4. ``threatened``: a negated condition before the hit that the right side turns into a threat
   (``不赔钱就去12315``, ``再不退款我就起诉``);
5. ``done``: already granted (``已经退款了``, ``退了15元``);
6. ``demanded``: otherwise (asked for now, or a remedy still being chased).

Money demands carry the amount asked for, read from Arabic or Chinese numerals with 万/千/块/元/w/k
(cn2an reads the Chinese ones), as a range (``2000到3000元``, ``两三千``) or a daily sum
(``每天100元``); multiples (``退一赔三``, ``十倍赔偿``) carry ``multiple``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from ._data import LazyDefault, data_file
from ._firstchars import CandidateScanner
from .lexicon import read_toml
from .modality import SENT_END
from .normalize import NormalizedText
from .numerals import AMOUNT_RE, parse_amount, _cn
from .result import Demand
from .saferegex import checked_rule_source, compile_alternation
from .schema import DemandRule, DemandSpec, build
from .taxonomy import DEMAND_KINDS

__all__ = ["DemandRules", "default_demand_rules", "detect_demands", "parse_multiple"]

_CLAUSE_END = re.compile(r"[。!?；;\n,，、:]")  # a colon too: "车我不要了：直接退车"
# the amount of a demand is in its own clause ("退款，赔偿5000元": the 5000 is the compensation's)
_AMOUNT_STOP = re.compile(r"[。!?；;\n，、]|,(?![0-9]{3})")
# a clause that only carries the sum of the one before: "赔偿, 每天200元", "退费, 共6300元"
_SUM_CLAUSE = re.compile(r"\s?(?:每天|每日|每晚|每人|每节|共计?|合计|即|一共|总共|总计)")
# "两三千", "三五万", "一两百": two adjacent digits then a unit: a range
_CN_RANGE = re.compile(r"(?<![零〇一二两三四五六七八九十百千万])([一二两三四五六七八九])([二两三四五六七八九])([十百千万])(万)?(元|块钱|块)?")
# "1万5" / "一万五": the tail digit is thousands
_WAN_TAIL = re.compile(r"([0-9]{1,4})万([1-9])(?![0-9千百])")
_UNITS = {"十": 10.0, "百": 100.0, "千": 1e3, "万": 1e4, "万元": 1e4, "万块": 1e4, "w": 1e4, "W": 1e4, "千元": 1e3, "千块": 1e3, "k": 1e3, "K": 1e3}
_UNIT_ALT = "万元|万块|万|千元|千块|千|元|块钱|块|w|W|k|K"
_CN_NUM = "[零〇一二两三四五六七八九十百千]"
# a bare number of 2–7 digits right after a money word (not a date, count or quantity)
_BARE = re.compile(r"(?<![0-9.,A-Za-z])([0-9]{2,7}(?:\.[0-9]{1,2})?)(?![0-9.]|\s?(?:年|月|日|号|个|次|天|%|小时|分钟|公里|km|G|M|台|件|人|楼|层|岁|期|节|晚|倍|多))")
_MULT = re.compile(r"([0-9]{1,2}|[一二两三四五六七八九十]{1,2})\s?倍|[退假买]一赔([二两三四五六七八九十])")


def parse_multiple(hit: str) -> float | None:
    """The multiple named in ``hit``: ``退一赔三`` → 3, ``十倍赔偿`` → 10, ``赔偿3倍`` → 3."""
    m = _MULT.search(hit)
    if m is None:
        return None
    tok = m.group(1) or m.group(2)
    if tok[0].isdigit():
        return float(tok)
    return _cn(tok)


class DemandRules:
    """The demand rules of one file, compiled. Read-only after construction (thread-safe)."""

    def __init__(self, spec: DemandSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        alts: list[str] = []
        self.rules: list[DemandRule] = []
        self.vetoes: list[re.Pattern[str] | None] = []
        self.vetoes_after: list[re.Pattern[str] | None] = []
        for i, r in enumerate(spec.demands):
            src = checked_rule_source(r.keywords, r.patterns, f"{source}: rule {r.name!r}")
            alts.append(f"(?P<r{i}>{src})")
            self.rules.append(r)
            self.vetoes.append(re.compile("|".join(map(re.escape, r.veto))) if r.veto else None)
            self.vetoes_after.append(re.compile("|".join(map(re.escape, r.veto_after))) if r.veto_after else None)
        # longest alternatives first inside each rule; across rules the leftmost hit wins and,
        # at one position, the rule whose hit is longer (tried below)
        self._rx = re.compile("|".join(alts), re.IGNORECASE)
        # finditer of _rx tried only where a demand word can start (one C-level scan): 3x faster
        self._scan = CandidateScanner(self._rx)
        self._rule_rx = [re.compile(a, re.IGNORECASE) for a in alts]
        m = spec.modality
        self.cue_demand = compile_alternation(m.demand, f"{source}: [modality] key 'demand'")
        self.cue_cond_before = compile_alternation(m.condition_before, f"{source}: [modality] key 'condition_before'")
        self.cue_cond_after = compile_alternation(m.condition_after, f"{source}: [modality] key 'condition_after'")
        self.cue_negation = compile_alternation(m.negation, f"{source}: [modality] key 'negation'")
        self.cue_negation_after = compile_alternation(m.negation_after, f"{source}: [modality] key 'negation_after'")
        self.cue_reclaim = compile_alternation(m.reclaim, f"{source}: [modality] key 'reclaim'")
        self.cue_done_in_hit = compile_alternation(m.done_in_hit, f"{source}: [modality] key 'done_in_hit'")
        self.cue_offered = compile_alternation(m.offered, f"{source}: [modality] key 'offered'")
        self.cue_done_before = compile_alternation(m.done_before, f"{source}: [modality] key 'done_before'")
        self.cue_done_after = compile_alternation(m.done_after, f"{source}: [modality] key 'done_after'")
        a = spec.amounts
        joiners = "|".join(map(re.escape, sorted(a.range_joiners, key=len, reverse=True)))
        # the low end of a range and its joiner; the high end is an AMOUNT_RE match right after
        self._range_left = re.compile(rf"(?<![0-9.,])(?P<a>[0-9]{{1,9}}(?:\.[0-9]{{1,4}})?|(?<![零〇一二两三四五六七八九十百千]){_CN_NUM}{{1,6}})\s?(?P<ua>{_UNIT_ALT})?\s?(?:{joiners})\s?")
        self.per_day = compile_alternation(a.per_day, f"{source}: [amounts] key 'per_day'")
        self.not_demand = compile_alternation(a.not_demand, f"{source}: [amounts] key 'not_demand'")
        self.settings = spec.settings

    @classmethod
    def load(cls, path: str | Path | None = None) -> "DemandRules":
        """The shipped demand rules (``None``) or a file of your own, read strictly."""
        p = Path(path) if path is not None else data_file("demands.toml")
        return cls(build(DemandSpec, read_toml(p), str(p)), str(p))

    # --------------------------------------------------------------- scanning
    def hits(self, text: str) -> Iterable[tuple[int, int, int]]:
        """(rule index, start, end) of every demand word in ``text`` (normalised), left to right."""
        last = 0
        for m in self._scan.finditer(text):
            s = m.start()
            if s < last:  # inside the longer hit chosen at an earlier position
                continue
            best_i, best_e = -1, -1
            for i, r in enumerate(self._rule_rx):  # the longest hit at this position wins
                mm = r.match(text, s)
                if mm is not None and mm.end() > best_e:
                    best_i, best_e = i, mm.end()
            yield best_i, s, best_e
            last = best_e

    def _clause(self, text: str, start: int) -> str:
        lo = max(0, start - self.settings.clause_reach)
        last = lo
        for m in _CLAUSE_END.finditer(text, lo, start):
            last = m.end()
        return text[last:start]

    def modality(self, text: str, start: int, end: int) -> tuple[str, str | None]:
        """(modality, cue) of the demand word ``text[start:end]``; see the module docstring."""
        clause = self._clause(text, start)
        stop = SENT_END.search(text, end, min(len(text), end + 20))
        right = text[end : stop.start() if stop else min(len(text), end + 20)]
        neg = self.cue_negation.search(clause)
        if neg is not None:
            return "negated", neg.group(0)
        off = None
        for off in self.cue_offered.finditer(clause):
            pass
        if off is not None and not self.cue_reclaim.search(clause):
            return "mentioned", off.group(0)
        neg = self.cue_negation_after.search(right)
        if neg is not None:
            return "negated", neg.group(0)
        cb = self.cue_cond_before.search(clause)
        if cb is not None:
            ca = self.cue_cond_after.search(right)
            if ca is not None:
                return "threatened", cb.group(0) + "…" + ca.group(0).strip()
        done = self.cue_done_in_hit.search(text[start:end]) or self.cue_done_before.search(clause) or self.cue_done_after.search(right)
        if done is not None:
            return "done", done.group(0)
        cue = None
        for cue in self.cue_demand.finditer(clause):
            pass
        return "demanded", cue.group(0) if cue is not None else None

    # --------------------------------------------------------------- amounts
    def _amount_at(self, text: str, lo: int, hi: int, bare: bool = False, bare_hi: int = 0) -> tuple[float, float | None, int, int] | None:
        """The first amount in ``text[lo:hi]``: (value, high end of a range or None, start, end).

        Ranges: ``2000到3000元``, ``3-5万`` (the unit of the high end applies to a bare low end),
        ``两三千``. ``1万5`` is 15,000."""
        cands: list[tuple[float, float | None, int, int]] = []
        m = _CN_RANGE.search(text, lo, hi)
        if m is not None and (m.group(4) or m.group(5) or m.group(3) in "千万"):
            unit = _UNITS[m.group(3)] * (10000 if m.group(4) else 1)
            a, b = _cn(m.group(1)), _cn(m.group(2))
            if a is not None and b is not None and a < b:
                cands.append((a * unit, b * unit, m.start(), m.end()))
        for rm in self._range_left.finditer(text, lo, hi):
            m2 = AMOUNT_RE.match(text, rm.end())
            v2 = parse_amount(m2) if m2 is not None and m2.end() <= hi + 4 else None
            if v2 is None:
                continue
            tok = rm.group("a")
            low = float(tok) if tok[0].isdigit() else _cn(tok)
            if low is None:
                continue
            ua = rm.group("ua")
            if ua:
                low *= _UNITS.get(ua, 1.0)
            else:  # 3-5万: the high end's unit
                unit2 = m2.group("unit") or m2.group("unit2") or m2.group("unit3") or ""  # type: ignore[union-attr]
                low *= _UNITS.get(unit2, 1.0)
            if not ua and low < 10 <= v2 / 10 and low * 10 > v2 / 10 ** len(str(int(v2))):
                # "三到五千", "2-3万元" without a unit on the low end: the high end's magnitude
                low *= 10 ** (len(str(int(v2))) - 1)
            if low < v2:
                cands.append((low, v2, rm.start(), m2.end()))  # type: ignore[union-attr]
                break
        for am in AMOUNT_RE.finditer(text, lo, hi):
            value = parse_amount(am)
            if value is None:
                continue
            s, e = am.start(), am.end()
            wt = _WAN_TAIL.match(text, s)
            if wt is not None:  # "1万5": AMOUNT_RE stops at 万
                value = float(wt.group(1)) * 10000 + float(wt.group(2)) * 1000
                e = wt.end()
                while e < len(text) and text[e] in "元块":
                    e += 1
            cands.append((value, None, s, e))
            break
        if not cands and bare:
            # right after a money word, a bare number is money: 赔8000, 退198
            bm = _BARE.search(text, lo, hi)
            if bm is not None and bm.start() < (bare_hi or hi):
                cands.append((float(bm.group(1)), None, bm.start(1), bm.end(1)))
        if not cands:
            return None
        return min(cands, key=lambda c: (c[2], -c[3]))

    def _read_amount(self, text: str, start: int, end: int) -> tuple[float, float | None, bool, int, int] | None:
        """The amount asked for with the demand word ``text[start:end]``: after it in its clause
        (赔偿5000元), or just before it (5000元的赔偿); (value, high, per_day, start, end)."""
        n = len(text)
        hi = min(n, end + self.settings.amount_after)
        pos = end
        while True:  # the hit's clause, and a next one that only holds the sum (赔偿, 每天200元)
            stop = _AMOUNT_STOP.search(text, pos, hi)
            if stop is None or not _SUM_CLAUSE.match(text, stop.end()):
                break
            pos = stop.end()
        if stop is not None:
            hi = stop.start()
        # from the hit's start: a sum may sit inside it (退我300, 把198退给我)
        got = self._amount_at(text, start, hi, bare=True, bare_hi=min(hi, end + 4))
        if got is not None and self.not_demand.search(text[end : got[2]]):
            got = None
        if got is None and self.settings.amount_before:
            lo = max(0, start - self.settings.amount_before)
            for m in SENT_END.finditer(text, lo, start):
                lo = m.end()
            cand = None
            for am in AMOUNT_RE.finditer(text, lo, start):
                cand = am
            if cand is not None and re.fullmatch(r"\s?(?:的|块钱的|元的|钱的)?\s?", text[cand.end() : start]):
                got = self._amount_at(text, cand.start(), start)
                if got is not None and self.not_demand.search(text[max(0, got[2] - 6) : got[2]]):
                    got = None
        if got is None:
            return None
        value, high, s, e = got
        before = text[max(0, s - 10) : s]
        after = text[e : e + 4]
        per_day = bool(self.per_day.search(before) or self.per_day.search(after)) or bool(self.per_day.search(text[start:end]))
        if per_day:
            pm = re.match(r"^(?:/天|/日|一天|每天|每日)", after)
            if pm is not None:
                e += pm.end()
        return value, high, per_day, s, e


_default = LazyDefault(DemandRules.load)


def default_demand_rules() -> DemandRules:
    """The shipped demand rules, built on first use."""
    return _default()  # type: ignore[no-any-return]


def detect_demands(nt: NormalizedText, rules: DemandRules | None = None) -> list[Demand]:
    """The demands in ``nt``, one per (kind, modality), in order of first evidence. Spans index
    ``nt.original``; money demands carry ``amount`` (yuan), ``amount_max`` for a range,
    ``per_day`` for a daily sum and ``multiple`` for 退一赔三-style claims."""
    rules = rules or default_demand_rules()
    text = nt.text
    found: dict[tuple[str, str], Demand] = {}
    for i, s, e in rules.hits(text):
        rule = rules.rules[i]
        veto = rules.vetoes[i]
        if veto is not None:
            lo, hi = max(0, s - 6), min(len(text), e + 6)
            if any(v.start() < e - lo and v.end() > s - lo for v in veto.finditer(text[lo:hi])):
                continue
        if rule.cue_required:
            clause = rules._clause(text, s)
            if not rules.cue_demand.search(clause) and not rules.cue_negation.search(clause):
                continue  # a word like 维修 or 解释 counts only when asked for (or refused)
        modality, cue = rules.modality(text, s, e)
        amount = amount_max = multiple = None
        per_day = False
        span_s, span_e = s, e
        if rule.multiple:
            multiple = parse_multiple(text[s:e])
        if rule.amount:
            got = rules._read_amount(text, s, e)
            if got is not None:
                amount, amount_max, per_day, a_s, a_e = got
                span_s, span_e = min(s, a_s), max(e, a_e)
        va = rules.vetoes_after[i]
        if va is not None and va.search(text, e, max(e, span_e) + 6):
            continue  # 退我500元差价: the price-difference rule says it
        os_, oe = nt.to_original(span_s, span_e)
        d = Demand(
            kind=rule.kind,
            modality=modality,
            start=os_,
            end=oe,
            text=nt.original[os_:oe],
            score=rule.score,
            rule=rule.name,
            explanation=rule.explanation or DEMAND_KINDS[rule.kind],
            cue=cue,
            amount=amount,
            amount_max=amount_max,
            per_day=per_day,
            multiple=multiple,
        )
        key = (rule.kind, modality)
        old = found.get(key)
        if old is None:
            found[key] = d
        elif (old.amount is None and d.amount is not None) or (old.multiple is None and d.multiple is not None):
            found[key] = _fill(old, d)
    out = list(found.values())
    out.sort(key=lambda d: (d.start, d.end))
    return out


def _fill(old: Demand, new: Demand) -> Demand:
    """``old`` (the first evidence) with the amount or multiple a later hit of its kind found."""
    if old.amount is None and new.amount is not None:
        return new if old.multiple is None or new.multiple is not None else replace(new, multiple=old.multiple)
    return replace(old, multiple=new.multiple)
