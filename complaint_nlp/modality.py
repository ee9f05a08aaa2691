"""Modality of a rule hit (TAXONOMY §3): threatened, done, negated or mentioned.

The decision is the table :data:`STEPS`, read top to bottom: the first step that applies to the
hit's code and finds its cue in its window decides. Cue lists are data (``[modality]`` in the
lexicon); the order is here, in one place, and :func:`decide_modality`'s docstring (and README's
table) are rendered from it, so the documented order cannot drift from the code.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .lexicon import Lexicon

__all__ = ["Step", "STEPS", "SCOPES", "SENT_END", "Stops", "decide_modality", "render_table", "left_bound", "right_end"]

#: which codes a step applies to. "actions" are what a customer threatens to do or has done.
_ACTIONS = frozenset({"regulator", "media", "legal"})
SCOPES: dict[str, Callable[[str], bool]] = {
    "all codes": lambda code: True,
    "regulator, media, legal": lambda code: code in _ACTIONS,
    "regulator, media, legal, collective": lambda code: code in _ACTIONS or code == "collective",
    "safety_hazard": lambda code: code == "safety_hazard",
    "collective": lambda code: code == "collective",
    "every other code": lambda code: code not in _ACTIONS,
}

#: where a step looks, relative to the hit text[start:end] of the normalised text
WINDOWS = {
    "clause": "the clause before the hit (back to `，` or a sentence stop, at most 14 characters)",
    "sentence": "the sentence before the hit (at most 40 characters)",
    "near": "the last 12 characters of the clause before the hit",
    "last4": "the last 4 characters before the hit, in its clause",
    "hit": "the hit itself",
    "right": "after the hit, to the sentence stop (at most 16 characters)",
    "right6": "the first 6 characters after the hit",
    "next": "the next sentence, when the hit's own sentence ends within 16 characters (at most 16 characters)",
    "quote": "an open quotation mark (“「『) in the 80 characters before the hit",
    "-": "(always applies)",
}


@dataclass(frozen=True)
class Step:
    """One row of the modality table."""

    modality: str  # the result when the step fires
    cue: str  # a [modality] cue list, "quote", "negation" (negation minus breakers) or "-" (always)
    window: str  # a key of WINDOWS
    scope: str  # a key of SCOPES
    why: str
    find: str = "last"  # the "last" or "first" cue match in the window
    label: str | None = None  # cue text reported instead of the match
    unless: str | None = None  # a cue list: the step does not fire when one of its cues follows the match in the window


STEPS: tuple[Step, ...] = (
    Step("done", "diagnosis", "clause", "safety_hazard", "a medical finding is a fact, not hearsay: 医生说是过敏, 送到医院说是中毒", unless="negation"),
    Step("mentioned", "reported", "clause", "all codes", "someone else's words: 客服说, 听说, 广告"),
    Step("mentioned", "hearsay", "sentence", "all codes", "hearsay or another person's words earlier in the sentence: 听说…, 我妈说…", unless="writer_again"),
    Step("mentioned", "third_party", "sentence", "regulator, media, legal", "a dispute with someone other than the business: 跟房东的押金纠纷请了律师"),
    Step("mentioned", "quote", "quote", "all codes", "inside a quotation", label="“”"),
    Step("threatened", "conditional", "sentence", "regulator, media, legal, collective", "a condition: 再不…就, 否则, 如果"),
    Step("negated", "negation", "near", "all codes", "a negation (不会, 没打算) not followed by a `negation_breakers` word and not a rhetorical question (不是…吗, 以为我不会…？: `rhetorical_before`, `rhetorical_after`)"),
    Step("negated", "retracted_after", "right", "regulator, media, legal", "a threat taken back: 之前说要投诉是气话"),
    Step("mentioned", "against_customer", "right", "regulator, media, legal", "aimed at the customer, someone else's action: 要起诉我, 报警抓我", find="first"),
    Step("mentioned", "hypothetical", "sentence", "safety_hazard", "a worry: 担心, 会不会, 万一"),
    Step("mentioned", "hypothetical", "right6", "safety_hazard", "a worry after the hit"),
    Step("threatened", "threat", "clause", "collective", "an intention: 要, 准备 (联合起来)"),
    Step("threatened", "intention", "right", "collective", "an intention after the group: 三十多户业主准备集体起诉", find="first", unless="completed"),
    Step("done", "-", "-", "every other code", "the customer's own situation or words"),
    Step("done", "done_before", "clause", "regulator, media, legal", "completed: 已经, 昨天, 找过", unless="intention"),
    Step("done", "done_just_before", "last4", "regulator, media, legal", "a verb + 了/过 just before: 打了12315"),
    Step("done", "done_before", "hit", "regulator, media, legal", "completed inside the hit: 已向…投诉"),
    Step("done", "done_in_hit", "hit", "regulator, media, legal", "了/过 inside the hit: 报了警", find="first", label="了"),
    Step("threatened", "resigned", "clause", "regulator, media, legal", "a resigned or planned intention: 只能走法律途径了, 下周就去法院立案"),
    Step("done", "done_after", "right", "regulator, media, legal", "completed after the hit: 投诉了, 受理", find="first"),
    Step("threatened", "threat_after", "right", "regulator, media, legal", "a terse threat after the hit: 法院见, 律师会跟你们联系", find="first"),
    Step("threatened", "threat", "sentence", "regulator, media, legal", "an intention: 要, 将, 准备, 明天", unless="completed"),
    Step("done", "diary", "sentence", "regulator, media, legal", "a dated diary entry narrates what happened: 周日：我放弃了，发微博"),
    Step("done", "done_next", "next", "regulator, media, legal", "the next sentence says it was done: 投诉到12315有什么用？我上周投的", find="first"),
    Step("threatened", "threat_next", "next", "regulator, media, legal", "the next sentence takes it up: 仲裁？行，奉陪到底", find="first"),
    Step("mentioned", "question_after", "right", "regulator, media, legal", "a question about the channel: 12315电话是多少？", find="first", label="?"),
    Step("mentioned", "-", "-", "all codes", "a plain mention"),
)

#: a sentence stop in normalised text (full-width !? are folded to ASCII)
SENT_END = re.compile(r"[。!?；;\n]")
_CLAUSE_END = re.compile(r"[。!?；;\n,，、]")
_LEFT_SENT = 40
_LEFT_CLAUSE = 14
_RIGHT = 16
_NEG_REACH = 12
_OPEN_Q = "“「『"
_CLOSE_Q = "”」』"
_QUOTE_REACH = 80


class Stops:
    """Where one text's sentence and clause stops are, found once and shared by every hit in it
    (each hit otherwise scans its own windows for them). ``decide_modality(..., stops=Stops(t))``
    gives exactly what it gives without (tested on the corpus)."""

    __slots__ = ("text", "sent", "clause", "quote")

    def __init__(self, text: str) -> None:
        self.text = text
        self.sent = [m.end() for m in SENT_END.finditer(text)]  # one character each: end = pos + 1
        self.clause = [m.end() for m in _CLAUSE_END.finditer(text)]
        self.quote = any(q in text for q in _OPEN_Q)  # no opening quote: no hit is inside one

    def left(self, start: int, clause: bool, reach: int) -> int:
        """:func:`left_bound` with ``_CLAUSE_END`` (``clause``) or ``SENT_END``."""
        ends = self.clause if clause else self.sent
        lo = max(0, start - reach)
        i = bisect_right(ends, start) - 1
        return ends[i] if i >= 0 and ends[i] >= lo + 1 else lo

    def right(self, end: int) -> int:
        """:func:`right_end`."""
        i = bisect_left(self.sent, end + 1)
        cap = min(len(self.text), end + _RIGHT)
        if i < len(self.sent) and self.sent[i] - 1 < cap:
            return self.sent[i] - 1
        return cap


def left_bound(text: str, start: int, stop: re.Pattern[str], reach: int) -> int:
    """Start of the span before ``start`` that ends at the last ``stop`` within ``reach``."""
    lo = max(0, start - reach)
    last = lo
    for m in stop.finditer(text, lo, start):
        last = m.end()
    return last


def right_end(text: str, end: int) -> int:
    """End of the window after a hit: the next sentence stop within 16 characters."""
    m = SENT_END.search(text, end, min(len(text), end + _RIGHT))
    return m.start() if m else min(len(text), end + _RIGHT)


def _last(rx: re.Pattern[str] | None, s: str) -> re.Match[str] | None:
    if rx is None or not s:
        return None
    found = None
    for m in rx.finditer(s):
        found = m
    return found


def _inside_quote(text: str, start: int) -> bool:
    left = text[max(0, start - _QUOTE_REACH) : start]
    return max(left.rfind(q) for q in _OPEN_Q) > max(left.rfind(q) for q in _CLOSE_Q)


class _Windows:
    """The text windows around one hit, each computed on first use."""

    __slots__ = ("text", "start", "end", "_cache", "stops")

    def __init__(self, text: str, start: int, end: int, stops: "Stops | None" = None) -> None:
        self.text, self.start, self.end = text, start, end
        self._cache: dict[str, str] = {}
        self.stops = stops

    def __getitem__(self, name: str) -> str:
        got = self._cache.get(name)
        if got is None:
            got = self._cache[name] = self._make(name)
        return got

    def _make(self, name: str) -> str:
        t, s, e = self.text, self.start, self.end
        st = self.stops
        if name == "clause":
            return t[st.left(s, True, _LEFT_CLAUSE) if st is not None else left_bound(t, s, _CLAUSE_END, _LEFT_CLAUSE) : s]
        if name == "sentence":
            return t[st.left(s, False, _LEFT_SENT) if st is not None else left_bound(t, s, SENT_END, _LEFT_SENT) : s]
        if name == "near":
            return self["clause"][-_NEG_REACH:]
        if name == "last4":
            return self["clause"][-4:]
        if name == "hit":
            return t[s:e]
        if name == "right":
            return t[e : st.right(e) if st is not None else right_end(t, e)]
        if name == "right6":
            return self["right"][:6]
        if name == "next":  # 投诉到12315有什么用？我上周投的
            r = self.end + len(self["right"])
            return t[r + 1 : r + 1 + _RIGHT] if r < len(t) and SENT_END.match(t, r) else ""
        raise KeyError(name)


def _negation(w: _Windows, lexicon: "Lexicon") -> str | None:
    near = w["near"]
    m = _last(lexicon.cue("negation"), near)
    if m is None:
        return None
    breakers = lexicon.cue("negation_breakers")
    if breakers is not None and breakers.search(near[m.end() :]):
        return None  # 没人管我就投诉: a condition, not a denial
    rhet = lexicon.cue("rhetorical_after")
    # the 9 characters after the hit, the sentence's own ? included (the "right" window stops before it)
    if rhet is not None and rhet.search(w.text[w.end : w.end + 9]):
        if m.group(0).endswith("不是"):
            return None  # 这不是坑人吗
        before = lexicon.cue("rhetorical_before")
        if before is not None and before.search(near, 0, m.start()):
            return None  # 你们是不是以为我不会去法院？
    return m.group(0)


_STEPS_FOR: dict[str, tuple[Step, ...]] = {}


def _steps_for(code: str) -> tuple[Step, ...]:
    """The rows of :data:`STEPS` that apply to ``code``, in order (computed once per code)."""
    got = _STEPS_FOR.get(code)
    if got is None:
        got = _STEPS_FOR[code] = tuple(step for step in STEPS if SCOPES[step.scope](code))
    return got


def decide_modality(text: str, start: int, end: int, code: str, lexicon: "Lexicon", stops: Stops | None = None) -> tuple[str, str | None]:
    # the docstring is rendered from STEPS below
    w = _Windows(text, start, end, stops)
    for step in _steps_for(code):
        if step.cue == "-":
            return step.modality, step.label
        if step.cue == "quote":
            if (stops is None or stops.quote) and _inside_quote(text, start):
                return step.modality, step.label
            continue
        if step.cue == "negation":
            c = _negation(w, lexicon)
            if c is not None:
                return step.modality, c
            continue
        rx = lexicon.cue(step.cue)
        window = w[step.window]
        if step.find == "last":  # the last match, and an empty one does not count
            m = _last(rx, window)
            if m is not None and not m.group(0):
                m = None
        else:
            m = rx.search(window) if rx is not None and window else None
        if m is not None and step.unless is not None:
            later = lexicon.cue(step.unless)
            if later is not None and later.search(window, m.end()):
                continue  # 上个月说了要去银保监会投诉: the intention is nearer than the past
        if m is not None:
            return step.modality, step.label if step.label is not None else m.group(0)
    raise AssertionError("the modality table ends with a step that always applies")  # pragma: no cover


def render_table() -> str:
    """:data:`STEPS` as a Markdown table (README and the docstring show this)."""
    rows = ["| # | modality | when | looks in | for codes |", "|---|---|---|---|---|"]
    for i, s in enumerate(STEPS, 1):
        cue = {"-": "always", "quote": "quotation mark", "negation": "`negation`"}.get(s.cue, f"`{s.cue}`")
        unless = f", unless a cue of `{s.unless}` follows it" if s.unless else ""
        rows.append(f"| {i} | {s.modality} | {cue}: {s.why}{unless} | {WINDOWS[s.window]} | {s.scope} |")
    return "\n".join(rows)


decide_modality.__doc__ = (
    """Modality of the hit ``text[start:end]`` (normalised text) and the cue that set it.

    The first row of this table (:data:`STEPS`) that applies to ``code`` and finds its cue wins:

    """
    + render_table().replace("\n", "\n    ")
    + "\n"
)
