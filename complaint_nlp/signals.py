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
from typing import Any, Callable

from ._firstchars import CandidateScanner
from .lexicon import Lexicon, Rule
from .modality import SENT_END, Stops, decide_modality, left_bound, right_end
from .normalize import NormalizedText
from .numerals import parse_count
from .result import Signal

__all__ = ["detect_signals", "decide_modality", "intensity_features", "Intensity"]



# ---------------------------------------------------------------- detail extractors
# A rule names the extractor it needs (details = "repeat_count" in the lexicon); an extractor
# returns the hit's details, or None to drop a hit that does not qualify. Words they read are
# the lexicon's [details] lists.


def _repair_near(text: str, start: int, end: int, lexicon: Lexicon) -> bool:
    lo = left_bound(text, start, SENT_END, 20)
    return bool(lexicon.repair_context.search(text[lo : right_end(text, end)]))


def _repeat_adverb(text: str, start: int, end: int, lexicon: Lexicon) -> dict[str, Any] | None:
    """多次, 反复: no count; a repair when repair words stand near."""
    hit = text[start:end]
    repair = bool(lexicon.repair_context.search(hit)) or _repair_near(text, start, end, lexicon)
    flags = ["repaired_3_plus"] if repair and lexicon.repair_words.search(hit) else []
    return {"count": None, "kind": "repair" if repair else "contact", "flags": flags}


def _repeat_count(text: str, start: int, end: int, lexicon: Lexicon) -> dict[str, Any] | None:
    """第三次, 打了五次电话: the count, of repairs or contacts; None for 第一次."""
    hit = text[start:end]
    n = parse_count(hit[1:] if hit.startswith("第") else hit)
    if n is None or n < 1 or (hit.startswith("第") and n < 2):  # "第一次联系" is not repeated
        return None
    repair_hit = bool(lexicon.repair_context.search(hit))
    repair = repair_hit or (_repair_near(text, start, end, lexicon) and not lexicon.contact_words.search(hit))
    flags: list[str] = []
    if repair and n >= 3:
        flags.append("repaired_3_plus")
    if not repair and n > 3:
        flags.append("chased_more_than_3")
    out: dict[str, Any] = {"count": n, "kind": "repair" if repair else "contact", "flags": flags}
    if hit.startswith("第"):
        out["ordinal"] = True  # 第二次: the customer says it is a repeat, whatever the threshold
    return out


#: named detail extractors (the names are schema.DETAIL_EXTRACTORS; a test checks they agree)
EXTRACTORS: dict[str, Callable[[str, int, int, Lexicon], dict[str, Any] | None]] = {
    "repeat_count": _repeat_count,
    "repeat_adverb": _repeat_adverb,
}


# ---------------------------------------------------------------- intensity
@dataclass(frozen=True)
class Intensity:
    """Emotion intensity and its evidence (spans in normalised text)."""

    score: float
    evidence: tuple[tuple[int, int, str], ...]  # (start, end, kind)
    features: dict[str, float]


_SENTENCE = re.compile(r"[^。;；\n]*?[!?]+|[^。;；\n]+")
_PUNCT_RUN = re.compile(r"(?<![!?])[!?]{2,}|(?<![.。])(?:\.{3,}|。{2,})(?=[!?])")
_CAPS = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?:\s+[A-Z]{2,})*(?![A-Za-z])")
_REPEAT_CHAR = re.compile(r"([\u4e00-\u9fff])\1{2,}")
_HAS_UPPER = re.compile(r"[A-Z]")


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
        if lexicon.laughter is None or not lexicon.laughter.match(m.group(0)):  # laughter is not anger
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
    min_repeat = lexicon.settings.min_repeat_count

    def emit(code: str, s: int, e: int, modality: str, cue: str | None, score: float, rule: str, expl: str, details: dict[str, Any] | None = None) -> None:
        os_, oe = nt.to_original(s, e)
        out.append(Signal(code, modality, os_, oe, nt.original[os_:oe], score, rule, expl, cue, details or {}))

    accepted: list[tuple[Rule, int, int, dict[str, Any] | None]] = []
    small: list[tuple[Rule, int, int, dict[str, Any]]] = []  # counted contacts below the threshold
    for rule, s, e in (hits if hits is not None else lexicon.scan(text)["signal"]):
        if lexicon.vetoed(rule, text, s, e):
            continue
        details: dict[str, Any] | None = None
        if rule.details:
            details = EXTRACTORS[rule.details](text, s, e, lexicon)
            if details is None:
                continue
            if details.get("count") is not None and details["count"] < min_repeat and not details.get("ordinal"):
                small.append((rule, s, e, details))
                continue
        accepted.append((rule, s, e, details))
    # "跟店长沟通过两次，区域经理也找过一次": contacts that reach the threshold only together
    total = sum(d["count"] for _, _, _, d in small)
    if small and total >= min_repeat:
        accepted.extend((rule, s, e, dict(d, total=total)) for rule, s, e, d in small)
    stops = Stops(text) if accepted else None  # shared by every hit's modality windows
    for rule, s, e, details in accepted:
        if rule.modality == "auto":
            modality, cue = decide_modality(text, s, e, rule.code, lexicon, stops)
        else:
            modality, cue = rule.modality, None
        emit(rule.code, s, e, modality, cue, lexicon.scored(rule, text, s, e), rule.name, rule.explanation, details)

    inten = intensity if intensity is not None else intensity_features(text, lexicon)
    threshold = lexicon.settings.intensity_threshold
    # profanity, shouting, long repetitions (啊啊啊啊) and runs of 3+ ！/？ are heated whatever the
    # density: one outburst in a long, calm post still counts
    strong = [ev for ev in inten.evidence if ev[2] in ("profanity", "shouting", "long_repetition", "punctuation")]
    if inten.score >= threshold:
        strong = list(inten.evidence)
        if not strong:  # only scattered "!": point at the sentence that has most of them
            span = _densest_sentence(text)
            if span:
                strong = [(span[0], span[1], "density")]
    for s, e, kind in strong:
        modality, cue = ("done", None)
        if kind == "profanity":
            if stops is None:
                stops = Stops(text)
            modality, cue = decide_modality(text, s, e, "high_intensity", lexicon, stops)
            if modality == "negated":  # "不是骂你" keeps the word but not the heat
                continue
        emit("high_intensity", s, e, modality, cue, round(max(inten.score, 0.6), 4), f"intensity.{kind}", f"情绪激烈: {kind}", {"intensity": round(inten.score, 4)})

    out.sort(key=lambda x: (x.start, x.end, x.code))
    return _dedupe(_drop_identity_words(out))


def _drop_identity_words(signals: list[Signal]) -> list[Signal]:
    """"我是律师" / "我是汽车媒体编辑" is a special identity, not a legal or media action: drop the
    legal/media hit that lies inside a special_identity claim.

    Linear after sorting: a hit lies inside some claim iff, among the claims that start at or
    before it, the furthest end reaches its end."""
    claims = sorted((s.start, s.end) for s in signals if s.code == "special_identity" and s.modality != "negated")
    if not claims:
        return signals
    order = sorted(range(len(signals)), key=lambda i: signals[i].start)
    drop: set[int] = set()
    k, reach = 0, -1
    for i in order:
        sig = signals[i]
        while k < len(claims) and claims[k][0] <= sig.start:
            reach = max(reach, claims[k][1])
            k += 1
        if sig.code in ("legal", "media") and reach >= sig.end:
            drop.add(i)
    return [s for i, s in enumerate(signals) if i not in drop] if drop else signals


def _dedupe(signals: list[Signal]) -> list[Signal]:
    """Drop a hit whose span lies inside another hit of the same code and modality."""
    keep: list[Signal] = []
    for sig in signals:
        if any(k.code == sig.code and k.modality == sig.modality and k.start <= sig.start and sig.end <= k.end for k in keep[-8:]):
            continue
        keep.append(sig)
    return keep
