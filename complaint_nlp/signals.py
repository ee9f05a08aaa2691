"""Escalation signals (TAXONOMY §3): rule hits with evidence span, modality and score.

``detect_signals(nt, lexicon)`` reads a :class:`~complaint_nlp.normalize.NormalizedText` and
returns :class:`~complaint_nlp.result.Signal` objects whose ``start``/``end`` index the ORIGINAL
text. Keyword/regex rules come from the lexicon; ``high_intensity`` comes from
:func:`intensity_features`, which also gives the 0-1 ``intensity`` score.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ._firstchars import CandidateScanner
from .lexicon import Lexicon, Rule
from .normalize import NormalizedText
from .numerals import parse_count
from .result import Signal

__all__ = ["detect_signals", "decide_modality", "intensity_features", "Intensity"]

_SENT_END = re.compile(r"[。!?；;\n]")
_CLAUSE_END = re.compile(r"[。!?；;\n,，、]")
_LEFT_SENT = 40  # how far back a sentence-level cue may be
_LEFT_CLAUSE = 14
_RIGHT = 16
_NEG_REACH = 12  # a negation must sit this close before the hit

_THREAT_CODES = frozenset({"regulator", "media", "legal"})
_DONE_IN_HIT = re.compile(r"(?<!不)了|过$")
_RHETORICAL = re.compile(r"^[^。!?；;\n]{0,8}(?:吗|么|嘛|[?])")  # 这不是坑人吗？


def _left_bounds(text: str, start: int, stop: re.Pattern[str], reach: int) -> int:
    lo = max(0, start - reach)
    last = lo
    for m in stop.finditer(text, lo, start):
        last = m.end()
    return last


def _right_end(text: str, end: int) -> int:
    m = _SENT_END.search(text, end, min(len(text), end + _RIGHT))
    return m.start() if m else min(len(text), end + _RIGHT)


def _last(rx: re.Pattern[str] | None, s: str) -> re.Match[str] | None:
    if rx is None or not s:
        return None
    found = None
    for m in rx.finditer(s):
        found = m
    return found


_OPEN_Q = "“「『"
_CLOSE_Q = "”」』"
_QUOTE_REACH = 80


def _inside_quote(text: str, start: int) -> bool:
    """The hit stands inside a quotation opened (and not yet closed) shortly before it."""
    left = text[max(0, start - _QUOTE_REACH) : start]
    opened = max(left.rfind(q) for q in _OPEN_Q)
    closed = max(left.rfind(q) for q in _CLOSE_Q)
    return opened > closed


def decide_modality(text: str, start: int, end: int, code: str, lexicon: Lexicon) -> tuple[str, str | None]:
    """Modality of the hit ``text[start:end]`` (normalised text) and the cue word that set it.

    The order matters and is the documented contract:
    conditional threat (再不…就, 否则) → negation close before (不会, 没打算) → reported speech
    in the same clause (客服说, 听说) → completed action (已经, 刚刚, …了) → intention (要, 将,
    准备) → a question about the channel → default. For regulator/media/legal the default is
    ``mentioned``; for other codes (the customer's own words or situation) it is ``done``, and a
    worry or hypothesis (担心, 会不会, 万一) makes a safety hazard ``mentioned``.
    """
    sent_lo = _left_bounds(text, start, _SENT_END, _LEFT_SENT)
    clause_lo = _left_bounds(text, start, _CLAUSE_END, _LEFT_CLAUSE)
    left_sent = text[sent_lo:start]
    left_clause = text[clause_lo:start]
    right = text[end:_right_end(text, end)]
    cue = lexicon.cue

    def hit(name: str, s: str) -> str | None:
        m = _last(cue(name), s)
        return m.group(0) if m else None

    threat_code = code in _THREAT_CODES
    hit_text = text[start:end]
    # someone else's words in the same clause (客服说如果不满意可以打12315) win over any cue,
    # and so does a quotation: 店员说“你要投诉随便投诉，我们跟市场监管局的人熟”
    c = hit("reported", left_clause)
    if c:
        return "mentioned", c
    if _inside_quote(text, start):
        return "mentioned", "“”"
    if threat_code or code == "collective":
        c = hit("conditional", left_sent)
        if c:
            return "threatened", c
    # negation: close before the hit, in the same clause, not turned into a condition (没人管我就…)
    near = left_clause[-_NEG_REACH:]
    m = _last(cue("negation"), near)
    if m is not None:
        between = near[m.end():]
        breakers = cue("negation_breakers")
        rhetorical = m.group(0).endswith("不是") and _RHETORICAL.search(right)
        if not (breakers is not None and breakers.search(between)) and not rhetorical:
            return "negated", m.group(0)
    if code == "safety_hazard":
        c = hit("hypothetical", left_sent) or hit("hypothetical", right[:6])
        if c:
            return "mentioned", c
    if code == "collective":
        c = hit("threat", left_clause)
        return ("threatened", c) if c else ("done", None)
    if not threat_code:
        return "done", None
    c = hit("done_before", left_clause) or hit("done_just_before", left_clause[-4:]) or hit("done_before", hit_text)
    if c:
        return "done", c
    if _DONE_IN_HIT.search(hit_text):  # 发到了小红书, 报了警
        return "done", "了"
    if cue("done_after") is not None:
        m2 = cue("done_after").search(right)  # type: ignore[union-attr]
        if m2:
            return "done", m2.group(0)
    c = hit("threat", left_sent)
    if c:
        return "threatened", c
    if cue("question_after") is not None and cue("question_after").search(right):  # type: ignore[union-attr]
        return "mentioned", "?"
    return "mentioned", None


# ---------------------------------------------------------------- repeated contact
_DAYS = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}
_REPAIR = re.compile(r"修|进厂|返厂|换件|4S店|4s店|在店|店里|厂里|车间")
_CONTACT = re.compile(r"催|电话|打|联系|找|反映|投诉|问|致电|来电|沟通|留言|反馈|客服")


def _repeat_details(rule: Rule, text: str, start: int, end: int) -> dict[str, Any] | None:
    """Count, unit and seed-rule flags of a repeated_contact hit; None when below threshold."""
    hit = text[start:end]
    clause_lo = _left_bounds(text, start, _SENT_END, 20)
    ctx = text[clause_lo:_right_end(text, end)]
    repair = bool(_REPAIR.search(ctx))
    flags: list[str] = []
    if rule.name == "repeated.wait":
        n = parse_count(hit)
        unit = next((u for u in _DAYS if u in hit), "天")
        if n is None:
            return None
        days = n * _DAYS[unit]
        if "多" in hit and days >= 1:
            days += 0.5 * _DAYS[unit]  # 十多天 is more than ten
        if days < 7:
            return None
        if repair and days >= 10:
            flags.append("repair_10_days_plus")
        return {"days": days, "kind": "repair" if repair else "wait", "flags": flags}
    if rule.name == "repeated.adverb":
        kind = "repair" if _REPAIR.search(hit) or repair else "contact"
        if kind == "repair" and _REPAIR_WORD.search(hit):
            flags.append("repaired_3_plus")
        return {"count": None, "kind": kind, "flags": flags}
    n = parse_count(hit[1:] if hit.startswith("第") else hit)
    if n is None or n < 1 or (hit.startswith("第") and n < 2):  # "第一次联系" is not repeated
        return None
    kind = "repair" if _REPAIR.search(hit) or (repair and not _CONTACT.search(hit)) else "contact"
    if kind == "repair" and n >= 3:
        flags.append("repaired_3_plus")
    if kind == "contact" and n > 3:
        flags.append("chased_more_than_3")
    return {"count": n, "kind": kind, "flags": flags}


# ---------------------------------------------------------------- intensity
@dataclass(frozen=True)
class Intensity:
    """Emotion intensity and its evidence (spans in normalised text)."""

    score: float
    evidence: tuple[tuple[int, int, str], ...]  # (start, end, kind)
    features: dict[str, float]


_REPAIR_WORD = re.compile(r"返修|维修|修了又修|屡修|反复修")
_SENTENCE = re.compile(r"[^。;；\n]*?[!?]+|[^。;；\n]+")
_PUNCT_RUN = re.compile(r"(?<![!?])[!?]{2,}|(?<![.。])(?:\.{3,}|。{2,})(?=[!?])")
_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?:\s+[A-Z]{2,})*(?![A-Za-z])")
_REPEAT_CHAR = re.compile(r"([\u4e00-\u9fff])\1{2,}")
_HAS_UPPER = re.compile(r"[A-Z]")
_REPEAT_OK = re.compile(r"^(?:哈+|呵+|嘿+|嘻+)$")  # laughter is not anger


_PUNCT_SCAN = CandidateScanner(_PUNCT_RUN)
_CAPS_SCAN = CandidateScanner(_CAPS)


def intensity_features(text: str, lexicon: Lexicon) -> Intensity:
    """Intensity 0-1 from punctuation density, runs, profanity, shouting caps and repetition.

    Densities are taken per (length + 25) characters, so a long calm letter with two "!" stays low
    while a short "太过分了!!!" is high.
    """
    n = len(text) - text.count(" ")  # normalised text has no other white space
    excl = text.count("!")
    ques = text.count("?")
    evidence: list[tuple[int, int, str]] = []
    run_chars = 0
    for m in (_PUNCT_SCAN.finditer(text) if excl or ques else ()):  # every run holds a ! or ?
        run_chars += m.end() - m.start()
        if m.end() - m.start() >= 3:
            evidence.append((m.start(), m.end(), "punctuation"))
    prof = 0
    if lexicon.profanity is not None:
        for m in lexicon.profanity_scan.finditer(text):
            prof += 1
            evidence.append((m.start(), m.end(), "profanity"))
    caps = 0
    for m in (_CAPS_SCAN.finditer(text) if _HAS_UPPER.search(text) else ()):
        words = [w for w in m.group(0).split() if w.upper() not in lexicon.acronyms]
        # shouting: a phrase of capitals (NO WAY) or one long capital word (RIDICULOUS);
        # short capital words are mostly model codes and acronyms
        if (len(m.group(0).split()) >= 2 and words) or any(len(w) >= 6 for w in words):
            caps += 1
            evidence.append((m.start(), m.end(), "shouting"))
    reps = 0
    for m in _REPEAT_CHAR.finditer(text):  # a CJK start set is too wide to prefilter
        if not _REPEAT_OK.match(m.group(0)):
            reps += 1
            evidence.append((m.start(), m.end(), "repetition" if m.end() - m.start() < 4 else "long_repetition"))
    density = (excl + 0.5 * ques + run_chars) / (n + 25) * 10
    raw = density + 0.6 * prof + 0.4 * caps + 0.35 * reps
    score = 1 - math.exp(-raw)
    evidence.sort()
    return Intensity(
        score=score,
        evidence=tuple(evidence),
        features={"exclamations": excl, "questions": ques, "run_chars": run_chars, "profanity": prof, "caps": caps, "repetitions": reps, "density": round(density, 4)},
    )


def _densest_sentence(text: str) -> tuple[int, int] | None:
    best, best_n = None, 0
    for m in _SENTENCE.finditer(text):
        k = m.group(0).count("!") + m.group(0).count("?")
        if k > best_n:
            best, best_n = (m.start(), m.end()), k
    return best


# ---------------------------------------------------------------- detection
def detect_signals(nt: NormalizedText, lexicon: Lexicon, intensity: Intensity | None = None, hits: list[tuple[Rule, int, int]] | None = None) -> list[Signal]:
    """All signals in ``nt``, sorted by position. Spans index ``nt.original``.

    ``hits`` are this text's signal hits from :meth:`Lexicon.scan`, when the caller already has them.
    """
    text = nt.text
    out: list[Signal] = []
    min_repeat = float(lexicon.settings.get("min_repeat_count", 3))

    def emit(code: str, s: int, e: int, modality: str, cue: str | None, score: float, rule: str, expl: str, details: dict[str, Any] | None = None) -> None:
        os_, oe = nt.to_original(s, e)
        out.append(Signal(code, modality, os_, oe, nt.original[os_:oe], score, rule, expl, cue, details or {}))

    accepted: list[tuple[Rule, int, int, dict[str, Any] | None]] = []
    small: list[tuple[Rule, int, int, dict[str, Any]]] = []  # counted contacts below the threshold
    for rule, s, e in (hits if hits is not None else lexicon.scan(text)["signal"]):
        if lexicon.vetoed(rule, text, s, e):
            continue
        details: dict[str, Any] | None = None
        if rule.code == "repeated_contact":
            details = _repeat_details(rule, text, s, e)
            if details is None:
                continue
            if details.get("count") is not None and details["count"] < min_repeat:
                small.append((rule, s, e, details))
                continue
        accepted.append((rule, s, e, details))
    # "跟店长沟通过两次，区域经理也找过一次": contacts that reach the threshold only together
    total = sum(d["count"] for _, _, _, d in small)
    if small and total >= min_repeat:
        accepted.extend((rule, s, e, dict(d, total=total)) for rule, s, e, d in small)
    for rule, s, e, details in accepted:
        if rule.modality == "auto":
            modality, cue = decide_modality(text, s, e, rule.code, lexicon)
        else:
            modality, cue = rule.modality, None
        emit(rule.code, s, e, modality, cue, lexicon.scored(rule, text, s, e), rule.name, rule.explanation, details)

    inten = intensity if intensity is not None else intensity_features(text, lexicon)
    threshold = float(lexicon.settings.get("intensity_threshold", 0.5))
    # profanity, shouting and long repetitions (啊啊啊啊) are heated whatever the density
    strong = [ev for ev in inten.evidence if ev[2] in ("profanity", "shouting", "long_repetition")]
    if inten.score >= threshold:
        strong = list(inten.evidence)
        if not strong:  # only scattered "!": point at the sentence that has most of them
            span = _densest_sentence(text)
            if span:
                strong = [(span[0], span[1], "density")]
    for s, e, kind in strong:
        modality, cue = ("done", None)
        if kind == "profanity":
            modality, cue = decide_modality(text, s, e, "high_intensity", lexicon)
            if modality == "negated":  # "不是骂你" keeps the word but not the heat
                continue
        emit("high_intensity", s, e, modality, cue, round(max(inten.score, 0.6), 4), f"intensity.{kind}", f"情绪激烈: {kind}", {"intensity": round(inten.score, 4)})

    out.sort(key=lambda x: (x.start, x.end, x.code))
    return _dedupe(_drop_identity_words(out))


def _drop_identity_words(signals: list[Signal]) -> list[Signal]:
    """"我是律师" / "我是汽车媒体编辑" is a special identity, not a legal or media action: drop the
    legal/media hit that lies inside a special_identity claim."""
    claims = [s for s in signals if s.code == "special_identity" and s.modality != "negated"]
    if not claims:
        return signals
    return [s for s in signals if not (s.code in ("legal", "media") and any(c.start <= s.start and s.end <= c.end for c in claims))]


def _dedupe(signals: list[Signal]) -> list[Signal]:
    """Drop a hit whose span lies inside another hit of the same code and modality."""
    keep: list[Signal] = []
    for sig in signals:
        if any(k.code == sig.code and k.modality == sig.modality and k.start <= sig.start and sig.end <= k.end for k in keep[-8:]):
            continue
        keep.append(sig)
    return keep
