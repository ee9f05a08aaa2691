"""NB-LR: one-vs-rest logistic regression on naive-Bayes-scaled features.

Wang & Manning's NBSVM ("Baselines and Bigrams", ACL 2012) with a logistic loss: for each class
``c`` every feature ``j`` is scaled by its naive-Bayes log-count ratio

    r[c, j] = log(p[c, j] / |p[c]|_1) - log(q[c, j] / |q[c]|_1)

where ``p[c, j]`` is the (sample-weighted) number of texts of class ``c`` that contain feature
``j`` plus ``alpha``, and ``q[c, j]`` the same for the texts of every other class. A binary
logistic regression then separates ``c`` from the rest on ``X * r[c]``. The scaling folds into the
weights (``coef_[c] = w[c] * r[c]``), so the fitted model is a plain linear one-vs-rest model and
exports to :class:`~complaint_nlp.classifier.LinearHead` kind ``ovr`` like any other.

:class:`LogRegNBLR` pools NB-LR with multinomial logistic regression (the mean of their decision
values, one ``softmax`` head): the shipped model's estimator for both heads.

Kept in its own module because it imports scikit-learn, which scoring never needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_array, check_is_fitted

from .classifier import _expit, _softmax

__all__ = ["LogRegNBLR", "NBLogisticRegression", "log_count_ratios"]


def log_count_ratios(X: Any, codes: np.ndarray, n_classes: int, sample_weight: np.ndarray | None = None, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratios, shape ``(n_classes, n_features)``.

    Args:
        X: ``(n_samples, n_features)`` sparse or dense; only whether a value is non-zero counts.
        codes: ``n_samples`` class indices in ``0..n_classes-1``.
        sample_weight: ``n_samples`` weights (a text of weight 2 counts twice), or ``None``.
        alpha: smoothing added to every count (> 0).
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    present = sp.csr_matrix(X, copy=True)
    present.data = (present.data != 0).astype(np.float64)
    n = present.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    onehot = sp.csr_matrix((w, (codes, np.arange(n))), shape=(n_classes, n))
    counts = np.asarray((onehot @ present).todense())  # (k, n_features)
    p = counts + alpha
    q = (counts.sum(axis=0, keepdims=True) - counts) + alpha
    return np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True))


class _Linear(ClassifierMixin, BaseEstimator):
    """What both estimators are once fitted: ``X @ coef_.T + intercept_`` on the unscaled
    features, the most probable class the prediction."""

    classes_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = check_array(X, accept_sparse="csr", dtype=np.float64)
        z = np.asarray(X @ self.coef_.T) + self.intercept_
        return z[:, 0] if len(self.classes_) == 2 else z

    def predict_proba(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class NBLogisticRegression(_Linear):
    """One-vs-rest logistic regression on naive-Bayes-scaled features (NB-LR).

    ``fit(X, y, sample_weight)`` with ``X`` of shape ``(n_samples, n_features)`` (scipy sparse or
    dense), ``y`` ``n_samples`` labels; ``decision_function(X)`` is ``(n_samples, n_classes)``
    (``(n_samples,)`` for two classes), ``predict_proba(X)`` the one-vs-rest probabilities
    normalised to sum to 1, ``(n_samples, n_classes)``.

    Args:
        C: inverse regularisation strength of each binary logistic regression.
        alpha: naive-Bayes smoothing of the presence counts.
        class_weight: passed to each binary model (``"balanced"``: the class and the rest weigh
            the same in total).
        max_iter, random_state: passed to each binary model.

    Attributes:
        classes_: ``(n_classes,)`` the labels.
        coef_: ``(n_classes, n_features)`` weights on the UNSCALED features (``(1, n_features)``
            for two classes), so ``X @ coef_.T + intercept_`` is the decision function.
        intercept_: ``(n_classes,)`` (``(1,)`` for two classes).
        ratios_: the log-count ratios the features were scaled by, like ``coef_``.
    """

    def __init__(self, C: float = 1.0, alpha: float = 1.0, class_weight: str | dict | None = "balanced", max_iter: int = 3000, random_state: int = 0) -> None:
        self.C = C
        self.alpha = alpha
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "NBLogisticRegression":
        X = check_array(X, accept_sparse="csr", dtype=np.float64)
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != X.shape[0]:
            raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got shape {labels.shape}")
        self.classes_, codes = np.unique(labels, return_inverse=True)
        k = len(self.classes_)
        if k < 2:
            raise ValueError(f"need at least two classes, got {list(self.classes_)}")
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        R = log_count_ratios(X, codes, k, sw, self.alpha)
        targets = [1] if k == 2 else range(k)  # two classes: one model, class 1 against class 0
        coefs, intercepts = [], []
        for c in targets:
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, random_state=self.random_state)
            lr.fit(X @ sp.diags(R[c]) if sp.issparse(X) else X * R[c], codes == c, sample_weight=sw)
            coefs.append(lr.coef_[0] * R[c])
            intercepts.append(lr.intercept_[0])
        self.ratios_ = R[list(targets)]
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        p = _expit(self.decision_function(X))
        if len(self.classes_) == 2:
            return np.column_stack([1 - p, p])
        return p / p.sum(axis=1, keepdims=True)


class LogRegNBLR(_Linear):
    """Multinomial logistic regression and NB-LR pooled into one linear model.

    The decision values are the mean of the two models' (``(z_lr + z_nb) / 2``, a geometric pool
    of their probabilities), and ``predict_proba`` is their softmax, so the fitted model is one
    ``softmax`` linear head: ``coef_ = (coef_lr + coef_nb) / 2``. The multinomial model fits the
    training styles closely; NB-LR, regularised harder, carries better to channels it never saw
    (``bench/loco_emotion_variants.py``); pooled, they keep most of both.

    Args:
        C: inverse regularisation strength of the multinomial model; NB-LR uses ``C / 10``.
        class_weight, max_iter, random_state: passed to both models.

    Attributes:
        classes_: ``(n_classes,)``; coef_: ``(n_classes, n_features)`` (``(1, n_features)`` for two
        classes); intercept_: ``(n_classes,)`` (``(1,)``); logreg_, nblr_: the two fitted models.
    """

    def __init__(self, C: float = 10.0, class_weight: str | dict | None = "balanced", max_iter: int = 3000, random_state: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> "LogRegNBLR":
        X = check_array(X, accept_sparse="csr", dtype=np.float64)
        kw = {"class_weight": self.class_weight, "max_iter": self.max_iter, "random_state": self.random_state}
        self.nblr_ = NBLogisticRegression(C=self.C / 10, **kw).fit(X, y, sample_weight)  # checks y
        self.logreg_ = LogisticRegression(C=self.C, **kw).fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.nblr_.classes_
        # two classes: both models hold one row, class 1 against class 0
        self.coef_ = (self.logreg_.coef_ + self.nblr_.coef_) / 2
        self.intercept_ = (self.logreg_.intercept_ + self.nblr_.intercept_) / 2
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        z = self.decision_function(X)
        return _softmax(np.column_stack([np.zeros_like(z), z]) if z.ndim == 1 else z)
