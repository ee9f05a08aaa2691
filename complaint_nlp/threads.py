"""Conversation threads: several messages of one ticket analysed together.

Messages are read in order; after each one the thread state says how often the customer has
chased, how the emotion is moving and the highest level so far, exactly as a ticket system would
see it live. :func:`analyze_thread` is the library form; batch scoring uses :class:`ThreadState`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .result import Analysis
from .taxonomy import ACTIVE_DEMAND_MODALITIES, CUSTOMER_TYPES, LEVELS, ResponseTarget, level_rank

__all__ = ["ThreadState", "ThreadAnalysis", "analyze_thread", "heat"]

#: chasing more than this many times forces at least "serious" (TAXONOMY §5 seed rule)
CHASE_LIMIT = 3
_COLUMNS = ("thread_position", "thread_chases", "thread_trajectory", "thread_max_level", "thread_level", "thread_demands", "thread_customer_type")
_TYPES = tuple(c for c in CUSTOMER_TYPES if c != "unknown")
_RANK = {code: level_rank(code) for code in LEVELS}
_TREND_EPS = 0.08


def heat(a: Analysis) -> float:
    """0-1 heat of one message: intensity plus the probability of a non-neutral emotion."""
    if a.error is not None:
        return 0.0
    neg = 1.0 - float(a.emotion_scores.get("neutral", 1.0 if not a.emotion_scores else 0.0))
    return round(0.5 * a.intensity + 0.5 * neg, 4)


#: a demand as thread state keeps it: (kind, modality, text, amount, amount_max, per_day, multiple)
DemandTuple = tuple  # tuple[str, str, str, float | None, float | None, bool, float | None]


def thread_inputs(a: Analysis) -> tuple[bool, int, str | None, float, tuple[DemandTuple, ...], tuple[float, ...]]:
    """What thread state needs of one message: (analysed without error, the largest explicit
    contact count of a done repeated_contact signal, level, heat, demands as tuples, customer
    type scores in :data:`~complaint_nlp.taxonomy.CUSTOMER_TYPES` order)."""
    if a.error is not None:
        return False, 0, None, 0.0, (), ()
    counted = max((int(s.details.get("count") or 0) for s in a.signals if s.code == "repeated_contact" and s.modality == "done" and s.details.get("kind") == "contact"), default=0)
    demands = tuple((d.kind, d.modality, d.text, d.amount, d.amount_max, d.per_day, d.multiple) for d in a.demands)
    scores = tuple(float(a.customer_type.scores.get(t, 0.0)) for t in _TYPES) if a.customer_type else ()
    return True, counted, a.level, heat(a), demands, scores


def _trajectory(heats: Sequence[float]) -> str:
    if len(heats) < 2:
        return "flat"
    n = len(heats)
    mx = (n - 1) / 2
    my = sum(heats) / n
    var = sum((i - mx) ** 2 for i in range(n))
    slope = sum((i - mx) * (h - my) for i, h in enumerate(heats)) / var
    change = round(slope * (n - 1), 9)  # rounded: the running-sum version must agree at the threshold
    if change > _TREND_EPS:
        return "rising"
    if change < -_TREND_EPS:
        return "falling"
    return "flat"


def _trajectory_from_sums(n: int, sum_h: float, sum_ih: float) -> str:
    """:func:`_trajectory` from running sums (n, Σh, Σi·h), in O(1) per message: the slope of the
    least-squares line is (Σi·h − n·mx·my) / Σ(i − mx)², with Σ(i − mx)² = n(n² − 1)/12. A test
    checks it equals the plain version."""
    if n < 2:
        return "flat"
    mx = (n - 1) / 2
    my = sum_h / n
    var = n * (n * n - 1) / 12
    change = round((sum_ih - n * mx * my) / var * (n - 1), 9)
    if change > _TREND_EPS:
        return "rising"
    if change < -_TREND_EPS:
        return "falling"
    return "flat"


@dataclass
class ThreadState:
    """Running state of one thread; :meth:`update` returns the thread columns after a message.

    Constant memory and time per message (running sums, not the list of heats), so a thread of a
    million messages costs what a million singletons do."""

    messages: int = 0
    chases: int = 0
    max_level: str | None = None
    scored: int = 0  # messages that had a heat (no error)
    sum_heat: float = 0.0
    sum_i_heat: float = 0.0
    type_rules: Any = None  # CustomerTypeRules deciding the ticket's type (default: the shipped ones)
    # kind → (live, position, demand tuple): one per kind, so memory stays constant
    _demands: dict[str, tuple[bool, int, DemandTuple]] = field(default_factory=dict)
    _type_scores: list[float] = field(default_factory=lambda: [0.0] * len(_TYPES))

    def update(self, a: Analysis) -> dict[str, Any]:
        """The thread columns after message ``a``."""
        return self.update_values(*thread_inputs(a))

    def update_values(self, ok: bool, counted: int, msg_level: str | None, h: float, demands: tuple[DemandTuple, ...] = (), type_scores: tuple[float, ...] = ()) -> dict[str, Any]:
        """:meth:`update` from a message's :func:`thread_inputs` (what a batch worker sends back
        instead of the whole analysis)."""
        return dict(zip(_COLUMNS, self.step(ok, counted, msg_level, h, demands, type_scores)))

    def step(self, ok: bool, counted: int, msg_level: str | None, h: float, demands: tuple[DemandTuple, ...] = (), type_scores: tuple[float, ...] = ()) -> tuple[Any, ...]:
        """:meth:`update_values` as a tuple in column order (the batch parent's fast path)."""
        self.messages += 1
        for d in demands:  # per kind, the latest live demand wins, else the latest of any modality
            live = d[1] in ACTIVE_DEMAND_MODALITIES
            old = self._demands.get(d[0])
            if old is None or live or not old[0]:
                if old is not None and old[0] == live and d[3] is None and old[2][3] is not None:
                    d = d[:3] + old[2][3:]  # keep the amount an earlier message gave
                self._demands[d[0]] = (live, self.messages, d)
        for i, v in enumerate(type_scores):
            self._type_scores[i] += v
        if ok:
            # a follow-up message is itself a chase; an explicit "第五次" says more
            self.chases = max(self.chases + (1 if self.messages > 1 else 0), counted - 1 if counted else 0)
            if msg_level is not None and (self.max_level is None or _RANK[msg_level] > _RANK[self.max_level]):
                self.max_level = msg_level
            self.sum_i_heat += self.scored * h
            self.sum_heat += h
            self.scored += 1
        level = self.max_level
        if level is not None and self.chases > CHASE_LIMIT and _RANK[level] < _RANK["serious"]:
            level = "serious"
        return (self.messages, self.chases, _trajectory_from_sums(self.scored, self.sum_heat, self.sum_i_heat), self.max_level, level, self.demand_rows(), self.customer_type())

    def demand_rows(self) -> list[dict[str, Any]]:
        """The ticket's demands so far (column ``thread_demands``), in order of the message that
        stated them."""
        keys = ("kind", "modality", "text", "amount", "amount_max", "per_day", "multiple")
        return [dict(zip(keys, d), message=pos) for _, pos, d in sorted(self._demands.values(), key=lambda t: (t[1], t[2][0]))]

    def customer_type(self) -> str:
        """The ticket's customer type so far: the scores of its messages summed, decided with the
        thresholds of ``type_rules``."""
        from .customer_type import decide_type, default_customer_type_rules

        rules = self.type_rules or default_customer_type_rules()
        return decide_type(rules, dict(zip(_TYPES, self._type_scores)))


@dataclass(frozen=True)
class ThreadAnalysis:
    """A whole thread: per-message results plus the thread view after the last message."""

    messages: tuple[Analysis, ...]
    chases: int
    trajectory: str
    max_level: str | None
    level: str | None
    heats: tuple[float, ...]
    demands: tuple[dict[str, Any], ...] = ()
    customer_type: Any = None  # CustomerType over the ticket (scores summed)

    @property
    def response(self) -> ResponseTarget | None:
        return LEVELS[self.level] if self.level else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": [m.to_dict() for m in self.messages],
            "chases": self.chases,
            "trajectory": self.trajectory,
            "heats": list(self.heats),
            "max_level": self.max_level,
            "level": self.level,
            "response": self.response.to_dict() if self.response else None,
            "demands": [dict(d) for d in self.demands],
            "customer_type": self.customer_type.to_dict() if self.customer_type is not None else None,
        }


def analyze_thread(messages: Iterable[str], analyzer: Any = None) -> ThreadAnalysis:
    """Analyse the messages of one ticket, oldest first.

    Args:
        messages: message texts in the order they arrived.
        analyzer: an :class:`~complaint_nlp.Analyzer`; default the shipped one.
    """
    if analyzer is None:
        from .analyzer import get_default_analyzer

        analyzer = get_default_analyzer()
    results = analyzer.analyze_many(list(messages))
    type_rules = getattr(analyzer, "customer_types", None)
    st = ThreadState(type_rules=type_rules)
    cols: dict[str, Any] = {"thread_level": None, "thread_max_level": None, "thread_trajectory": "flat", "thread_chases": 0}
    for r in results:
        cols = st.update(r)
    heats = tuple(heat(r) for r in results if r.error is None)
    from .customer_type import combine_customer_types

    ctype = combine_customer_types([r.customer_type for r in results if r.customer_type is not None], type_rules)
    return ThreadAnalysis(tuple(results), cols["thread_chases"], cols["thread_trajectory"], cols["thread_max_level"], cols["thread_level"], heats, tuple(cols.get("thread_demands") or ()), ctype)
