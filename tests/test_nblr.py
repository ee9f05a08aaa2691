"""NB-LR (complaint_nlp.nblr): the naive-Bayes ratios, the folded weights, the export."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from complaint_nlp.classifier import LinearHead
from complaint_nlp.nblr import NBLogisticRegression, log_count_ratios


def _data(n=240, f=30, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = sp.random(n, f, density=0.15, random_state=seed, format="csr")
    # make feature c a cue of class c
    X = sp.lil_matrix(X)
    for i, c in enumerate(y):
        X[i, c] = 1.0
    return X.tocsr(), np.array(["anger", "fear", "neutral"])[y] if k == 3 else y


def test_log_count_ratios_by_hand():
    # 4 texts, 2 features; class 0 = rows 0,1; class 1 = rows 2,3
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.5, 0.2], [0.0, 3.0], [0.0, 1.0]]))
    codes = np.array([0, 0, 1, 1])
    R = log_count_ratios(X, codes, 2, alpha=1.0)
    # class 0: presence counts (2, 1) + 1 = (3, 2); the rest: (0, 2) + 1 = (1, 3)
    want0 = np.log(np.array([3, 2]) / 5) - np.log(np.array([1, 3]) / 4)
    assert np.allclose(R[0], want0) and np.allclose(R[1], -want0)
    # a weight of 2 counts like the text twice
    Xd = sp.vstack([X, X[1]])
    assert np.allclose(log_count_ratios(X, codes, 2, np.array([1, 2, 1, 1.0])), log_count_ratios(Xd, np.append(codes, 0), 2))
    with pytest.raises(ValueError, match="alpha"):
        log_count_ratios(X, codes, 2, alpha=0)


def test_weights_are_folded_into_a_plain_linear_model():
    X, y = _data()
    m = NBLogisticRegression().fit(X, y)
    assert list(m.classes_) == ["anger", "fear", "neutral"]
    assert m.coef_.shape == (3, X.shape[1]) and m.ratios_.shape == (3, X.shape[1])
    # the decision function is X @ coef_.T + intercept_ on the UNSCALED features
    assert np.allclose(m.decision_function(X), X @ m.coef_.T + m.intercept_)
    P = m.predict_proba(X)
    assert P.shape == (len(y), 3) and np.allclose(P.sum(axis=1), 1)
    assert (m.predict(X) == y).mean() > 0.9  # the planted cues are learnt
    # dense input gives the same model
    md = NBLogisticRegression().fit(X.toarray(), y)
    assert np.allclose(md.coef_, m.coef_, atol=1e-6)
    # exported, it scores the same
    h = LinearHead.from_sklearn(m, list(m.classes_))
    assert h.kind == "ovr" and np.allclose(h.predict_proba(X), P, atol=1e-12)
    assert np.allclose(h.proba_one(m.decision_function(X[:1])[0]), P[0], atol=1e-12)


def test_two_classes_are_one_model():
    X, y = _data(k=2)
    m = NBLogisticRegression().fit(X, y)
    assert m.coef_.shape == (1, X.shape[1]) and m.decision_function(X).shape == (X.shape[0],)
    h = LinearHead.from_sklearn(m, [str(c) for c in m.classes_])
    assert np.allclose(h.predict_proba(X), m.predict_proba(X), atol=1e-12)


def test_sample_weight_two_equals_the_row_twice():
    X, y = _data()
    w = np.ones(len(y))
    w[:20] = 2.0
    a = NBLogisticRegression().fit(X, y, sample_weight=w)
    b = NBLogisticRegression().fit(sp.vstack([X, X[:20]]), np.concatenate([y, y[:20]]))
    assert np.abs(a.predict_proba(X) - b.predict_proba(X)).max() < 1e-4


def test_bad_input_is_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="two classes"):
        NBLogisticRegression().fit(X, np.array(["anger"] * X.shape[0]))
    with pytest.raises(ValueError, match="one label per row"):
        NBLogisticRegression().fit(X, y[:-1])


@pytest.mark.parametrize("k", [3, 2])
def test_pooled_model_is_the_mean_of_its_two_models(k):
    from sklearn.linear_model import LogisticRegression

    from complaint_nlp.nblr import LogRegNBLR

    X, y = _data(k=k)
    w = np.linspace(0.5, 2.0, len(y))
    m = LogRegNBLR(C=10.0).fit(X, y, sample_weight=w)
    lr = LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000).fit(X, y, sample_weight=w)
    nb = NBLogisticRegression(C=1.0).fit(X, y, sample_weight=w)
    assert np.allclose(m.decision_function(X), (lr.decision_function(X) + nb.decision_function(X)) / 2, atol=1e-6)
    P = m.predict_proba(X)
    assert P.shape == (len(y), k) and np.allclose(P.sum(axis=1), 1)
    h = LinearHead.from_sklearn(m, [str(c) for c in m.classes_])
    assert np.allclose(h.predict_proba(X), P, atol=1e-12)
    assert (m.predict(X) == y).mean() > 0.9
