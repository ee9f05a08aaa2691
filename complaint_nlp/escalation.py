"""Escalation level (TAXONOMY §5): combine signals, traits, major-complaint criteria and the
classifier's category/emotion into one level, with the reasons that set it.

Triggers and thresholds are data (``complaint_nlp/data/escalation.toml``). A level is the most
severe level any reason asks for; ``minor`` when nothing does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._data import data_file
from ._firstchars import CandidateScanner
from .lexicon import read_toml
from .normalize import NormalizedText
from .result import LevelReason, Signal, Trait
from .saferegex import compile_alternation
from .schema import EscalationSpec, build
from .taxonomy import CATEGORIES, EMOTIONS, ESCALATING_MODALITIES, LEVELS, SIGNALS, level_rank

__all__ = ["EscalationRules"]

_SEVERITY = {lvl: -level_rank(lvl) for lvl in LEVELS}


def _severity(r: LevelReason) -> int:
    return _SEVERITY[r.level]


@dataclass(frozen=True)
class _Major:
    name: str
    explanation: str
    regex: re.Pattern[str]

    def __post_init__(self) -> None:
        # the first match, tried only where the criterion can start (a C-level scan): most
        # messages hold none of its opening words, so this is nearly free
        object.__setattr__(self, "scan", CandidateScanner(self.regex))

    def search(self, text: str) -> "re.Match[str] | None":
        """``regex.search(text)``, through the candidate scan (a test checks they agree)."""
        return next(iter(self.scan.finditer(text)), None)  # type: ignore[attr-defined]


class EscalationRules:
    """Level rules loaded from TOML. Read-only after construction (safe to share)."""

    def __init__(self, data: Mapping[str, Any] | EscalationSpec, source: str = "<dict>") -> None:
        """Validate ``data`` (parsed TOML, or an :class:`EscalationSpec`) and compile it.

        Raises :class:`~complaint_nlp.errors.ConfigError` naming the file, section and key."""
        self.source = source
        spec = data if isinstance(data, EscalationSpec) else build(EscalationSpec, data, source)
        self.spec = spec
        u, s, n = spec.urgent, spec.serious, spec.normal
        self.urgent_signals = frozenset(u.signals)
        self.safety_signals = frozenset(u.safety_signals)
        self.urgent_categories = frozenset(u.categories)
        self.min_category_p = u.min_category_probability
        self.serious_signals = frozenset(s.signals)
        self.serious_pro = s.professional_complainant
        self.major = tuple(
            _Major(
                m.name,
                m.explanation or m.name,
                compile_alternation(m.patterns, f"{source}: [[serious.major]] {m.name!r}: key 'patterns'", flags=re.IGNORECASE),
            )
            for m in s.major
        )
        self.normal_signals = frozenset(n.signals)
        self.negative_emotions = frozenset(n.emotions)
        # ties go to the code that sorts LAST (as max() over (p, code) pairs does)
        self._negative_sorted = tuple(sorted(self.negative_emotions))
        self.min_complaint_emotion = n.min_complaint_emotion
        self.intensity_weight = n.intensity_weight
        self.min_intensity = n.min_intensity
        self.non_complaint = tuple(sorted(n.non_complaint_categories))

    @classmethod
    def load(cls, path: str | Path | None = None) -> "EscalationRules":
        """Load the shipped escalation rules (``None``) or a user file, strictly."""
        if path is None:
            p = data_file("escalation.toml")
            return cls(read_toml(p), source=str(p))
        return cls(read_toml(Path(path)), source=str(path))

    def evaluate(
        self,
        nt: NormalizedText,
        signals: Sequence[Signal],
        traits: Sequence[Trait],
        professional_complainant: bool,
        category_scores: Mapping[str, float],
        emotion_scores: Mapping[str, float],
        intensity: float,
    ) -> tuple[str, tuple[LevelReason, ...]]:
        """Return ``(level, reasons)``; reasons are sorted most severe first."""
        reasons: list[LevelReason] = []

        def add(level: str, rule: str, expl: str, sig: Signal | Trait | None = None) -> None:
            if sig is None:
                reasons.append(LevelReason(level, rule, expl))
            else:
                reasons.append(LevelReason(level, rule, expl, sig.text, sig.start, sig.end))

        seen: set[tuple[str, str]] = set()
        for sig in signals:
            if sig.modality not in ESCALATING_MODALITIES:
                continue
            key = (sig.code, sig.modality)
            if key in seen and sig.code != "repeated_contact":
                continue
            seen.add(key)
            if sig.code in self.urgent_signals:
                add("urgent", f"signal.{sig.code}", f"{SIGNALS[sig.code]} ({sig.modality})", sig)
            elif sig.code in self.safety_signals and sig.modality == "done":
                add("urgent", f"signal.{sig.code}", f"{SIGNALS[sig.code]}", sig)
            elif sig.code in self.serious_signals:
                flags = sig.details.get("flags") or []
                expl = SIGNALS[sig.code] + (f" ({', '.join(flags)})" if flags else "")
                add("serious", f"signal.{sig.code}", expl, sig)
            elif sig.code in self.normal_signals:
                add("normal", f"signal.{sig.code}", SIGNALS[sig.code], sig)
        for cat in self.urgent_categories:
            p = float(category_scores.get(cat, 0.0))
            if p >= self.min_category_p:
                add("urgent", f"category.{cat}", f"类别 {CATEGORIES[cat]} (p={p:.2f})")
        if self.serious_pro and professional_complainant:
            codes = sorted({t.code for t in traits})
            add("serious", "professional_complainant", f"疑似职业投诉人: {', '.join(codes)}")
        for major in self.major:
            m = major.search(nt.text)
            if m:
                s, e = nt.to_original(m.start(), m.end())
                reasons.append(LevelReason("serious", f"major.{major.name}", major.explanation, nt.original[s:e], s, e))
        if emotion_scores:
            # a complaint that is felt: how negative the message is AND how surely it complains
            # about a business. A sad everyday post, or a calm inquiry, stays minor (issue #13).
            p_neg = sum(float(emotion_scores.get(k, 0.0)) for k in self._negative_sorted)
            p_complaint = 1.0 - sum(float(category_scores.get(k, 0.0)) for k in self.non_complaint) if category_scores else 1.0
            score = p_neg * p_complaint + self.intensity_weight * intensity
            if score >= self.min_complaint_emotion and self._negative_sorted:
                top = max((float(emotion_scores.get(k, 0.0)), k) for k in self._negative_sorted)[1]
                add("normal", f"emotion.{top}", f"负面情绪 {EMOTIONS[top]} (负面 p={p_neg:.2f} × 投诉 p={p_complaint:.2f} + 强度 {intensity:.2f})")
        elif intensity >= self.min_intensity:
            add("normal", "intensity", f"情绪强度 {intensity:.2f}")
        if not reasons:
            add("minor", "default", "无升级信号、情绪平静")
        reasons.sort(key=_severity)
        level = reasons[0].level
        assert level in LEVELS
        return level, tuple(reasons)
