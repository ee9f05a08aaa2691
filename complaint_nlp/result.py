"""Result dataclasses. Plain data, JSON-ready through ``to_dict()``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from .taxonomy import ResponseTarget

#: Bumped whenever a field of ``Analysis.to_dict()`` changes meaning or is removed.
SCHEMA_VERSION = "1.2"  # 1.1: category_evidence; 1.2: demands, customer_type, playbook

__all__ = ["SCHEMA_VERSION", "Signal", "Trait", "LevelReason", "CategoryEvidence", "Demand", "TypeEvidence", "CustomerType", "PlaybookStep", "Playbook", "Analysis"]


def rounded_scores(scores: Mapping[str, float]) -> dict[str, float]:
    """code → score rounded to 4 places, as results print them: ``round(v, 4)`` for every value,
    the same floats, in half the time for the values results hold.

    ``round(v, 4)`` goes through a decimal string. For 0 < v < 1e5, ``y = v * 1e4`` is within
    1.2e-7 of the exact product (its ulp is at most 2**-22), so unless ``y`` lies within 1e-6 of a
    half, ``round(y)`` is the integer the exact product rounds to, and ``n / 1e4`` (two exact
    doubles, a correctly rounded division) is the double nearest ``n / 10**4``, which is what
    ``round`` returns. Near a half, zero (and its sign), negatives, large values, inf and NaN go
    to ``round`` itself. Tested equal on generated floats and on constructed ties."""
    out: dict[str, float] = {}
    for k, v in scores.items():
        v = float(v)
        if 0.0 < v < 1e5:
            y = v * 10000.0
            n = round(y)
            if abs(abs(y - n) - 0.5) > 1e-6:
                out[k] = n / 10000.0
                continue
        out[k] = round(v, 4)
    return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(obj: Any) -> dict[str, Any]:
    """Field name → value, with scores rounded and mappings copied into plain dicts."""
    names = _FIELD_NAMES.get(type(obj))
    if names is None:  # dataclasses.fields() is slow enough to matter per batch row
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in fields(obj))
    out = {name: getattr(obj, name) for name in names}
    if "score" in out:
        out["score"] = round(float(out["score"]), 4)
    if "details" in out:
        out["details"] = dict(out["details"])
    return out


@dataclass(frozen=True)
class Signal:
    """One escalation signal with its evidence.

    ``start``/``end`` index the ORIGINAL text passed to ``analyze``: ``text == original[start:end]``.
    """

    code: str
    modality: str
    start: int
    end: int
    text: str
    score: float
    rule: str
    explanation: str
    cue: str | None = None  # the word that set the modality (要, 已经, 不会, 客服说…), if any
    details: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"count": 5, "unit": "次"}

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Trait:
    """One professional-complainant trait with its evidence (span into the original text)."""

    code: str
    start: int
    end: int
    text: str
    score: float
    rule: str
    explanation: str
    details: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"amount": 80000.0}

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class CategoryEvidence:
    """A span of the original text that pushed the predicted category up.

    ``text == original[start:end]``; ``weight`` is the span's share of the category's lead over
    the average category, in calibrated log-odds (larger: stronger evidence).
    """

    start: int
    end: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "weight": round(float(self.weight), 4)}


@dataclass(frozen=True)
class Demand:
    """One thing the customer asks for (诉求), with its evidence span in the original text.

    ``modality``: ``demanded`` (asked for now, or a remedy still chased), ``threatened`` (the
    condition of a threat: 不赔就…), ``negated`` (the customer refuses it), ``mentioned``
    (offered or reported by someone else), ``done`` (already granted). Money demands carry
    ``amount`` in yuan, ``amount_max`` for a range (``amount`` is then its low end) and
    ``per_day`` for a daily sum; 退一赔三-style claims carry ``multiple``.
    """

    kind: str
    modality: str
    start: int
    end: int
    text: str
    score: float
    rule: str
    explanation: str
    cue: str | None = None
    amount: float | None = None
    amount_max: float | None = None
    per_day: bool = False
    multiple: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class TypeEvidence:
    """A span of the original text that shows a customer type, and what it added to its score."""

    type: str
    start: int
    end: int
    text: str
    weight: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end, "text": self.text, "weight": round(float(self.weight), 4), "rule": self.rule}


@dataclass(frozen=True)
class CustomerType:
    """Which of the after-sales material's four complaint-customer types the writer shows.

    ``code`` is ``dominant``, ``analytical``, ``social``, ``persistent`` or ``unknown`` (the text
    says too little); ``scores`` holds every type's score (sum of its evidence weights);
    ``handling`` is the coping guidance for the type, in order.
    """

    code: str
    name: str
    scores: Mapping[str, float]
    evidence: tuple[TypeEvidence, ...]
    handling: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "scores": rounded_scores(self.scores),
            "evidence": [e.to_dict() for e in self.evidence],
            "handling": list(self.handling),
        }


@dataclass(frozen=True)
class PlaybookStep:
    """One step of a recovery plan: the five-step method's step and what to do in it."""

    step: str
    actions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "actions": list(self.actions)}


@dataclass(frozen=True)
class Playbook:
    """The service-recovery plan that fits one analysis (../shared/PLAYBOOK.md).

    Attributes:
        scenario / name: the scenario code and its Chinese name.
        reason: why this scenario (the category, signal or level rule that chose it);
            ``evidence``/``start``/``end``: the original-text span behind it, when one did.
        steps: the ordered recovery plan.
        apology_level / apology / apology_example: the apology that fits the level (1–4).
        budget_min / budget_max: the material's compensation band in CNY (None when it gives none).
        overrun_hours / overrun_offer: the stated overrun of a promised time and the tier it falls
            in (delay scenario), with ``overrun_text`` its evidence.
        level / response_minutes / responder: the escalation level it is handled at (at least the
            scenario's floor) and TAXONOMY §5's response target.
        owner: who acts. emotion / root_need: what to listen for.
        customer_handling: the guidance for the customer type, when it is known.
        tiers: the delay scenario's compensation by overrun, ``(min_hours, max_hours, offer)``.
    """

    scenario: str
    name: str
    reason: str
    steps: tuple[PlaybookStep, ...]
    apology_level: int
    apology: str
    apology_example: str
    budget_min: float | None
    budget_max: float | None
    level: str
    response_minutes: int
    responder: str
    owner: str
    emotion: str
    root_need: str
    evidence: str | None = None
    start: int | None = None
    end: int | None = None
    overrun_hours: float | None = None
    overrun_text: str | None = None
    overrun_offer: str | None = None
    customer_handling: tuple[str, ...] = ()
    tiers: tuple[tuple[float, float, str], ...] = ()  # (min_hours, max_hours, offer) of a delay scenario

    def to_dict(self) -> dict[str, Any]:
        d = _plain(self)
        d["steps"] = [s.to_dict() for s in self.steps]
        d["customer_handling"] = list(self.customer_handling)
        d["tiers"] = [{"min_hours": a, "max_hours": b, "offer": o} for a, b, o in self.tiers]
        return d


@dataclass(frozen=True)
class LevelReason:
    """Why the escalation level is at least ``level``."""

    level: str
    rule: str
    explanation: str
    evidence: str | None = None  # original-text evidence, when a span set it
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Analysis:
    """Everything complaint_nlp says about one message.

    Attributes:
        category: primary TAXONOMY §1 code, or None when no classifier model is loaded or the
            row could not be analysed.
        category_scores: code → calibrated probability (sums to 1), empty without a model.
        category2: secondary category when its probability is high, else None.
        category_evidence: the few spans of the original text whose words pushed ``category``
            most, strongest first (empty without a model).
        emotion / emotion_scores: TAXONOMY §2, as for category.
        intensity: emotion intensity 0–1 from punctuation, profanity, caps, repetition.
        signals / traits: evidence-carrying rule hits; spans index the original text.
        professional_complainant: True at three or more distinct traits.
        level / response: TAXONOMY §5 escalation level and its response target.
        level_reasons: the rules that set the level, most severe first.
        model: name and version of the classifier that produced category/emotion, or None.
        truncated: the text was longer than the analysis window and only ``window`` was read.
        window: ``(start, end)`` of the original text that was analysed.
        error: for batch rows that could not be analysed (e.g. None), the reason; else None.
        demands: what the customer asks for, each with its span, modality and amount.
        customer_type: which of the four complaint-customer types the writer shows (or unknown),
            with scores, evidence and handling guidance; None on error.
        playbook: the service-recovery scenario and its plan; None on error.
    """

    category: str | None
    category_scores: Mapping[str, float]
    category2: str | None
    emotion: str | None
    emotion_scores: Mapping[str, float]
    intensity: float
    signals: tuple[Signal, ...]
    traits: tuple[Trait, ...]
    professional_complainant: bool
    level: str | None
    response: ResponseTarget | None
    level_reasons: tuple[LevelReason, ...]
    model: str | None
    text_length: int
    truncated: bool = False
    window: tuple[int, int] = (0, 0)
    error: str | None = None
    category_evidence: tuple[CategoryEvidence, ...] = ()
    demands: tuple[Demand, ...] = ()
    customer_type: CustomerType | None = None
    playbook: Playbook | None = None
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (str keys, plain lists/dicts/floats)."""
        return {
            "schema_version": self.schema_version,
            "category": self.category,
            "category2": self.category2,
            "category_scores": rounded_scores(self.category_scores),
            "category_evidence": [e.to_dict() for e in self.category_evidence],
            "emotion": self.emotion,
            "emotion_scores": rounded_scores(self.emotion_scores),
            "intensity": round(self.intensity, 4),
            "signals": [s.to_dict() for s in self.signals],
            "traits": [t.to_dict() for t in self.traits],
            "professional_complainant": self.professional_complainant,
            "level": self.level,
            "response": self.response.to_dict() if self.response else None,
            "level_reasons": [r.to_dict() for r in self.level_reasons],
            "model": self.model,
            "text_length": self.text_length,
            "truncated": self.truncated,
            "window": list(self.window),
            "error": self.error,
            "demands": [d.to_dict() for d in self.demands],
            "customer_type": self.customer_type.to_dict() if self.customer_type else None,
            "playbook": self.playbook.to_dict() if self.playbook else None,
        }

    def names(self) -> dict[str, Any]:
        """The labels as a Chinese service team reads them (TAXONOMY's names): ``category``,
        ``category2``, ``emotion``, ``level`` and, per signal and trait, its name (and the
        signal's modality name), in the order of :attr:`signals` / :attr:`traits`."""
        from .taxonomy import CATEGORIES, CUSTOMER_TYPES, DEMAND_KINDS, DEMAND_MODALITIES, EMOTIONS, LEVELS, MODALITIES, SCENARIOS, SIGNALS, TRAITS

        return {
            "category": CATEGORIES.get(self.category) if self.category else None,
            "category2": CATEGORIES.get(self.category2) if self.category2 else None,
            "emotion": EMOTIONS.get(self.emotion) if self.emotion else None,
            "level": LEVELS[self.level].name if self.level in LEVELS else None,
            "signals": [{"code": s.code, "name": SIGNALS.get(s.code, s.code), "modality": MODALITIES.get(s.modality, s.modality), "text": s.text} for s in self.signals],
            "traits": [{"code": t.code, "name": TRAITS.get(t.code, t.code), "text": t.text} for t in self.traits],
            "demands": [{"kind": d.kind, "name": DEMAND_KINDS.get(d.kind, d.kind), "modality": DEMAND_MODALITIES.get(d.modality, d.modality), "text": d.text} for d in self.demands],
            "customer_type": CUSTOMER_TYPES.get(self.customer_type.code) if self.customer_type else None,
            "scenario": SCENARIOS.get(self.playbook.scenario) if self.playbook else None,
        }

    def to_dict_labels(self, labels: str = "code") -> dict[str, Any]:
        """:meth:`to_dict` with labels as codes (``"code"``), Chinese names in their place
        (``"zh"``: category, category2, emotion, level, signal and trait codes, modalities), or
        codes plus a ``names`` member (``"both"``)."""
        d = self.to_dict()
        if labels == "code":
            return d
        if labels == "both":
            d["names"] = self.names()
            return d
        if labels != "zh":
            raise ValueError(f"labels must be 'code', 'zh' or 'both', not {labels!r}")
        from .taxonomy import CATEGORIES, DEMAND_KINDS, DEMAND_MODALITIES, EMOTIONS, MODALITIES, SIGNALS, TRAITS

        n = self.names()
        for k in ("category", "category2", "emotion", "level"):
            d[k] = n[k]
        d["category_scores"] = {CATEGORIES.get(k, k): v for k, v in d["category_scores"].items()}
        d["emotion_scores"] = {EMOTIONS.get(k, k): v for k, v in d["emotion_scores"].items()}
        for s in d["signals"]:
            s["code"], s["modality"] = SIGNALS.get(s["code"], s["code"]), MODALITIES.get(s["modality"], s["modality"])
        for t in d["traits"]:
            t["code"] = TRAITS.get(t["code"], t["code"])
        for dm in d["demands"]:
            dm["kind"], dm["modality"] = DEMAND_KINDS.get(dm["kind"], dm["kind"]), DEMAND_MODALITIES.get(dm["modality"], dm["modality"])
        if d["customer_type"]:
            d["customer_type"]["code"] = n["customer_type"]
        if d["playbook"]:
            d["playbook"]["scenario"] = n["scenario"]
        return d

    def to_json(self, **kwargs: Any) -> str:
        """``json.dumps(self.to_dict())`` with Chinese kept readable (``ensure_ascii=False``)."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    def active_demands(self) -> tuple[Demand, ...]:
        """Demands the customer is making now (demanded or threatened)."""
        return tuple(d for d in self.demands if d.modality in ("demanded", "threatened"))

    def escalating_signals(self) -> tuple[Signal, ...]:
        """Signals whose modality counts toward escalation (threatened or done)."""
        return tuple(s for s in self.signals if s.modality in ("threatened", "done"))
