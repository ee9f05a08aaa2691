"""``ComplaintClassifier``: one label set on raw texts, as a real scikit-learn estimator.

Kept apart from :mod:`complaint_nlp.classifier` (the runtime model) because it imports
scikit-learn, which scoring with a shipped model never needs.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .classifier import LinearHead, _make_estimator, check_weights, texts_of
from .features import Featurizer

__all__ = ["ComplaintClassifier"]


class ComplaintClassifier(ClassifierMixin, BaseEstimator):
    """TF-IDF (jieba words + characters) → linear model, for one label set.

    A scikit-learn estimator: it clones, works in a ``Pipeline``, under ``cross_val_score`` and
    ``GridSearchCV``; ``fit(X, y)`` with ``X`` a sequence of ``n`` raw texts (``str``) and ``y``
    ``n`` labels of any type (``classes_`` keeps them: integer labels come back as integers);
    ``predict_proba(X)`` returns a float array ``(n, len(classes_))``, ``predict(X)`` an array of
    ``n`` labels, ``score(X, y)`` the accuracy. ``complaint-nlp train`` fits one per head.

    Args:
        estimator: ``"logreg"`` (default), ``"svc"`` (LinearSVC + Platt calibration), ``"sgd"``
            (log-loss SGD), ``"cnb"`` (ComplementNB), ``"nblr"`` (one-vs-rest logistic
            regression on naive-Bayes-scaled features) or ``"logreg_nblr"`` (the mean of the
            logreg and nblr decision values, one softmax model); see :mod:`complaint_nlp.nblr`.
        C: inverse regularisation strength (logreg; svc and nblr use C/10).
        tokenizer: ``"rjieba"`` or ``"jieba"``.
        min_df, max_features, word_ngram_range, char_ngram_range: see :class:`Featurizer`.
        placeholders: replace @-accounts, brands, links and numbers by typed markers before
            featurising (the shipped :mod:`~complaint_nlp.placeholders` spec); default True.
        random_state: seed for estimators that use one.
    """

    def __init__(
        self,
        estimator: str = "logreg",
        C: float = 10.0,
        tokenizer: str = "rjieba",
        min_df: int = 2,
        max_features: int | None = 200_000,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (1, 3),
        placeholders: bool = True,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.C = C
        self.tokenizer = tokenizer
        self.min_df = min_df
        self.max_features = max_features
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.placeholders = placeholders
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # one text per sample, not a feature matrix
        tags.input_tags.string = True
        return tags

    def _featurizer(self) -> Featurizer:
        from .placeholders import default_spec

        spec = default_spec() if self.placeholders else None
        return Featurizer(self.tokenizer, tuple(self.word_ngram_range), tuple(self.char_ngram_range), self.min_df, self.max_features, placeholders=spec)  # type: ignore[arg-type]

    def fit(
        self,
        X: Iterable[str],
        y: Iterable[Any],
        sample_weight: Iterable[float] | None = None,
        *,
        featurizer: Featurizer | None = None,
        normalized: bool = False,
    ) -> "ComplaintClassifier":
        """Fit on raw texts ``X`` and labels ``y``; returns self.

        Args:
            sample_weight: ``n`` non-negative finite weights, or ``None`` (every text weighs 1);
                multiplies the balanced class weights. A weight of 2 counts like the text twice.
            featurizer: a fitted :class:`Featurizer` to share (``train`` fits one for both heads).
            normalized: ``X`` is already normalised text.
        """
        texts = texts_of(X, normalized=normalized)
        labels = np.asarray(list(y))
        if labels.ndim != 1:
            raise ValueError(f"y must be one label per text, got shape {labels.shape}")
        if len(texts) != len(labels):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} labels")
        weights = check_weights(sample_weight, len(texts))
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"need at least two classes to fit a classifier, got {list(classes)}")
        self.featurizer_ = featurizer if featurizer is not None else self._featurizer().fit(texts)
        Xm = self.featurizer_.transform(texts)
        est = _make_estimator(self.estimator, self.C, self.random_state)
        est.fit(Xm, codes, **({} if weights is None else {"sample_weight": weights}))
        self.classes_ = classes  # the labels as given: ints stay ints
        self.head_ = LinearHead.from_sklearn(est, [str(c) for c in classes])
        self.sklearn_estimator_ = est  # in memory only; a saved model keeps the arrays
        self.n_features_in_ = 1  # one text column
        return self

    def predict_proba(self, X: Iterable[str], *, normalized: bool = False) -> np.ndarray:
        """Probabilities ``(n_samples, n_classes)`` in the order of ``classes_``."""
        check_is_fitted(self, "head_")
        texts = texts_of(X, normalized=normalized)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return self.head_.predict_proba(self.featurizer_.transform(texts))

    def predict(self, X: Iterable[str], *, normalized: bool = False) -> np.ndarray:
        """Most probable label per text: an array of ``n_samples`` labels of ``classes_``'s type."""
        p = self.predict_proba(X, normalized=normalized)
        return self.classes_[p.argmax(axis=1)] if len(p) else self.classes_[:0]
