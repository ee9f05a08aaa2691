"""complaint_nlp: Chinese customer-complaint analysis.

>>> import complaint_nlp
>>> r = complaint_nlp.analyze("再不退款我就打12315投诉你们！")
>>> r.level, [(s.code, s.modality, s.text) for s in r.signals]   # doctest: +SKIP
('urgent', [('regulator', 'threatened', '12315')])

Importing the package is cheap: models, dictionaries and lexicons load on first use.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Iterable

from ._version import __version__

# the library logs to "complaint_nlp" (and its children); the application decides where it goes
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:  # pragma: no cover  (type checkers see the real signatures)
    from .analyzer import Analyzer
    from .batch import score_frame
    from .estimator import ComplaintClassifier
    from .result import Analysis
    from .threads import analyze_thread

__all__ = [
    "__version__",
    "analyze",
    "analyze_many",
    "Analyzer",
    "Analysis",
    "ComplaintClassifier",
    "analyze_thread",
    "score_frame",
]


def analyze(text: str) -> "Analysis":
    """Analyse one message with the shipped default model. See :meth:`Analyzer.analyze`."""
    from .analyzer import get_default_analyzer

    return get_default_analyzer().analyze(text)


def analyze_many(texts: Iterable[Any]) -> "list[Analysis]":
    """Analyse many messages (faster than a loop of :func:`analyze`); one result per input."""
    from .analyzer import get_default_analyzer

    return get_default_analyzer().analyze_many(texts)


_LAZY = {
    "Analyzer": ("analyzer", "Analyzer"),
    "Analysis": ("result", "Analysis"),
    "ComplaintClassifier": ("estimator", "ComplaintClassifier"),
    "analyze_thread": ("threads", "analyze_thread"),
    "score_frame": ("batch", "score_frame"),
}


#: submodules reachable as attributes (``complaint_nlp.taxonomy.CATEGORIES``), imported on first use
_SUBMODULES = frozenset({
    "analyzer", "batch", "classifier", "cli", "corpus", "customer_type", "demands", "errors", "escalation", "estimator",
    "explain", "features", "io", "lexicon", "modality", "normalize", "numerals", "output", "placeholders", "playbook",
    "report", "result", "saferegex", "schema", "serve", "signals", "spark", "taxonomy", "threads", "tokenize", "train", "traits",
})  # fmt: skip


def __getattr__(name: str) -> Any:
    # PEP 562: heavy submodules (scikit-learn, pandas) load only when asked for
    import importlib

    if name in _LAZY:
        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{mod}", __name__), attr)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'complaint_nlp' has no attribute {name!r}")
