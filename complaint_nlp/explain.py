"""Category evidence: the spans of a message that pushed the winning category most.

A linear head scores a message as a sum over its features (word and character n-grams). The
share of one feature in the winning category's lead is ``x_f * d_f``, where ``d_f`` is the
category's weight for the feature minus the mean weight of all categories (in calibrated-logit
units: a Platt-calibrated head's scale is folded in). The strongest features are found in the
text, their shares are spread over the characters they cover, and the densest runs of
characters become the evidence spans, each with the summed share of the features inside it.

Spans are in the coordinates of the NORMALISED text; :class:`~complaint_nlp.analyzer.Analyzer`
maps them to the caller's original string, like every other evidence span.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from .placeholders import lower_aligned

if TYPE_CHECKING:
    from .classifier import ComplaintModel
    from .features import Rows
    from .placeholders import Masked

__all__ = ["SpanScore", "category_evidence", "evidence_for_rows", "TOP_FEATURES", "RUN_THRESHOLD", "MAX_OCCURRENCES"]

#: how many of the strongest features are located in the text
TOP_FEATURES = 12
#: a character belongs to an evidence run when its share is at least this fraction of the largest
RUN_THRESHOLD = 0.25
#: at most this many occurrences of one n-gram are located (a 1 MB text repeats everything)
MAX_OCCURRENCES = 64

_WS = re.compile(r"\s\s+")
_lock = threading.Lock()


@dataclass(frozen=True)
class SpanScore:
    """One evidence span of the normalised text: ``text[start:end]`` and its share."""

    start: int
    end: int
    weight: float


def _leads(model: "ComplaintModel", col: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """For each pair (feature ``col[i]``, category ``cls[i]``): the category's weight for the
    feature minus the mean weight of all categories, folds of an ensemble averaged, in
    calibrated-logit units. Gathered from the model's own weight matrix."""
    h = model.heads["category"]
    folds, n_out, _ = h.W.shape
    if folds == 1 and n_out == len(h.classes) and h.kind != "sigmoid_ensemble":
        # one weight row per class (logistic regression): two gathers per pair, no per-pair
        # mean over classes (equal to the general path below, tested)
        return np.asarray(h.WT[col, cls], dtype=np.float64) - _class_means(model)[col]
    return _leads_general(model, col, cls)


def _leads_general(model: "ComplaintModel", col: np.ndarray, cls: np.ndarray) -> np.ndarray:
    h = model.heads["category"]
    folds, n_out, _ = h.W.shape
    G = np.asarray(h.WT[col], dtype=np.float32).reshape(len(col), folds, n_out)
    if h.kind == "sigmoid_ensemble" and h.A is not None:
        G *= -np.asarray(h.A, dtype=np.float32)[None]  # Platt scale: decision → calibrated logit
    G = G.mean(axis=1)
    if n_out == 1 and len(h.classes) == 2:  # one logit for two classes
        G = np.hstack([-G, G]) / 2
    return G[np.arange(len(col)), cls] - G.mean(axis=1)


def _class_means(model: "ComplaintModel") -> np.ndarray:
    """Per feature, the mean category weight (built once per model: one float per feature)."""
    m = model.__dict__.get("_class_means")
    if m is None:
        with _lock:
            m = model.__dict__.get("_class_means")
            if m is None:
                m = np.asarray(model.heads["category"].WT, dtype=np.float64).mean(axis=1)
                model.__dict__["_class_means"] = m
    return m


def _feature_names(model: "ComplaintModel") -> list[str]:
    """Feature index → n-gram (word bigrams as stored: "a b"); references the vocabulary's own
    strings, so it costs one pointer per feature."""
    names = model.__dict__.get("_feature_names")
    if names is None:
        with _lock:
            names = model.__dict__.get("_feature_names")
            if names is None:
                v = model.featurizer.vocab_lists()
                names = v["word"] + v["char"]
                model.__dict__["_feature_names"] = names
    return names


def _worded(ch: str) -> bool:
    """A letter, digit, CJK character or placeholder marker (not a space or punctuation)."""
    return ch.isalnum() or "\ue000" <= ch <= "\uf8ff"


def category_evidence(model: "ComplaintModel", normalized_text: str, category: str, k: int = 3) -> list[SpanScore]:
    """Up to ``k`` spans of ``normalized_text`` that raised ``category`` most, strongest first.

    Args:
        model: a loaded :class:`~complaint_nlp.classifier.ComplaintModel` with a category head.
        normalized_text: ``normalize(text).text``.
        category: the category to explain (usually the predicted one).
        k: number of spans.

    Returns:
        list of :class:`SpanScore` (spans into ``normalized_text``); empty when nothing in the
        text speaks for the category.
    """
    if not normalized_text or k < 1 or "category" not in model.heads:
        return []
    return evidence_for_rows(model, [normalized_text], [category], k, (model.featurizer.single(normalized_text),))[0]


def evidence_for_rows(model: "ComplaintModel", texts: Sequence[str], categories: Sequence[str | None], k: int, rows: tuple["Rows", ...], masked: Sequence["Masked"] | None = None) -> list[list[SpanScore]]:
    """:func:`category_evidence` for many texts, from the feature rows they were scored with:
    ``(row,)`` with every column for one text, or ``(word block, char block)`` for a batch (see
    ``ComplaintModel._score``), and their placeholder masks when the caller has them. Every
    feature's share is computed in one pass over the batch; only the strongest
    :data:`TOP_FEATURES` of each text are looked up in its text."""
    head = model.heads["category"]
    n = len(texts)
    out: list[list[SpanScore]] = [[] for _ in range(n)]
    if n == 0 or k < 1:
        return out
    if len(rows) == 1:
        X = rows[0]
        doc = np.repeat(np.arange(len(X), dtype=np.int64), np.diff(X.indptr))
        col, val = X.col, X.val
    else:
        Xw, Xc = rows
        doc = np.concatenate([np.repeat(np.arange(n, dtype=np.int64), np.diff(Xw.indptr)), np.repeat(np.arange(n, dtype=np.int64), np.diff(Xc.indptr))])
        col = np.concatenate([Xw.col, Xc.col + Xw.n_cols])
        val = np.concatenate([Xw.val, Xc.val])
    index = {c: i for i, c in enumerate(head.classes)}
    cls = np.array([index.get(c, -1) if c is not None else -1 for c in categories], dtype=np.int64)
    ok = cls[doc] >= 0
    doc, col, val = doc[ok], col[ok], val[ok]
    contrib = val * _leads(model, col, cls[doc])
    pos = contrib > 0
    doc, col, contrib = doc[pos], col[pos], contrib[pos]
    # by text, strongest first: one float key (text number + a fraction falling with the share)
    # sorts 3x faster than a two-key lexsort
    order = np.argsort(doc + 0.999 * (1.0 - contrib / (float(contrib.max()) * (1 + 1e-9))), kind="stable") if len(doc) else doc
    doc, col, contrib = doc[order], col[order], contrib[order]
    starts = np.searchsorted(doc, np.arange(n)).tolist()
    ends = np.searchsorted(doc, np.arange(n), side="right").tolist()
    col_l, contrib_l = col.tolist(), contrib.tolist()
    names = _feature_names(model)
    n_word = len(model.featurizer.word_vocab)
    spec = model.featurizer.placeholders
    for i in range(n):
        a, b = starts[i], min(ends[i], starts[i] + TOP_FEATURES)
        if a < b and texts[i]:
            m = masked[i] if masked is not None else (spec.mask(texts[i]) if spec is not None else None)
            grams = [names[c] if c >= n_word else names[c].replace(" ", "") for c in col_l[a:b]]
            out[i] = _spans(texts[i], grams, contrib_l[a:b], k, m)
    return out


def _collapsed(text: str, masked: "Masked | None") -> tuple[str, list[int] | None]:
    """The text the n-grams were taken from (lower-cased, runs of white space as one space) and,
    when that changed positions, where each of its characters stands in the (masked) text."""
    low = lower_aligned(masked.text if masked is not None else text)
    if not _WS.search(low):
        return low, None
    where = [i for i, c in enumerate(low) if not (c.isspace() and i > 0 and low[i - 1].isspace())]
    return "".join(" " if low[i].isspace() else low[i] for i in where), where


def _occurrences(doc: str, gram: str) -> list[int]:
    """Where ``gram`` stands in ``doc``, without overlaps, at most MAX_OCCURRENCES times."""
    n = len(gram)
    hits: list[int] = []
    i = doc.find(gram)
    while i >= 0 and len(hits) < MAX_OCCURRENCES:
        hits.append(i)
        i = doc.find(gram, i + n)
    return hits


def _best_runs(strong: list[int], total: "Callable[[int, int], float]", k: int, where: list[int] | None, masked: "Masked | None") -> list[SpanScore]:
    """Runs of adjacent strong characters (``strong`` sorted), the ``k`` with the largest
    ``total(start, end)`` first, as spans of the (masked, then source) text."""
    runs: list[tuple[float, int, int]] = []
    first = 0
    for x in range(1, len(strong) + 1):
        if x == len(strong) or strong[x] != strong[x - 1] + 1:
            s, e = strong[first], strong[x - 1] + 1
            first = x
            runs.append((total(s, e), s, e))
    runs.sort(key=lambda r: (-r[0], r[1]))
    out = []
    for w, s, e in runs[:k]:
        if where is not None:  # back from the collapsed doc to the masked text
            s, e = where[s], where[e - 1] + 1
        if masked is not None:
            s, e = masked.to_source(s, e)
        out.append(SpanScore(s, e, w))
    return out


def _spans(text: str, grams: list[str], shares: list[float], k: int, masked: "Masked | None") -> list[SpanScore]:
    """Spread each n-gram's share over the characters it covers; the densest runs win."""
    doc, where = _collapsed(text, masked)
    share: dict[int, float] = {}  # only the characters some strong n-gram covers
    get = share.get
    for gram, c in zip(grams, shares):
        if not gram or gram.isspace():
            continue
        hits = _occurrences(doc, gram)
        if not hits:
            continue
        n = len(gram)
        per_char = c / len(hits) / n
        for i in hits:
            for j in range(i, i + n):
                share[j] = get(j, 0.0) + per_char
    if not share:
        return []
    cut = RUN_THRESHOLD * max(share.values())
    # a run: adjacent strong characters, cut at spaces and punctuation (a span is one phrase)
    strong = sorted(j for j, v in share.items() if v >= cut and _worded(doc[j]))
    return _best_runs(strong, lambda s, e: sum(share[j] for j in range(s, e)), k, where, masked)
