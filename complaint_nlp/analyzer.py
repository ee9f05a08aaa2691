"""The Analyzer: text → normalise → (classifier, rules) → :class:`Analysis`."""

from __future__ import annotations

import logging

import math
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import InputTypeError
from .customer_type import CustomerTypeRules, detect_customer_type
from .demands import DemandRules, detect_demands
from .escalation import EscalationRules
from .lexicon import Lexicon
from .normalize import NormalizedText, normalize
from .playbook import PlaybookRules, choose_playbook
from .result import Analysis, CategoryEvidence
from .signals import detect_signals, intensity_features
from .taxonomy import LEVELS
from .traits import detect_traits, is_professional_complainant

__all__ = ["Analyzer", "DEFAULT_MAX_CHARS", "get_default_analyzer"]

#: Texts longer than this are analysed on their first DEFAULT_MAX_CHARS characters.
DEFAULT_MAX_CHARS = 20_000


def _describe(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return type(value).__name__


#: classifier output for one text: category scores, emotion scores, category, category2, emotion,
#: category evidence spans of the normalised text
_Scored = tuple  # (dict[str, float], dict[str, float], str | None, str | None, str | None, list[SpanScore])


def _unscored() -> _Scored:
    return ({}, {}, None, None, None, [])  # fresh containers: results never share a mutable one


class Analyzer:
    """Holds a loaded classifier model, rule lexicon and escalation rules.

    Build one with :meth:`load` and share it: after construction it is read-only, so one instance
    may serve many threads at once.

    Args:
        classifier: a :class:`~complaint_nlp.classifier.ComplaintModel` (what
            :func:`~complaint_nlp.classifier.load_model` returns), or None for rules only
            (``category``/``emotion`` are then None and ``model`` says so).
        lexicon: rule lexicon (default: the shipped one).
        escalation: level rules (default: the shipped ones).
        max_chars: analysis window; longer texts are read up to here and flagged ``truncated``.
        evidence_spans: how many category-evidence spans each result carries (0: none, which
            saves about 0.05 ms a message in batches).
        demands / customer_types / playbook: the advice rules (default: the shipped ones).
        advice: False leaves demands, customer type and playbook out (``()``/None), which saves
            about 0.06 ms a message.
    """

    def __init__(
        self,
        classifier: Any = None,
        lexicon: Lexicon | None = None,
        escalation: EscalationRules | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        evidence_spans: int = 3,
        demands: DemandRules | None = None,
        customer_types: CustomerTypeRules | None = None,
        playbook: PlaybookRules | None = None,
        advice: bool = True,
    ) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be at least 1")
        if isinstance(evidence_spans, bool) or not isinstance(evidence_spans, int) or evidence_spans < 0:
            raise ValueError("evidence_spans must be an integer ≥ 0")
        self.evidence_spans = evidence_spans
        self.classifier = classifier
        self.lexicon = lexicon if lexicon is not None else Lexicon.load()
        self.escalation = escalation if escalation is not None else EscalationRules.load()
        self.max_chars = int(max_chars)
        self.demands = demands if demands is not None else DemandRules.load()
        self.customer_types = customer_types if customer_types is not None else CustomerTypeRules.load()
        self.playbook = playbook if playbook is not None else PlaybookRules.load()
        self.advice = bool(advice)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        lexicon: str | Path | Lexicon | None = None,
        extend_lexicon: bool = False,
        escalation: str | Path | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        model: bool = True,
        evidence_spans: int = 3,
        demands: str | Path | None = None,
        customer_types: str | Path | None = None,
        playbook: str | Path | None = None,
        advice: bool = True,
    ) -> "Analyzer":
        """Load an analyzer.

        Args:
            path: a model directory written by ``complaint-nlp train`` (a user model is trusted
                code only in the sense that it must come from a path YOU name; see README), or
                None for the shipped default model.
            lexicon: a lexicon TOML file (or a :class:`Lexicon`); None for the shipped one.
            extend_lexicon: add the rules of ``lexicon`` to the shipped ones instead of replacing.
            escalation: an escalation-rules TOML file; None for the shipped one.
            max_chars: analysis window (default 20,000 characters).
            model: False loads the rules only, without any classifier.
            evidence_spans: category-evidence spans per result (0: none).
            demands / customer_types / playbook: advice rule files (TOML) replacing the shipped
                ones; None for the shipped ones.
            advice: False leaves demands, customer type and playbook out of the results.
        """
        clf = None
        if model:
            from .classifier import load_model

            clf = load_model(path)
        if isinstance(lexicon, Lexicon):
            lex = lexicon
        else:
            lex = Lexicon.load(lexicon, extend=extend_lexicon) if lexicon is not None else Lexicon.load()
        esc = EscalationRules.load(escalation)
        an = cls(
            classifier=clf, lexicon=lex, escalation=esc, max_chars=max_chars, evidence_spans=evidence_spans,
            demands=DemandRules.load(demands), customer_types=CustomerTypeRules.load(customer_types), playbook=PlaybookRules.load(playbook), advice=advice,
        )
        logging.getLogger(__name__).debug("analyzer loaded: model %s, max_chars %d", an.model_name, max_chars)
        return an

    @property
    def model_name(self) -> str | None:
        return None if self.classifier is None else str(self.classifier.name)

    # ------------------------------------------------------------------ analysis
    def _window(self, text: str) -> tuple[str, bool]:
        if len(text) > self.max_chars:
            return text[: self.max_chars], True
        return text, False

    def _prepare(self, text: str) -> tuple[NormalizedText, bool]:
        """Normalised window of ``text``: at most ``max_chars`` characters before AND after
        normalisation (NFKC expands some characters up to 18×, e.g. ﷺ), so the window bounds
        the work whatever the input."""
        window, truncated = self._window(text)
        nt = normalize(window)
        if len(nt.text) > self.max_chars:
            cut, _ = nt.to_original(self.max_chars, self.max_chars + 1)
            nt = normalize(window[: max(cut, 1)])
            while len(nt.text) > self.max_chars and cut > 1:  # normalisation looked across the cut
                cut = min(cut - 1, nt.to_original(self.max_chars, self.max_chars + 1)[0])
                nt = normalize(window[: max(cut, 1)])
            truncated = True
        return nt, truncated

    def _rules(self, nt: NormalizedText, scored: "_Scored", length: int, truncated: bool) -> Analysis:
        cat, emo, category, category2, emotion, spans = scored
        inten = intensity_features(nt.text, self.lexicon)
        hits = self.lexicon.scan(nt.text)
        signals = detect_signals(nt, self.lexicon, inten, hits["signal"])
        traits = detect_traits(nt, self.lexicon, hits["trait"])
        pro = is_professional_complainant(traits)
        level, reasons = self.escalation.evaluate(nt, signals, traits, pro, cat, emo, inten.score)
        sig = tuple(signals)
        ctype = detect_customer_type(nt, self.customer_types) if self.advice else None
        return Analysis(
            category=category,
            category_scores=cat,
            category2=category2,
            emotion=emotion,
            emotion_scores=emo,
            intensity=inten.score,
            signals=sig,
            traits=tuple(traits),
            professional_complainant=pro,
            level=level,
            response=LEVELS[level],
            level_reasons=reasons,
            model=self.model_name,
            text_length=length,
            truncated=truncated,
            window=(0, len(nt.original)),
            category_evidence=tuple(self._evidence(nt, sp) for sp in spans),
            demands=tuple(detect_demands(nt, self.demands)) if self.advice else (),
            customer_type=ctype,
            playbook=choose_playbook(nt, category, level, sig, reasons, pro, ctype, self.playbook) if self.advice else None,
        )

    @staticmethod
    def _evidence(nt: NormalizedText, sp: Any) -> CategoryEvidence:
        """A category-evidence span of the normalised text, as a span of the original."""
        s, e = nt.to_original(sp.start, sp.end)
        return CategoryEvidence(s, e, nt.original[s:e], sp.weight)

    def warm_up(self) -> "Analyzer":
        """Build what the first call would build lazily (tokenizer dictionary, OpenCC, n-gram
        tables: about half a second), so a service's first ticket is not the slow one. Returns
        the analyzer itself."""
        self.analyze_many([
            # touches every lazy part: Chinese numerals (cn2an), amounts, repeats, heat, t2s
            "预热：第三次联系客服，车返修了两次，等了一个月了！！再不处理就打12315投诉，要求赔偿八万五千元，十倍赔偿？",
            "預熱 warm-up：已經投訴過，￥80,000，半个月",
        ])
        return self

    def analyze(self, text: str) -> Analysis:
        """Analyse one message.

        Args:
            text: the message (``str``). Empty or whitespace-only text gives a neutral result.

        Raises:
            InputTypeError: ``text`` is not a ``str`` (None, NaN, numbers, bytes…); a subclass of
                ``TypeError`` and of :class:`~complaint_nlp.errors.ComplaintNLPError`.
        """
        if not isinstance(text, str):
            raise InputTypeError(f"analyze() needs a str, got {_describe(text)}; convert or skip it first")
        nt, truncated = self._prepare(text)
        scored = self._classify([nt.text])[0] if nt.text else _unscored()
        return self._rules(nt, scored, len(text), truncated)

    def _classify(self, texts: Sequence[str]) -> list[_Scored]:
        """Per text: (category scores, emotion scores, category, category2, emotion, evidence
        spans of the normalised text)."""
        if self.classifier is None or not texts:
            return [_unscored() for _ in texts]
        return self.classifier.score_ranked(texts, self.evidence_spans)  # type: ignore[no-any-return]

    def analyze_many(self, texts: Iterable[Any], *, batch_size: int = 2048) -> list[Analysis]:
        """Analyse many messages; same results as :meth:`analyze`, one per input, in order.

        Unlike :meth:`analyze`, a bad item (None, NaN, a number) does not raise: its result has
        ``error`` set and ``level`` None, so batch jobs never lose a row.
        """
        out: list[Analysis] = []
        batch: list[Any] = []
        for item in texts:
            batch.append(item)
            if len(batch) >= batch_size:
                out.extend(self._analyze_batch(batch))
                batch = []
        if batch:
            out.extend(self._analyze_batch(batch))
        return out

    def _analyze_batch(self, items: Sequence[Any]) -> list[Analysis]:
        prepared: list[tuple[NormalizedText, int, bool] | str] = []
        for item in items:
            if not isinstance(item, str):
                prepared.append(f"not a text: {_describe(item)}")
                continue
            try:
                nt, truncated = self._prepare(item)
                prepared.append((nt, len(item), truncated))
            except Exception as exc:  # defensive: one odd row must not sink the batch
                prepared.append(f"normalisation failed: {exc!r}")
        idx = [i for i, p in enumerate(prepared) if not isinstance(p, str) and p[0].text]
        scores = self._classify([prepared[i][0].text for i in idx])  # type: ignore[index]
        by_row = dict(zip(idx, scores))
        results: list[Analysis] = []
        for i, p in enumerate(prepared):
            if isinstance(p, str):
                results.append(error_result(p, self.model_name))
                continue
            nt, length, truncated = p
            try:
                results.append(self._rules(nt, by_row.get(i) or _unscored(), length, truncated))
            except Exception as exc:  # defensive, as above
                results.append(error_result(f"analysis failed: {exc!r}", self.model_name))
        return results


def error_result(message: str, model: str | None) -> Analysis:
    """The per-row result of an item that could not be analysed."""
    return Analysis(
        category=None,
        category_scores={},
        category2=None,
        emotion=None,
        emotion_scores={},
        intensity=0.0,
        signals=(),
        traits=(),
        professional_complainant=False,
        level=None,
        response=None,
        level_reasons=(),
        model=model,
        text_length=0,
        error=message,
    )


_default_lock = threading.Lock()
_default: Analyzer | None = None


def get_default_analyzer() -> Analyzer:
    """The process-wide analyzer with the shipped model, built on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Analyzer.load()
    return _default
